//! A feature's properties, held compactly: the values in the file's order, with
//! the list of keys shared by every feature of a layer that has the same
//! keys. A layer's features nearly always do, so a feature costs its values
//! and one pointer, where a map per feature costs a tree node and a copy of
//! every key (about 600 bytes a feature of seven properties). Values are
//! shared too: equal scalars of a layer (a category, a source, a status)
//! are one value behind a pointer. Each value also carries its number in
//! the layer's table, so the MVT encoder can find it again in a tile by a
//! small integer rather than by hashing its content.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The properties of one feature, in the file's order.
#[derive(Debug, Clone, Default)]
pub struct Properties {
    keys: Arc<[Box<str>]>,
    values: Box<[Arc<Slot>]>,
}

/// A value and its number in the [`KeyTable`] that made it.
#[derive(Debug)]
struct Slot {
    value: Value,
    number: ValueNumber,
}

/// A value's number: which [`KeyTable`] made it, and its place there. Two
/// values with the same table and place are the same value; equal values
/// of one table nearly always share a number (arrays and objects, and
/// scalars whose hashes collide, get numbers of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueNumber {
    /// The table: tables are numbered in the order they are made, and two
    /// can share a number only after 2^32 tables in one process (a layer
    /// load makes one), in which case the encoder would confuse their
    /// values. Four bytes rather than eight keep a value's allocation a
    /// size class smaller.
    pub table: u32,
    /// The value's place in it, from 0.
    pub place: u32,
}

impl PartialEq for Properties {
    fn eq(&self, other: &Properties) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Properties {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let i = self.keys.iter().position(|k| &**k == key)?;
        self.values.get(i).map(|v| &v.value)
    }

    /// The keys and values, in order.
    pub fn iter(&self) -> Iter<'_> {
        self.into_iter()
    }

    /// The keys, values and the values' numbers, in order.
    pub fn numbered(&self) -> impl Iterator<Item = (&str, &Value, ValueNumber)> {
        self.keys
            .iter()
            .zip(self.values.iter())
            .map(|(k, v)| (&**k, &v.value, v.number))
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
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        Iter {
            keys: self.keys.iter(),
            values: self.values.iter(),
        }
    }
}

/// The keys and values of [`Properties`], in order.
pub struct Iter<'a> {
    keys: std::slice::Iter<'a, Box<str>>,
    values: std::slice::Iter<'a, Arc<Slot>>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<(&'a str, &'a Value)> {
        Some((self.keys.next()?, &self.values.next()?.value))
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

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The key lists and scalar values seen so far while loading a layer, so
/// that features with the same keys share one list, and equal values one
/// allocation. Values are found by a hash of their content; two different
/// values with the same 64-bit hash are simply not shared. (The MVT
/// encoder finds values by their numbers, and tells values of different
/// tables apart by content.)
#[derive(Debug)]
pub struct KeyTable {
    lists: FastMap<Vec<Box<str>>, Arc<[Box<str>]>>,
    /// The list the last feature used: the next one nearly always has it.
    last: Option<Arc<[Box<str>]>>,
    values: FastMap<u64, Arc<Slot>>,
    /// This table's number, and how many values it has numbered.
    table: u32,
    numbered: u32,
}

impl Default for KeyTable {
    fn default() -> KeyTable {
        static TABLES: AtomicU32 = AtomicU32::new(1);
        KeyTable {
            lists: FastMap::default(),
            last: None,
            values: FastMap::default(),
            table: TABLES.fetch_add(1, Ordering::Relaxed),
            numbered: 0,
        }
    }
}

impl KeyTable {
    /// `map` as [`Properties`], its key list shared with earlier features
    /// that had the same keys.
    pub fn properties(&mut self, map: Map<String, Value>) -> Properties {
        let mut keys = Vec::with_capacity(map.len());
        let mut values = Vec::with_capacity(map.len());
        for (k, v) in map {
            keys.push(k.into_boxed_str());
            values.push(self.share(v));
        }
        let keys = match &self.last {
            Some(last) if **last == *keys => Arc::clone(last),
            _ => match self.lists.get(&keys) {
                Some(shared) => Arc::clone(shared),
                None => {
                    let shared: Arc<[Box<str>]> = keys.clone().into();
                    self.lists.insert(keys, Arc::clone(&shared));
                    shared
                }
            },
        };
        self.last = Some(Arc::clone(&keys));
        Properties {
            keys,
            values: values.into_boxed_slice(),
        }
    }

    /// The shared slot of a scalar equal to `v`, or a new one.
    fn share(&mut self, v: Value) -> Arc<Slot> {
        let Some(h) = scalar_hash(&v) else {
            return self.slot(v);
        };
        match self.values.get(&h) {
            Some(shared) if shared.value == v => Arc::clone(shared),
            Some(_) => self.slot(v),
            None => {
                let shared = self.slot(v);
                self.values.insert(h, Arc::clone(&shared));
                shared
            }
        }
    }

    /// A new slot, numbered next. Past `u32::MAX` values the table takes a
    /// new number, so no two values ever share a number by accident.
    fn slot(&mut self, value: Value) -> Arc<Slot> {
        if self.numbered == u32::MAX {
            *self = KeyTable::default();
        }
        let place = self.numbered;
        self.numbered += 1;
        Arc::new(Slot {
            value,
            number: ValueNumber {
                table: self.table,
                place,
            },
        })
    }
}

/// A hash of a scalar's kind and content (`None` for arrays and objects,
/// which are not shared).
fn scalar_hash(v: &Value) -> Option<u64> {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5eed).build_hasher();
    match v {
        Value::Null => 0u8.hash(&mut h),
        Value::Bool(b) => (1u8, b).hash(&mut h),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => (2u8, i).hash(&mut h),
            (None, Some(u), _) => (3u8, u).hash(&mut h),
            (None, None, f) => (4u8, f.map(f64::to_bits)).hash(&mut h),
        },
        Value::String(s) => (5u8, s).hash(&mut h),
        Value::Array(_) | Value::Object(_) => return None,
    }
    Some(h.finish())
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
        // Equal scalars share one allocation; different ones do not.
        let c2 = table.properties(json!({"a": 5, "s": "x"}).as_object().unwrap().clone());
        let c3 = table.properties(json!({"a": 5, "s": "x"}).as_object().unwrap().clone());
        for (x, y) in c2.values.iter().zip(c3.values.iter()) {
            assert!(Arc::ptr_eq(x, y));
        }
        // Numbers follow sharing: equal values, one number.
        let numbers = |p: &Properties| p.numbered().map(|(_, _, n)| n).collect::<Vec<_>>();
        assert_eq!(numbers(&c2), numbers(&c3));
        assert_ne!(numbers(&a), numbers(&b));
        assert_eq!(c2, c3);
        assert_ne!(c2, c);
        assert!(!Arc::ptr_eq(&a.values[0], &b.values[0]));
        assert!(!Arc::ptr_eq(&a.keys, &c.keys));
        assert_eq!((b["a"].clone(), b["b"].clone()), (json!(4), json!(3)));
    }
}
