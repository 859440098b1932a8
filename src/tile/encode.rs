//! Writing Mapbox Vector Tile 2.1 protobuf. The only module that knows the
//! wire format.
//! Spec: <https://github.com/mapbox/vector-tile-spec/tree/master/2.1>.
//!
//! Written by hand rather than through the `mvt` crate: profiled on dense
//! synthetic tiles, `mvt` spent half of a cold tile's time building its
//! message tree, hashing every key and value with SipHash and copying the
//! result (`BENCHMARKS.md`, "Where the time goes"). Here each feature is
//! written once, straight into its layer's buffer, with its length worked
//! out beforehand. Keys are deduplicated with a fast hasher; values by
//! the number the catalog gave them at load ([`crate::catalog::ValueNumber`]), a small
//! integer, and by content only when they come from another table.

use super::snap::{Pt, TileGeometry};
use crate::catalog::{PropValue, Properties};
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// A feature ready to encode.
pub struct EncodeFeature<'a> {
    /// The MVT feature id.
    pub id: u64,
    /// Its geometry in tile coordinates.
    pub geometry: TileGeometry,
    /// Its properties; nulls are left out, arrays and objects written as
    /// JSON text.
    pub properties: &'a Properties,
}

/// Encoding failed; a server fault.
#[derive(Debug, thiserror::Error)]
#[error("encoding the tile failed: {0}")]
pub struct EncodeError(String);

/// Encodes layers of features into one tile. Layers with no features are
/// left out; a tile with no layers is empty (zero bytes).
pub fn encode(layers: &[(&str, Vec<&EncodeFeature>)], extent: u32) -> Result<Vec<u8>, EncodeError> {
    let mut writers = Vec::with_capacity(layers.len());
    for (name, features) in layers {
        let mut w = LayerWriter::new(name, extent);
        for f in features {
            w.push(f)?;
        }
        writers.push(w);
    }
    Ok(tile(writers))
}

/// The tile holding these layers (those with features), in order.
pub fn tile(layers: Vec<LayerWriter>) -> Vec<u8> {
    let mut tile = Vec::with_capacity(layers.iter().map(LayerWriter::size).sum());
    for w in layers {
        if w.count > 0 {
            w.finish(&mut tile);
        }
    }
    tile
}

/// One layer being written, a feature at a time, knowing its size so far:
/// what a tile budget is kept with. A feature that would not fit can be
/// taken back ([`LayerWriter::mark`], [`LayerWriter::undo`]).
pub struct LayerWriter<'a> {
    name: &'a str,
    extent: u32,
    keys: FastMap<&'a str, u32>,
    key_list: Vec<&'a str>,
    /// Bytes the keys take in the layer.
    keys_bytes: usize,
    /// Features of a layer mostly list the same keys in the same order: the
    /// key index seen at each position is tried before the hash table.
    by_position: Vec<u32>,
    /// The table whose values are found by number (the first value's).
    table: Option<u32>,
    /// The value (its place in that table, and its index here) seen last
    /// at each position of a key list: features in a row often share a
    /// value there (a source, a category), found then without hashing.
    last_value: Vec<(u32, u32)>,
    numbered: FastMap<u32, u32>,
    /// Values of other tables, by content.
    values: FastMap<Key<'a>, u32>,
    /// Entries in the values table.
    value_count: u32,
    values_out: Vec<u8>,
    features_out: Vec<u8>,
    count: usize,
    /// The values added by the feature being pushed, to take back.
    added: Vec<Key<'a>>,
    added_numbers: Vec<u32>,
    tags: Vec<u32>,
    geometry: Vec<u32>,
}

/// No value seen at a position yet: no table numbers a value `u32::MAX`
/// (a table full that far starts a new one).
const NO_VALUE: (u32, u32) = (u32::MAX, 0);

/// Where a layer stood before a feature, to go back to.
#[derive(Clone, Copy)]
pub struct Mark {
    keys: usize,
    value_count: u32,
    keys_bytes: usize,
    values_out: usize,
    features_out: usize,
}

