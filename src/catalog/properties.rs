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
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The properties of one feature, in the file's order.
#[derive(Debug, Clone, Default)]
pub struct Properties {
    keys: Arc<[Box<str>]>,
    values: Box<[Arc<Slot>]>,
}

/// A value and its number in the [`KeyTable`] that made it: 32 bytes, 48
/// with its counts behind the pointer.
#[derive(Debug)]
struct Slot {
    value: PropValue,
    number: ValueNumber,
}

/// A property's value as a layer holds it: JSON's scalars in 24 bytes, a
/// string of up to 24 bytes included (a `serde_json::Value` takes 80 once
/// objects keep their order, plus its text on the heap, and a unique value,
/// such as a point's name, is held once per feature), arrays and objects
/// boxed as parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits 64 signed bits.
    Int(i64),
    /// A larger positive integer.
    UInt(u64),
    /// Any other number.
    Float(f64),
    /// A string: up to 24 bytes of UTF-8 inline, longer ones on the heap.
    Text(compact_str::CompactString),
    /// An array or an object.
    Nested(Box<Value>),
}

impl PropValue {
    /// The text, when a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PropValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The number as a double, when a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            PropValue::Int(i) => Some(i as f64),
            PropValue::UInt(u) => Some(u as f64),
            PropValue::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The number, when an integer that fits 64 signed bits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            PropValue::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Whether `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, PropValue::Null)
    }

    /// The value as JSON.
    pub fn to_json(&self) -> Value {
        match self {
            PropValue::Null => Value::Null,
            PropValue::Bool(b) => Value::Bool(*b),
            PropValue::Int(i) => Value::from(*i),
            PropValue::UInt(u) => Value::from(*u),
            PropValue::Float(f) => Value::from(*f),
            PropValue::Text(s) => Value::String(s.to_string()),
            PropValue::Nested(v) => (**v).clone(),
        }
    }
}

impl From<Value> for PropValue {
    fn from(v: Value) -> PropValue {
        match v {
            Value::Null => PropValue::Null,
            Value::Bool(b) => PropValue::Bool(b),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => PropValue::Int(i),
                (None, Some(u), _) => PropValue::UInt(u),
                (None, None, f) => PropValue::Float(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => PropValue::Text(s.into()),
            nested => PropValue::Nested(Box::new(nested)),
        }
    }
}

impl PartialEq<Value> for PropValue {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (PropValue::Null, Value::Null) => true,
            (PropValue::Bool(a), Value::Bool(b)) => a == b,
            (PropValue::Int(a), Value::Number(n)) => n.as_i64() == Some(*a),
            (PropValue::UInt(a), Value::Number(n)) => !n.is_i64() && n.as_u64() == Some(*a),
            (PropValue::Float(a), Value::Number(n)) => n.is_f64() && n.as_f64() == Some(*a),
            (PropValue::Text(a), Value::String(b)) => **a == **b,
            (PropValue::Nested(a), b) => **a == *b,
            _ => false,
        }
    }
}

impl PartialEq<PropValue> for Value {
    fn eq(&self, other: &PropValue) -> bool {
        other == self
    }
}

impl PartialEq<&str> for PropValue {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

/// A number equal to `other` (an integer too, as serde_json compares).
impl PartialEq<f64> for PropValue {
    fn eq(&self, other: &f64) -> bool {
        self.as_f64() == Some(*other)
    }
}

impl Serialize for PropValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PropValue::Null => s.serialize_unit(),
            PropValue::Bool(b) => s.serialize_bool(*b),
            PropValue::Int(i) => s.serialize_i64(*i),
            PropValue::UInt(u) => s.serialize_u64(*u),
            PropValue::Float(f) => s.serialize_f64(*f),
            PropValue::Text(t) => s.serialize_str(t),
            PropValue::Nested(v) => v.serialize(s),
        }
    }
}

impl std::fmt::Display for PropValue {
    /// As JSON text.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            PropValue::Nested(v) => v.fmt(f),
            other => other.to_json().fmt(f),
        }
    }
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

/// One key looked up in feature after feature. The features of a layer
/// nearly always share one key list, so the key's place is found once per
/// list rather than once per feature.
#[derive(Debug)]
pub struct KeyFinder<'k> {
    key: &'k str,
    /// The last list seen (held, so that its address cannot be reused by
    /// another list while remembered), and the key's place in it.
    last: RefCell<Option<(KeyList, Option<usize>)>>,
}

/// A feature's keys, shared by the features that have the same ones.
type KeyList = Arc<[Box<str>]>;

impl<'k> KeyFinder<'k> {
    /// A finder for `key`.
    pub fn new(key: &'k str) -> KeyFinder<'k> {
        KeyFinder {
            key,
            last: RefCell::new(None),
        }
    }

    /// The value of the key in `properties`, as [`Properties::get`].
    pub fn get<'p>(&self, properties: &'p Properties) -> Option<&'p PropValue> {
        let mut last = self.last.borrow_mut();
        let at = match &*last {
            Some((list, at)) if Arc::ptr_eq(list, &properties.keys) => *at,
            _ => {
                let at = properties.keys.iter().position(|k| &**k == self.key);
                *last = Some((Arc::clone(&properties.keys), at));
                at
            }
        };
        properties.values.get(at?).map(|v| &v.value)
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Properties) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Properties {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&PropValue> {
        let i = self.keys.iter().position(|k| &**k == key)?;
        self.values.get(i).map(|v| &v.value)
    }

    /// The keys and values, in order.
    pub fn iter(&self) -> Iter<'_> {
        self.into_iter()
    }

    /// The keys, values and the values' numbers, in order.
    pub fn numbered(&self) -> impl Iterator<Item = (&str, &PropValue, ValueNumber)> {
        self.numbered_alone().map(|(k, v, n, _)| (k, v, n))
    }

    /// The keys, values and the values' numbers, in order, each with
    /// whether this feature is the only holder of its value's slot: then no
    /// other feature can have that value by number, and an encoder need not
    /// remember it. (A slot held elsewhere for a moment, by a reader
    /// copying the properties, reads as shared: the slower, still right,
    /// way.)
    pub fn numbered_alone(&self) -> impl Iterator<Item = (&str, &PropValue, ValueNumber, bool)> {
        self.keys
            .iter()
            .zip(self.values.iter())
            .map(|(k, v)| (&**k, &v.value, v.number, Arc::strong_count(v) == 1))
    }

    /// Reads every value's slot and returns a number made from them, for
    /// bringing a feature's values into the cache before they are needed.
    pub fn touch(&self) -> u32 {
        self.values
            .iter()
            .fold(0, |a, v| a.wrapping_add(v.number.place))
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
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect()
    }
}

impl From<Map<String, Value>> for Properties {
    fn from(map: Map<String, Value>) -> Properties {
        KeyTable::default().properties(map)
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = (&'a str, &'a PropValue);
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
    type Item = (&'a str, &'a PropValue);

    fn next(&mut self) -> Option<(&'a str, &'a PropValue)> {
        Some((self.keys.next()?, &self.values.next()?.value))
    }
}

/// `properties["key"]`: the value, or `null` when absent (as for a JSON
/// object).
impl std::ops::Index<&str> for Properties {
    type Output = PropValue;

    fn index(&self, key: &str) -> &PropValue {
        const NULL: PropValue = PropValue::Null;
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
    /// For each place in an object, how often its values were looked for
    /// among the shared ones, and found ([`KeyTable::read`]).
    columns: Vec<Column>,
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
            columns: Vec::new(),
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
            values.push(self.share(PropValue::from(v)));
        }
        let keys = match &self.last {
            Some(last) if **last == *keys => Arc::clone(last),
            _ => self.list(keys),
        };
        self.last = Some(Arc::clone(&keys));
        Properties {
            keys,
            values: values.into_boxed_slice(),
        }
    }

    /// The shared slot of a scalar equal to `v`, or a new one.
    fn share(&mut self, v: PropValue) -> Arc<Slot> {
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
    fn slot(&mut self, value: PropValue) -> Arc<Slot> {
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

impl KeyTable {
    /// Reads a JSON object straight into [`Properties`], with no map in
    /// between: keys are compared with the last feature's list as they
    /// come, and scalars are found among the shared values by their text,
    /// so a feature whose keys and values were seen before allocates only
    /// its own list of values. The same result as [`KeyTable::properties`]
    /// of the parsed object (a repeated key keeps its first place and its
    /// last value, as a JSON object does).
    pub fn read<'de, D: serde::Deserializer<'de>>(&mut self, d: D) -> Result<Properties, D::Error> {
        struct Object<'t>(&'t mut KeyTable);
        impl<'de> serde::de::Visitor<'de> for Object<'_> {
            type Value = Properties;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Properties, A::Error> {
                let table = self.0;
                let last = table.last.clone();
                let mut keys: Vec<Box<str>> = Vec::new();
                // As many as the last feature had: the boxed slice then
                // takes the buffer as it is, with no second allocation.
                let expected = last.as_deref().map_or(8, <[Box<str>]>::len);
                let mut values: Vec<Arc<Slot>> =
                    Vec::with_capacity(map.size_hint().unwrap_or(expected));
                // Whether the keys so far are the last list's first ones.
                let mut same = true;
                while let Some(key) = map.next_key_seed(Key {
                    expected: last
                        .as_deref()
                        .filter(|_| same)
                        .and_then(|l| l.get(values.len()))
                        .map(|k| &**k),
                })? {
                    let value = map.next_value_seed(Scalar {
                        table: &mut *table,
                        column: values.len(),
                    })?;
                    if let Some(k) = key {
                        if same {
                            same = false;
                            keys = last.as_deref().unwrap_or_default()[..values.len()].to_vec();
                        }
                        if let Some(i) = keys.iter().position(|have| *have == k) {
                            values[i] = value;
                            continue;
                        }
                        keys.push(k);
                    }
                    values.push(value);
                }
                let keys = match &last {
                    Some(last) if same && last.len() == values.len() => Arc::clone(last),
                    _ => {
                        if same {
                            keys = last.as_deref().unwrap_or_default()[..values.len()].to_vec();
                        }
                        table.list(keys)
                    }
                };
                table.last = Some(Arc::clone(&keys));
                Ok(Properties {
                    keys,
                    values: values.into_boxed_slice(),
                })
            }
        }
        d.deserialize_map(Object(self))
    }

    /// The shared list equal to `keys`, or a new one.
    fn list(&mut self, keys: Vec<Box<str>>) -> Arc<[Box<str>]> {
        match self.lists.get(&keys) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<[Box<str>]> = keys.clone().into();
                self.lists.insert(keys, Arc::clone(&shared));
                shared
            }
        }
    }

    /// The shared slot of a scalar whose hash is `h`, if it holds a value
    /// that `same` accepts.
    fn shared(&self, h: u64, same: impl FnOnce(&PropValue) -> bool) -> Option<Arc<Slot>> {
        self.values
            .get(&h)
            .filter(|slot| same(&slot.value))
            .map(Arc::clone)
    }

    /// The column at `place`, made if new.
    fn column(&mut self, place: usize) -> &mut Column {
        if self.columns.len() <= place {
            self.columns.resize(place + 1, Column::default());
        }
        &mut self.columns[place]
    }

    /// A slot for `v`, the value at `place` of an object: shared when
    /// the column shares, else a new one.
    fn share_at(&mut self, place: usize, v: PropValue) -> Arc<Slot> {
        if !self.column(place).shares() {
            return self.slot(v);
        }
        let before = self.numbered;
        let slot = self.share(v);
        let found = u32::from(self.numbered == before);
        let column = self.column(place);
        column.looked += 1;
        column.found += found;
        slot
    }
}

impl KeyTable {
    /// Half of the place numbers, where a [`KeyTable::continuing`] table
    /// starts.
    const SECOND_HALF: u32 = 1 << 31;

    /// A table for reading the second half of a file whose first half
    /// `first` reads at the same time: its values take the same table
    /// number and places from 2^31 up, so that after
    /// [`KeyTable::adopt`] the layer's values are numbered as by one table.
    pub fn continuing(first: &KeyTable) -> KeyTable {
        KeyTable {
            table: first.table,
            numbered: Self::SECOND_HALF,
            ..KeyTable::default()
        }
    }

    /// Makes the properties read with `second` (made by
    /// [`KeyTable::continuing`] this table) share this table's values and
    /// key lists where they are equal, as if one table had read both
    /// halves. (With a list of each half, the features of a layer, mixed
    /// in memory along the Hilbert curve, changed lists every other one,
    /// and a [`KeyFinder`] looked each key up again nearly every time.)
    pub fn adopt<'p>(
        &self,
        second: &KeyTable,
        properties: impl Iterator<Item = &'p mut Properties>,
    ) {
        let mut mine: FastMap<*const Slot, Arc<Slot>> = FastMap::default();
        for (h, theirs) in &second.values {
            if let Some(slot) = self.values.get(h).filter(|s| s.value == theirs.value) {
                mine.insert(Arc::as_ptr(theirs), Arc::clone(slot));
            }
        }
        let mut lists: FastMap<*const [Box<str>], KeyList> = FastMap::default();
        for (keys, theirs) in &second.lists {
            if let Some(list) = self.lists.get(keys) {
                lists.insert(Arc::as_ptr(theirs), Arc::clone(list));
            }
        }
        if mine.is_empty() && lists.is_empty() {
            return;
        }
        for p in properties {
            if let Some(list) = lists.get(&Arc::as_ptr(&p.keys)) {
                p.keys = Arc::clone(list);
            }
            for v in p.values.iter_mut() {
                if let Some(slot) = mine.get(&Arc::as_ptr(v)) {
                    *v = Arc::clone(slot);
                }
            }
        }
    }

    /// Whether two features' keys are one shared list.
    #[cfg(test)]
    pub fn share_keys(a: &Properties, b: &Properties) -> bool {
        Arc::ptr_eq(&a.keys, &b.keys)
    }
}

/// A key of an object: `None` when it is the key expected (the last list's
/// key at this place), so that nothing is allocated; else the key.
struct Key<'k> {
    expected: Option<&'k str>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Key<'_> {
    type Value = Option<Box<str>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Key<'_> {
    type Value = Option<Box<str>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<Self::Value, E> {
        Ok(match self.expected {
            Some(e) if e == k => None,
            _ => Some(k.into()),
        })
    }
}

/// A value of an object, as a slot of the table, shared when its column
/// shares.
struct Scalar<'t> {
    table: &'t mut KeyTable,
    /// Its place in the object.
    column: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Scalar<'_> {
    type Value = Arc<Slot>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Arc<Slot>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Scalar<'_> {
    type Value = Arc<Slot>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Arc<Slot>, E> {
        use std::hash::BuildHasher;
        let (table, place) = (self.table, self.column);
        if !table.column(place).shares() {
            return Ok(table.slot(PropValue::Text(s.into())));
        }
        // As `scalar_hash` hashes a string value.
        let h = foldhash::fast::FixedState::with_seed(0x5eed).hash_one((5u8, s));
        match table.shared(h, |v| v.as_str() == Some(s)) {
            Some(slot) => {
                let column = table.column(place);
                column.looked += 1;
                column.found += 1;
                Ok(slot)
            }
            None => Ok(table.share_at(place, PropValue::Text(s.into()))),
        }
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Arc<Slot>, E> {
        Ok(self.table.share_at(self.column, PropValue::Bool(b)))
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Arc<Slot>, E> {
        Ok(self.table.share_at(self.column, PropValue::Int(n)))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Arc<Slot>, E> {
        let v = i64::try_from(n).map_or(PropValue::UInt(n), PropValue::Int);
        Ok(self.table.share_at(self.column, v))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Arc<Slot>, E> {
        Ok(self
            .table
            .share_at(self.column, PropValue::from(Value::from(n))))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Arc<Slot>, E> {
        Ok(self.table.share_at(self.column, PropValue::Null))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Arc<Slot>, A::Error> {
        use serde::Deserialize;
        let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(self
            .table
            .share_at(self.column, PropValue::Nested(Box::new(v))))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Arc<Slot>, A::Error> {
        use serde::Deserialize;
        let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(self
            .table
            .share_at(self.column, PropValue::Nested(Box::new(v))))
    }
}

/// How the values at one place of a layer's objects have shared so far.
#[derive(Debug, Default, Clone, Copy)]
struct Column {
    looked: u32,
    found: u32,
}

impl Column {
    /// Whether values here are worth looking for among the shared ones: a
    /// column of ids or names, where nearly every value is new, would only
    /// fill the table with values no other feature has (two million of
    /// them in a layer of a million points, each a hash-table entry).
    /// After the first 512 values, a column shares only while at least
    /// one in eight was found.
    fn shares(self) -> bool {
        self.looked < 512 || self.found >= self.looked / 8
    }
}

/// A hash of a scalar's kind and content (`None` for arrays and objects,
/// which are not shared).
fn scalar_hash(v: &PropValue) -> Option<u64> {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5eed).build_hasher();
    match v {
        PropValue::Null => 0u8.hash(&mut h),
        PropValue::Bool(b) => (1u8, b).hash(&mut h),
        PropValue::Int(i) => (2u8, i).hash(&mut h),
        PropValue::UInt(u) => (3u8, u).hash(&mut h),
        PropValue::Float(f) => (4u8, f.to_bits()).hash(&mut h),
        PropValue::Text(s) => (5u8, &**s).hash(&mut h),
        PropValue::Nested(_) => return None,
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
        assert_eq!(p.get("open"), Some(&PropValue::Null));
        assert!(p.keys().eq(map.keys().map(String::as_str)));
    }

    #[test]
    fn a_key_finder_finds_what_get_does_across_lists() {
        let mut table = KeyTable::default();
        let objects = [
            json!({"id": "a", "name_zh": "甲", "n": 1}),
            json!({"id": "b", "name_zh": "乙", "n": 2}),
            json!({"name_zh": "丙", "id": "c"}),
            json!({"id": "d"}),
            json!({"id": "e", "name_zh": "戊", "n": 5}),
            json!({"name_zh": null, "id": "f"}),
            json!({}),
        ];
        let all: Vec<Properties> = objects
            .iter()
            .map(|o| table.properties(o.as_object().unwrap().clone()))
            .collect();
        // Lists shared, lists alternating, a list seen again after others,
        // and lists made one-off (not through the table).
        let mut order: Vec<Properties> = all.iter().chain(all.iter().rev()).cloned().collect();
        order.push(Properties::from(objects[0].as_object().unwrap().clone()));
        order.push(Properties::default());
        for key in ["id", "name_zh", "n", "missing"] {
            let finder = KeyFinder::new(key);
            for p in &order {
                assert_eq!(finder.get(p), p.get(key), "{key} in {p:?}");
            }
        }
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
        assert_eq!((b["a"].to_json(), b["b"].to_json()), (json!(4), json!(3)));
    }

    /// Objects as a layer file has them: keys from a small set, so lists
    /// repeat and keys come twice; values that repeat, and some that do not.
    fn object_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let key = prop::sample::select(vec!["a", "b", "c", "id", "name"]);
        let value = prop_oneof![
            (0..3i64).prop_map(|i| json!(i)),
            (0..3i64).prop_map(|i| json!(format!("v{i}"))),
            any::<u32>().prop_map(|i| json!(format!("unique {i}"))),
            Just(json!(-1.5)),
            Just(json!(null)),
            Just(json!(true)),
            Just(json!([1, "x"])),
            Just(json!({"k": [1]})),
        ];
        prop::collection::vec((key, value), 0..6).prop_map(|pairs| {
            let members: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}:{v}", json!(k)))
                .collect();
            format!("{{{}}}", members.join(","))
        })
    }

    proptest::proptest! {
        /// Reading an object's text straight into properties gives what
        /// parsing it to a map and converting does: the same keys in the
        /// same order (a repeated key in its first place, with its last
        /// value) and the same values, over a run of objects that share.
        #[test]
        fn reading_an_object_gives_what_its_map_gives(
            texts in proptest::collection::vec(object_text(), 1..40)
        ) {
            let (mut streamed, mut mapped) = (KeyTable::default(), KeyTable::default());
            for text in &texts {
                let mut de = serde_json::Deserializer::from_str(text);
                let read = streamed.read(&mut de).unwrap();
                let map: Map<String, Value> = serde_json::from_str(text).unwrap();
                let made = mapped.properties(map.clone());
                proptest::prop_assert_eq!(&read, &made, "{}", text);
                proptest::prop_assert!(read.keys().eq(map.keys().map(String::as_str)));
                proptest::prop_assert_eq!(read.to_map(), map);
            }
        }
    }

    proptest::proptest! {
        /// A value held compactly reads back, compares and writes as the
        /// JSON it came from: integers small and large, doubles, text.
        #[test]
        fn a_compact_value_is_the_json_it_came_from(
            i in proptest::prelude::any::<i64>(),
            u in proptest::prelude::any::<u64>(),
            f in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO,
            t in ".{0,12}",
        ) {
            let values = [json!(i), json!(u), json!(f), json!(t), json!(null), json!(true), json!([i, t]), json!({"k": f})];
            for v in values {
                let text = v.to_string();
                let parsed: Value = serde_json::from_str(&text).unwrap();
                let compact = PropValue::from(parsed.clone());
                proptest::prop_assert_eq!(&compact.to_json(), &parsed);
                proptest::prop_assert!(compact == parsed);
                proptest::prop_assert_eq!(serde_json::to_string(&compact).unwrap(), parsed.to_string());
                proptest::prop_assert_eq!(compact.to_string(), parsed.to_string());
                proptest::prop_assert_eq!(compact.as_f64(), parsed.as_f64());
                proptest::prop_assert_eq!(compact.as_i64(), parsed.as_i64());
                proptest::prop_assert_eq!(compact.as_str(), parsed.as_str());
            }
        }
    }

    #[test]
    fn a_compact_value_takes_24_bytes() {
        assert_eq!(std::mem::size_of::<PropValue>(), 24);
        assert_eq!(std::mem::size_of::<Slot>(), 32);
    }

    #[test]
    fn a_column_of_new_values_stops_being_shared() {
        let mut table = KeyTable::default();
        for i in 0..2000 {
            let text = format!(r#"{{"id":"f-{i}","kind":"k{}"}}"#, i % 3);
            table
                .read(&mut serde_json::Deserializer::from_str(&text))
                .unwrap();
        }
        // The ids stopped being kept after the first 512; the kinds are
        // three shared values.
        assert_eq!(table.values.len(), 512 + 3);
        assert!(!table.columns[0].shares());
        assert!(table.columns[1].shares());
        let a = table
            .read(&mut serde_json::Deserializer::from_str(
                r#"{"id":"x","kind":"k1"}"#,
            ))
            .unwrap();
        let b = table
            .read(&mut serde_json::Deserializer::from_str(
                r#"{"id":"x","kind":"k1"}"#,
            ))
            .unwrap();
        assert!(Arc::ptr_eq(&a.values[1], &b.values[1]));
        assert!(!Arc::ptr_eq(&a.values[0], &b.values[0]));
        assert_eq!(a, b);
    }
}
