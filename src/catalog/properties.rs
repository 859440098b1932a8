//! A feature's properties, held compactly: the values in key order, with
//! the list of keys shared by every feature of a layer that has the same
//! keys. A layer's features nearly always do, so a feature costs its values
//! and one pointer, where a map per feature costs a tree node and a copy of
//! every key (about 600 bytes a feature of seven properties).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The properties of one feature, in the file's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties {
    keys: Arc<[Box<str>]>,
    values: Box<[Value]>,
}

impl Properties {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let i = self.keys.iter().position(|k| &**k == key)?;
        self.values.get(i)
    }

    /// The keys and values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.keys.iter().map(|k| &**k).zip(self.values.iter())
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| &**k)
    }

    /// How many properties there are.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The properties as a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }
}

impl From<Map<String, Value>> for Properties {
    fn from(map: Map<String, Value>) -> Properties {
        KeyTable::default().properties(map)
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Zip<
        std::iter::Map<std::slice::Iter<'a, Box<str>>, fn(&Box<str>) -> &str>,
        std::slice::Iter<'a, Value>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let key: fn(&Box<str>) -> &str = |k| k;
        self.keys.iter().map(key).zip(self.values.iter())
    }
}

/// `properties["key"]`: the value, or `null` when absent (as for a JSON
/// object).
impl std::ops::Index<&str> for Properties {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        const NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The key lists seen so far while loading a layer, so that features with
/// the same keys share one.
#[derive(Debug, Default)]
pub struct KeyTable {
    lists: HashMap<Vec<Box<str>>, Arc<[Box<str>]>>,
}

impl KeyTable {
    /// `map` as [`Properties`], its key list shared with earlier features
    /// that had the same keys.
    pub fn properties(&mut self, map: Map<String, Value>) -> Properties {
        let mut keys = Vec::with_capacity(map.len());
        let mut values = Vec::with_capacity(map.len());
        for (k, v) in map {
            keys.push(k.into_boxed_str());
            values.push(v);
        }
        let keys = match self.lists.get(&keys) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<[Box<str>]> = keys.clone().into();
                self.lists.insert(keys, Arc::clone(&shared));
                shared
            }
        };
        Properties {
            keys,
            values: values.into_boxed_slice(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_back_as_the_object_it_was_made_from() {
        let map = json!({"name": "x", "area_ha": 1.5, "tags": [1, 2], "open": null})
            .as_object()
            .unwrap()
            .clone();
        let p = Properties::from(map.clone());
        assert_eq!(p.to_map(), map);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            Value::Object(map.clone())
        );
        assert_eq!(p["area_ha"], 1.5);
        assert_eq!(p["missing"], Value::Null);
        assert_eq!(p.get("open"), Some(&Value::Null));
        assert!(p.keys().eq(map.keys().map(String::as_str)));
    }

    #[test]
    fn features_with_the_same_keys_share_one_list() {
        let mut table = KeyTable::default();
        let a = table.properties(json!({"a": 1, "b": 2}).as_object().unwrap().clone());
        let b = table.properties(json!({"a": 4, "b": 3}).as_object().unwrap().clone());
        let c = table.properties(json!({"a": 5}).as_object().unwrap().clone());
        assert!(Arc::ptr_eq(&a.keys, &b.keys));
        assert!(!Arc::ptr_eq(&a.keys, &c.keys));
        assert_eq!((b["a"].clone(), b["b"].clone()), (json!(4), json!(3)));
    }
}