impl<'a> LayerWriter<'a> {
    /// An empty layer.
    pub fn new(name: &'a str, extent: u32) -> LayerWriter<'a> {
        LayerWriter {
            name,
            extent,
            keys: FastMap::default(),
            key_list: Vec::new(),
            keys_bytes: 0,
            by_position: Vec::new(),
            table: None,
            last_value: Vec::new(),
            numbered: FastMap::default(),
            values: FastMap::default(),
            value_count: 0,
            values_out: Vec::new(),
            features_out: Vec::new(),
            count: 0,
            added: Vec::new(),
            added_numbers: Vec::new(),
            tags: Vec::new(),
            geometry: Vec::new(),
        }
    }

    /// The layer's name.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Features written.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The bytes this layer adds to a tile (none while it is empty).
    pub fn size(&self) -> usize {
        if self.count == 0 {
            return 0;
        }
        let body = self.body_size();
        1 + varint_len(body as u64) + body
    }

    /// The bytes of the layer message, without its tag and length.
    fn body_size(&self) -> usize {
        1 + varint_len(self.name.len() as u64)
            + self.name.len()
            + self.features_out.len()
            + self.keys_bytes
            + self.values_out.len()
            + 1
            + varint_len(u64::from(self.extent))
            + 2
    }

    /// Where the layer stands, for [`LayerWriter::undo`] of the next push.
    pub fn mark(&self) -> Mark {
        Mark {
            keys: self.key_list.len(),
            value_count: self.value_count,
            keys_bytes: self.keys_bytes,
            values_out: self.values_out.len(),
            features_out: self.features_out.len(),
        }
    }

    /// Takes back the feature pushed since `mark` (only the last one).
    pub fn undo(&mut self, mark: Mark) {
        for key in self.key_list.drain(mark.keys..) {
            self.keys.remove(key);
        }
        for k in &mut self.by_position {
            if *k as usize >= mark.keys {
                *k = u32::MAX;
            }
        }
        for v in self.added.drain(..) {
            self.values.remove(&v);
        }
        for n in self.added_numbers.drain(..) {
            self.numbered.remove(&n);
        }
        for last in &mut self.last_value {
            if last.1 >= mark.value_count {
                *last = NO_VALUE;
            }
        }
        self.value_count = mark.value_count;
        self.keys_bytes = mark.keys_bytes;
        self.values_out.truncate(mark.values_out);
        self.features_out.truncate(mark.features_out);
        self.count -= 1;
    }

    /// Writes one feature.
    pub fn push(&mut self, f: &EncodeFeature<'a>) -> Result<(), EncodeError> {
        self.tags.clear();
        self.added.clear();
        self.added_numbers.clear();
        let properties: &'a Properties = f.properties;
        for (position, (key, value, number, alone)) in properties.numbered_alone().enumerate() {
            if value.is_null() {
                continue;
            }
            let k = match self.by_position.get(position) {
                Some(&k) if self.key_list.get(k as usize).is_some_and(|&s| same(s, key)) => k,
                _ => self.key(position, key),
            };
            let table = *self.table.get_or_insert(number.table);
            let v = if table == number.table && alone {
                // No other feature holds this value: written, not looked up.
                let v = self.value_count;
                self.value_count += 1;
                write_value(&mut self.values_out, &key_of(value));
                v
            } else if table == number.table {
                match self.last_value.get(position) {
                    Some(&(place, v)) if place == number.place => v,
                    _ => {
                        let v = match self.numbered.entry(number.place) {
                            Entry::Occupied(o) => *o.get(),
                            Entry::Vacant(e) => {
                                let v = self.value_count;
                                e.insert(v);
                                self.value_count += 1;
                                self.added_numbers.push(number.place);
                                write_value(&mut self.values_out, &key_of(value));
                                v
                            }
                        };
                        if position >= self.last_value.len() {
                            self.last_value.resize(position + 1, NO_VALUE);
                        }
                        self.last_value[position] = (number.place, v);
                        v
                    }
                }
            } else {
                match self.values.entry(key_of(value)) {
                    Entry::Occupied(o) => *o.get(),
                    Entry::Vacant(e) => {
                        let v = self.value_count;
                        write_value(&mut self.values_out, e.key());
                        self.added.push(e.key().clone());
                        e.insert(v);
                        self.value_count += 1;
                        v
                    }
                }
            };
            self.tags.push(k);
            self.tags.push(v);
        }
        let kind = geometry(&f.geometry, &mut self.geometry)?;
        write_feature(
            &mut self.features_out,
            f.id,
            kind,
            &self.tags,
            &self.geometry,
        );
        self.count += 1;
        Ok(())
    }

    /// The index of `key`, added if new, remembered for `position`.
    fn key(&mut self, position: usize, key: &'a str) -> u32 {
        let k = match self.keys.get(key) {
            Some(&k) => k,
            None => {
                let k = self.key_list.len() as u32;
                self.keys.insert(key, k);
                self.key_list.push(key);
                self.keys_bytes += 1 + varint_len(key.len() as u64) + key.len();
                k
            }
        };
        if position < self.by_position.len() {
            self.by_position[position] = k;
        } else {
            self.by_position.push(k);
        }
        k
    }

    /// Writes the layer message, as a tile's `layers` field, onto `out`.
    fn finish(self, out: &mut Vec<u8>) {
        let start = out.len();
        let body = self.body_size();
        tag(out, 3, 2);
        varint(out, body as u64);
        field_bytes(out, 1, self.name.as_bytes());
        out.extend_from_slice(&self.features_out);
        for key in &self.key_list {
            field_bytes(out, 3, key.as_bytes());
        }
        out.extend_from_slice(&self.values_out);
        field_varint(out, 5, u64::from(self.extent));
        field_varint(out, 15, 2);
        debug_assert_eq!(out.len() - start, self.size());
    }
}

/// Whether two keys are equal: the same text in memory (features of a layer
/// share their key lists), or the same content.
fn same(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// A value as the values table holds it.
fn key_of(value: &PropValue) -> Key<'_> {
    match value {
        PropValue::Bool(b) => Key::Bool(*b),
        PropValue::Text(s) => Key::Str(Cow::Borrowed(s.as_str())),
        PropValue::Int(i) => Key::Sint(*i),
        PropValue::UInt(u) => Key::Uint(*u),
        PropValue::Float(f) => Key::Double(f.to_bits()),
        PropValue::Null => Key::Str(Cow::Borrowed("null")),
        PropValue::Nested(nested) => Key::Str(Cow::Owned(nested.to_string())),
    }
}

/// A property value as MVT dedups it: equal values share one entry.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key<'a> {
    Str(Cow<'a, str>),
    Sint(i64),
    Uint(u64),
    /// A double, by its bits.
    Double(u64),
    Bool(bool),
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Writes `Layer.values` entry: a `Value` message holding one field.
fn write_value(out: &mut Vec<u8>, v: &Key) {
    match v {
        Key::Str(s) => {
            let len = s.len() as u64;
            tag(out, 4, 2);
            varint(out, 1 + varint_len(len) as u64 + len);
            field_bytes(out, 1, s.as_bytes());
        }
        Key::Double(bits) => {
            tag(out, 4, 2);
            varint(out, 9);
            tag(out, 3, 1);
            out.extend_from_slice(&bits.to_le_bytes());
        }
        Key::Uint(u) => {
            tag(out, 4, 2);
            varint(out, 1 + varint_len(*u) as u64);
            field_varint(out, 5, *u);
        }
        Key::Sint(i) => {
            let z = zigzag64(*i);
            tag(out, 4, 2);
            varint(out, 1 + varint_len(z) as u64);
            field_varint(out, 6, z);
        }
        Key::Bool(b) => field_bytes(out, 4, &[7 << 3, u8::from(*b)]),
    }
}

/// Writes one `Layer.features` entry straight into the layer.
fn write_feature(out: &mut Vec<u8>, id: u64, kind: u64, tags: &[u32], geometry: &[u32]) {
    let packed = |xs: &[u32]| xs.iter().map(|&x| varint_len(u64::from(x))).sum::<usize>();
    let (tags_len, geom_len) = (packed(tags), packed(geometry));
    let mut len = 1 + varint_len(id) + 2 + 1 + varint_len(geom_len as u64) + geom_len;
    if !tags.is_empty() {
        len += 1 + varint_len(tags_len as u64) + tags_len;
    }
    tag(out, 2, 2);
    varint(out, len as u64);
    field_varint(out, 1, id);
    if !tags.is_empty() {
        tag(out, 2, 2);
        varint(out, tags_len as u64);
        for &t in tags {
            varint(out, u64::from(t));
        }
    }
    field_varint(out, 3, kind);
    tag(out, 4, 2);
    varint(out, geom_len as u64);
    for &g in geometry {
        varint(out, u64::from(g));
    }
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// Fills `out` with the geometry's commands; returns the MVT `GeomType`.
fn geometry(g: &TileGeometry, out: &mut Vec<u32>) -> Result<u64, EncodeError> {
    out.clear();
    let mut cursor: Pt = (0, 0);
    let kind = match g {
        TileGeometry::Point(p) => {
            out.push(command(MOVE_TO, 1)?);
            delta(out, &mut cursor, *p);
            1
        }
        TileGeometry::Points(pts) => {
            out.push(command(MOVE_TO, pts.len())?);
            for &p in pts {
                delta(out, &mut cursor, p);
            }
            1
        }
        TileGeometry::Lines(lines) => {
            for line in lines {
                path(out, &mut cursor, line)?;
            }
            2
        }
        TileGeometry::Polygons(polys) => {
            for ring in polys.iter().flatten() {
                path(out, &mut cursor, ring)?;
                out.push(command(CLOSE_PATH, 1)?);
            }
            3
        }
    };
    Ok(kind)
}

/// A `MoveTo` to the first point, then one `LineTo` through the rest.
fn path(out: &mut Vec<u32>, cursor: &mut Pt, pts: &[Pt]) -> Result<(), EncodeError> {
    let Some((&first, rest)) = pts.split_first() else {
        return Ok(());
    };
    out.push(command(MOVE_TO, 1)?);
    delta(out, cursor, first);
    if !rest.is_empty() {
        out.push(command(LINE_TO, rest.len())?);
        for &p in rest {
            delta(out, cursor, p);
        }
    }
    Ok(())
}

fn command(id: u32, count: usize) -> Result<u32, EncodeError> {
    if count >= 1 << 29 {
        return Err(EncodeError(format!("a command repeated {count} times")));
    }
    Ok(id | (count as u32) << 3)
}

fn delta(out: &mut Vec<u32>, cursor: &mut Pt, p: Pt) {
    out.push(zigzag32(p.0.wrapping_sub(cursor.0)));
    out.push(zigzag32(p.1.wrapping_sub(cursor.1)));
    *cursor = p;
}

fn zigzag32(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn tag(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from(field << 3 | wire));
}

fn field_varint(out: &mut Vec<u8>, field: u32, v: u64) {
    tag(out, field, 0);
    varint(out, v);
}

fn field_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    tag(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_their_lengths_agree() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
        }
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }

    #[test]
    fn zigzag_matches_the_protobuf_table() {
        assert_eq!(
            [0, -1, 1, -2, 2].map(zigzag32),
            [0, 1, 2, 3, 4],
            "protobuf's sint32 encoding"
        );
        assert_eq!(zigzag64(i64::MIN), u64::MAX);
    }

    #[test]
    fn a_point_feature_is_the_bytes_the_spec_shows() {
        // MVT 2.1 §4.3.5.1: a point at (25, 17) is [9, 50, 34].
        let mut g = Vec::new();
        geometry(&TileGeometry::Points(vec![(25, 17)]), &mut g).unwrap();
        assert_eq!(g, [9, 50, 34]);
        geometry(&TileGeometry::Point((25, 17)), &mut g).unwrap();
        assert_eq!(g, [9, 50, 34]);
        // §4.3.5.3: a polygon ring (3,6) (8,12) (20,34) is
        // [9, 6, 12, 18, 10, 12, 24, 44, 15].
        geometry(
            &TileGeometry::Polygons(vec![vec![vec![(3, 6), (8, 12), (20, 34)]]]),
            &mut g,
        )
        .unwrap();
        assert_eq!(g, [9, 6, 12, 18, 10, 12, 24, 44, 15]);
    }

    /// The same tile through the `mvt` crate, the encoder this one replaced.
    fn reference(layers: &[(&str, Vec<&EncodeFeature>)], extent: u32) -> Vec<u8> {
        use mvt::{GeomEncoder, GeomType};
        let mut tile = mvt::Tile::new(extent);
        for (name, features) in layers {
            let mut layer = tile.create_layer(name);
            for f in features {
                let data = match &f.geometry {
                    TileGeometry::Point((x, y)) => {
                        let mut e = GeomEncoder::<i32>::new(GeomType::Point);
                        e.add_point(*x, *y).unwrap();
                        e.encode().unwrap()
                    }
                    TileGeometry::Points(pts) => {
                        let mut e = GeomEncoder::<i32>::new(GeomType::Point);
                        for &(x, y) in pts {
                            e.add_point(x, y).unwrap();
                        }
                        e.encode().unwrap()
                    }
                    TileGeometry::Lines(lines) => {
                        let mut e = GeomEncoder::<i32>::new(GeomType::Linestring);
                        for line in lines {
                            for &(x, y) in line {
                                e.add_point(x, y).unwrap();
                            }
                            e.complete_geom().unwrap();
                        }
                        e.encode().unwrap()
                    }
                    TileGeometry::Polygons(polys) => {
                        let mut e = GeomEncoder::<i32>::new(GeomType::Polygon);
                        for ring in polys.iter().flatten() {
                            for &(x, y) in ring {
                                e.add_point(x, y).unwrap();
                            }
                            e.complete_geom().unwrap();
                        }
                        e.encode().unwrap()
                    }
                };
                let mut feature = layer.into_feature(data);
                feature.set_id(f.id);
                for (key, value) in f.properties {
                    use serde_json::Value;
                    match &value.to_json() {
                        Value::Null => {}
                        Value::Bool(b) => feature.add_tag_bool(key, *b),
                        Value::String(s) => feature.add_tag_string(key, s),
                        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                            (Some(i), _) => feature.add_tag_sint(key, i),
                            (None, Some(u)) => feature.add_tag_uint(key, u),
                            _ => feature.add_tag_double(key, n.as_f64().unwrap()),
                        },
                        nested => feature.add_tag_string(key, &nested.to_string()),
                    }
                }
                layer = feature.into_layer();
            }
            tile.add_layer(layer).unwrap();
        }
        tile.to_bytes().unwrap()
    }

    /// What a client reads: per layer, each feature's id, geometry and
    /// properties, decoded by `mvt-reader`.
    fn decoded(bytes: Vec<u8>) -> Vec<(String, Vec<String>)> {
        let reader = mvt_reader::Reader::new(bytes).unwrap();
        let names = reader.get_layer_names().unwrap();
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut features: Vec<String> = reader
                    .get_features(i)
                    .unwrap()
                    .into_iter()
                    .map(|f| {
                        let mut props: Vec<String> = f
                            .properties
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| format!("{k}={v:?}"))
                            .collect();
                        props.sort();
                        format!("{:?} {:?} {props:?}", f.id, f.geometry)
                    })
                    .collect();
                features.sort();
                (name.clone(), features)
            })
            .collect()
    }

    #[test]
    fn clients_read_what_the_mvt_crate_would_have_written() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: i64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as i32
        };
        // Most features from one table (values found by number), every
        // fifth from a table of its own (found by content).
        let mut table = crate::catalog::KeyTable::default();
        let props: Vec<Properties> = (0..40)
            .map(|i| {
                let v = serde_json::json!({
                    "name": format!("feature {}", i % 7),
                    "count": i - 20,
                    "big": u64::MAX - i as u64,
                    "share": f64::from(i) / 8.0,
                    "open": i % 3 == 0,
                    "missing": null,
                    "tags": ["a", i],
                });
                let map = v.as_object().unwrap().clone();
                if i % 5 == 0 {
                    Properties::from(map)
                } else {
                    table.properties(map)
                }
            })
            .collect();
        let mut features = Vec::new();
        for (i, p) in props.iter().enumerate() {
            let pt = |next: &mut dyn FnMut(i64) -> i32| (next(4224) - 64, next(4224) - 64);
            let geometry = match i % 3 {
                0 if i % 2 == 0 => TileGeometry::Point(pt(&mut next)),
                0 => TileGeometry::Points((0..1 + i % 4).map(|_| pt(&mut next)).collect()),
                1 => TileGeometry::Lines(vec![(0..2 + i % 5).map(|_| pt(&mut next)).collect()]),
                _ => {
                    let (x, y) = pt(&mut next);
                    let s = 1 + next(300);
                    let square = vec![(x, y), (x, y + s), (x + s, y + s), (x + s, y)];
                    TileGeometry::Polygons(vec![vec![square]])
                }
            };
            features.push(EncodeFeature {
                id: i as u64 * 977,
                geometry,
                properties: p,
            });
        }
        let (a, b): (Vec<_>, Vec<_>) = features.iter().partition(|f| f.id % 2 == 0);
        let layers = [("even", a), ("odd", b)];
        let ours = encode(&layers, 4096).unwrap();
        let theirs = reference(&layers, 4096);
        assert_eq!(decoded(ours), decoded(theirs));
    }

    #[test]
    fn a_feature_taken_back_leaves_the_layer_as_it_was() {
        // `a` and `b` from one table (values by number), `c` from another.
        let mut table = crate::catalog::KeyTable::default();
        let mut p = |v: serde_json::Value| table.properties(v.as_object().unwrap().clone());
        let a = p(serde_json::json!({"name": "a", "kind": "x"}));
        let b = p(serde_json::json!({"name": "b", "kind": "y", "extra": 3}));
        let c = Properties::from(
            serde_json::json!({"kind": "z", "name": "c"})
                .as_object()
                .unwrap()
                .clone(),
        );
        let feature = |id, properties| EncodeFeature {
            id,
            geometry: TileGeometry::Points(vec![(id as i32, 7)]),
            properties,
        };
        let (fa, fb, fc) = (feature(1, &a), feature(2, &b), feature(3, &c));
        let mut w = LayerWriter::new("l", 4096);
        w.push(&fa).unwrap();
        let mark = w.mark();
        let before = w.size();
        w.push(&fb).unwrap();
        assert!(w.size() > before);
        w.undo(mark);
        assert_eq!((w.size(), w.count()), (before, 1));
        w.push(&fc).unwrap();
        let size = w.size();
        let bytes = tile(vec![w]);
        assert_eq!(bytes.len(), size);
        assert_eq!(bytes, encode(&[("l", vec![&fa, &fc])], 4096).unwrap());
    }

    #[test]
    fn values_held_by_one_feature_are_written_as_if_looked_up() {
        // While the table lives it holds every shared value too; dropped,
        // values used by one feature have one holder and skip the lookup.
        let mut table = crate::catalog::KeyTable::default();
        let props: Vec<Properties> = (0..60)
            .map(|i| {
                let kind = ["a", "b", "c"][i % 3];
                let v = serde_json::json!({
                    "name": format!("n{i}"),
                    "kind": kind,
                    "n": i % 7,
                    "same": format!("n{}", i % 5),
                });
                table.properties(v.as_object().unwrap().clone())
            })
            .collect();
        let features: Vec<EncodeFeature> = props
            .iter()
            .enumerate()
            .map(|(i, p)| EncodeFeature {
                id: i as u64 + 1,
                geometry: TileGeometry::Points(vec![(i as i32, 9)]),
                properties: p,
            })
            .collect();
        let write = || {
            let mut w = LayerWriter::new("l", 4096);
            for (i, f) in features.iter().enumerate() {
                let mark = w.mark();
                w.push(f).unwrap();
                // Every third feature is taken back and written again.
                if i % 3 == 0 {
                    w.undo(mark);
                    w.push(f).unwrap();
                }
            }
            tile(vec![w])
        };
        let with_table = write();
        drop(table);
        let alone = props[6].numbered_alone().filter(|v| v.3).count();
        assert!(alone > 0, "some value should have one holder");
        let without = write();
        assert_eq!(with_table, without);
        let all: Vec<&EncodeFeature> = features.iter().collect();
        assert_eq!(decoded(without), decoded(reference(&[("l", all)], 4096)));
    }
}
