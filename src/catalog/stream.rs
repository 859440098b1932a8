//! A layer file's features read straight from the bytes, with no JSON tree
//! in between: each feature's members are picked out as they come, its
//! properties go into the layer's [`KeyTable`], and its coordinates into a
//! flat list of tokens that is reused from feature to feature. A feature
//! that is well formed (nearly all of them) then becomes a geometry without
//! any further allocation than the geometry's own; one that is not is
//! rebuilt as JSON and checked by the same code as a geometry a user sends,
//! so that every problem is worded the same way whatever the path.

use super::properties::{KeyTable, PropValue, Properties};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Number, Value};
use std::fmt;

/// What a feature held, as far as loading needs it.
#[derive(Default)]
pub(super) struct RawFeature {
    /// The `id` member.
    pub id: Option<Value>,
    pub geometry: RawGeometry,
    pub properties: RawProperties,
}

/// A feature's `geometry` member.
#[derive(Default)]
pub(super) enum RawGeometry {
    /// Missing or `null`.
    #[default]
    None,
    /// An object: its `type`, and whether it had `coordinates` (which are
    /// in the token list the feature was read with).
    Object {
        kind: Option<Value>,
        coordinates: bool,
    },
    /// Anything else (which has no `type`, and so is the wrong kind).
    Other,
}

/// A feature's `properties` member.
#[derive(Default)]
pub(super) enum RawProperties {
    /// Missing or `null`.
    #[default]
    None,
    Object(Properties),
    /// Anything else, as it was.
    Other(Value),
}

impl RawProperties {
    /// The value of `key`, if the properties are an object that has it.
    pub fn get(&self, key: &str) -> Option<&PropValue> {
        match self {
            RawProperties::Object(p) => p.get(key),
            _ => None,
        }
    }
}

/// One piece of a `coordinates` member, in document order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// `[`
    Open,
    /// `]`
    Close,
    Num(Number),
    /// Anything that has no place in coordinates (a string, an object…),
    /// kept for the message.
    Other(Value),
}

/// Reads one feature, its coordinates into `toks` (cleared first).
pub(super) struct FeatureSeed<'a> {
    pub keys: &'a mut KeyTable,
    pub toks: &'a mut Vec<Tok>,
}

impl<'de> DeserializeSeed<'de> for FeatureSeed<'_> {
    type Value = RawFeature;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawFeature, D::Error> {
        self.toks.clear();
        d.deserialize_any(self)
    }
}

/// The members a feature or geometry object may have that loading reads.
enum Member {
    Id,
    Geometry,
    Properties,
    Type,
    Coordinates,
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Member, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Member;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Member, E> {
                Ok(match s {
                    "id" => Member::Id,
                    "geometry" => Member::Geometry,
                    "properties" => Member::Properties,
                    "type" => Member::Type,
                    "coordinates" => Member::Coordinates,
                    _ => Member::Other,
                })
            }
        }
        d.deserialize_str(Name)
    }
}

impl<'de> Visitor<'de> for FeatureSeed<'_> {
    type Value = RawFeature;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON feature")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFeature, A::Error> {
        let mut raw = RawFeature::default();
        while let Some(member) = map.next_key::<Member>()? {
            match member {
                Member::Id => raw.id = Some(map.next_value()?),
                Member::Geometry => {
                    raw.geometry = map.next_value_seed(GeometrySeed {
                        toks: &mut *self.toks,
                    })?
                }
                Member::Properties => {
                    raw.properties = map.next_value_seed(PropertiesSeed {
                        keys: &mut *self.keys,
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(raw)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawFeature, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawFeature::default())
    }

    // Anything but an object is a feature with no members.
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<RawFeature, E> {
        Ok(RawFeature::default())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<RawFeature, E> {
        Ok(RawFeature::default())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<RawFeature, E> {
        Ok(RawFeature::default())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<RawFeature, E> {
        Ok(RawFeature::default())
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<RawFeature, E> {
        Ok(RawFeature::default())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<RawFeature, E> {
        Ok(RawFeature::default())
    }
}

/// A feature's `geometry` member.
struct GeometrySeed<'a> {
    toks: &'a mut Vec<Tok>,
}

impl<'de> DeserializeSeed<'de> for GeometrySeed<'_> {
    type Value = RawGeometry;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawGeometry, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GeometrySeed<'_> {
    type Value = RawGeometry;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON geometry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawGeometry, A::Error> {
        let (mut kind, mut coordinates) = (None, false);
        while let Some(member) = map.next_key::<Member>()? {
            match member {
                Member::Type => kind = Some(map.next_value()?),
                Member::Coordinates => {
                    self.toks.clear();
                    map.next_value_seed(CoordsSeed {
                        toks: &mut *self.toks,
                    })?;
                    coordinates = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(RawGeometry::Object { kind, coordinates })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawGeometry, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawGeometry::Other)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<RawGeometry, E> {
        Ok(RawGeometry::None)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<RawGeometry, E> {
        Ok(RawGeometry::Other)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<RawGeometry, E> {
        Ok(RawGeometry::Other)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<RawGeometry, E> {
        Ok(RawGeometry::Other)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<RawGeometry, E> {
        Ok(RawGeometry::Other)
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<RawGeometry, E> {
        Ok(RawGeometry::Other)
    }
}

/// A feature's `properties` member.
struct PropertiesSeed<'a> {
    keys: &'a mut KeyTable,
}

impl<'de> DeserializeSeed<'de> for PropertiesSeed<'_> {
    type Value = RawProperties;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawProperties, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PropertiesSeed<'_> {
    type Value = RawProperties;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or null")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawProperties, A::Error> {
        let properties = self
            .keys
            .read(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(RawProperties::Object(properties))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawProperties, A::Error> {
        let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(RawProperties::Other(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<RawProperties, E> {
        Ok(RawProperties::None)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RawProperties, E> {
        Ok(RawProperties::Other(Value::Bool(v)))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawProperties, E> {
        Ok(RawProperties::Other(Value::from(v)))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawProperties, E> {
        Ok(RawProperties::Other(Value::from(v)))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawProperties, E> {
        Ok(RawProperties::Other(Value::from(v)))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawProperties, E> {
        Ok(RawProperties::Other(Value::String(v.to_string())))
    }
}

/// A `coordinates` member, as tokens.
struct CoordsSeed<'a> {
    toks: &'a mut Vec<Tok>,
}

impl<'de> DeserializeSeed<'de> for CoordsSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CoordsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("GeoJSON coordinates")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.toks.push(Tok::Open);
        while seq
            .next_element_seed(CoordsSeed {
                toks: &mut *self.toks,
            })?
            .is_some()
        {}
        self.toks.push(Tok::Close);
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.toks.push(Tok::Num(v.into()));
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.toks.push(Tok::Num(v.into()));
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        match Number::from_f64(v) {
            Some(n) => self.toks.push(Tok::Num(n)),
            None => self.toks.push(Tok::Other(Value::Null)),
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.toks.push(Tok::Other(v));
        Ok(())
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        self.toks.push(Tok::Other(Value::Bool(v)));
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.toks.push(Tok::Other(Value::String(v.to_string())));
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.toks.push(Tok::Other(Value::Null));
        Ok(())
    }
}

/// The tokens as the JSON they were read from.
pub(super) fn rebuild(toks: &[Tok]) -> Value {
    fn one(toks: &[Tok], i: &mut usize) -> Value {
        let Some(t) = toks.get(*i) else {
            return Value::Null;
        };
        *i += 1;
        match t {
            Tok::Open => {
                let mut items = Vec::new();
                while *i < toks.len() && toks[*i] != Tok::Close {
                    items.push(one(toks, i));
                }
                *i += 1;
                Value::Array(items)
            }
            Tok::Close => Value::Null,
            Tok::Num(n) => Value::Number(n.clone()),
            Tok::Other(v) => v.clone(),
        }
    }
    one(toks, &mut 0)
}

/// The geometry of GeoJSON type `kind` from its coordinates' tokens, when
/// they are well formed and pass the checks of a layer file: positions of
/// two or more finite numbers, longitude and latitude in range, lines with
/// two distinct positions, rings that `ring_ok` accepts. `None` for
/// anything else, which the caller then checks the slow way for its
/// message. Polygons' validity is the caller's to check.
pub(super) fn geometry(
    kind: &str,
    toks: &[Tok],
    ring_ok: impl Fn(&[Coord<f64>]) -> bool,
) -> Option<Geometry<f64>> {
    let mut c = Cursor { toks, at: 0 };
    let g = match kind {
        "Point" => Geometry::Point(Point(c.position()?)),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(c.list(|c| c.position().map(Point))?)),
        "LineString" => Geometry::LineString(c.line()?),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(c.list(Cursor::line)?)),
        "Polygon" => Geometry::Polygon(c.polygon(&ring_ok)?),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(c.list(|c| c.polygon(&ring_ok))?)),
        _ => return None,
    };
    (c.at == toks.len()).then_some(g)
}

struct Cursor<'t> {
    toks: &'t [Tok],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, t: &Tok) -> Option<()> {
        (self.toks.get(self.at) == Some(t)).then(|| self.at += 1)
    }

    fn num(&mut self) -> Option<f64> {
        match self.toks.get(self.at) {
            Some(Tok::Num(n)) => {
                self.at += 1;
                n.as_f64()
            }
            _ => None,
        }
    }

    /// `[x, y, …]`, finite and in range.
    fn position(&mut self) -> Option<Coord<f64>> {
        self.take(&Tok::Open)?;
        let (x, y) = (self.num()?, self.num()?);
        while self.take(&Tok::Close).is_none() {
            self.num()?;
        }
        let ok = x.is_finite()
            && y.is_finite()
            && (-180.0..=180.0).contains(&x)
            && (-90.0..=90.0).contains(&y);
        ok.then_some(Coord { x, y })
    }

    /// `[item, …]`.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.take(&Tok::Open)?;
        let mut out = Vec::new();
        while self.take(&Tok::Close).is_none() {
            out.push(item(self)?);
        }
        Some(out)
    }

    fn line(&mut self) -> Option<LineString<f64>> {
        let coords = self.list(Cursor::position)?;
        (super::load::distinct_at_least(&coords, 2)).then_some(LineString(coords))
    }

    fn polygon(&mut self, ring_ok: &impl Fn(&[Coord<f64>]) -> bool) -> Option<Polygon<f64>> {
        let mut rings = self
            .list(|c| {
                let ring = c.list(Cursor::position)?;
                ring_ok(&ring).then_some(ring)
            })?
            .into_iter();
        let exterior = LineString(rings.next()?);
        Some(Polygon::new(exterior, rings.map(LineString).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::parse_geometry;
    use proptest::prelude::*;
    use serde_json::json;

    /// The tokens of `coordinates`, read as a layer file's would be.
    fn tokens(coordinates: &Value) -> Vec<Tok> {
        let text = coordinates.to_string();
        let mut toks = Vec::new();
        let mut de = serde_json::Deserializer::from_str(&text);
        CoordsSeed { toks: &mut toks }.deserialize(&mut de).unwrap();
        toks
    }

    /// The fast path, with the slow path's ring check.
    fn fast(kind: &str, coordinates: &Value) -> Option<Geometry<f64>> {
        let toks = tokens(coordinates);
        assert_eq!(rebuild(&toks), *coordinates, "tokens read back");
        geometry(kind, &toks, |ring| {
            let mut problems = Vec::new();
            super::super::load::check_ring("", ring, &mut problems);
            problems.is_empty()
        })
    }

    /// What a layer file's geometry becomes the fast way, it becomes the
    /// slow way too; and what the slow way accepts, the fast way does not
    /// refuse (so every problem is found by one set of checks).
    fn agree(kind: &str, coordinates: Value) -> Result<(), TestCaseError> {
        let slow = parse_geometry(&json!({"type": kind, "coordinates": coordinates}));
        match fast(kind, &coordinates) {
            Some(g) => {
                let polygonal = matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_));
                match slow {
                    Ok(s) => prop_assert_eq!(g, s),
                    // Only validity is left to the caller.
                    Err(problems) => prop_assert!(
                        polygonal
                            && problems
                                .iter()
                                .all(|p| matches!(p, crate::catalog::ProblemKind::InvalidPolygon(_))),
                        "{kind} {coordinates}: fast path accepted what the slow path refused: {problems:?}"
                    ),
                }
            }
            None => prop_assert!(
                slow.is_err(),
                "{kind} {coordinates}: fast path refused what the slow path accepts"
            ),
        }
        Ok(())
    }

    /// A number from a small set that includes out-of-range and repeated
    /// values, so that degenerate lines and rings come up often.
    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            (0..4i32).prop_map(|i| json!(i)),
            (0..4i32).prop_map(|i| json!(f64::from(i) + 0.5)),
            Just(json!(200.5)),
            Just(json!(-95)),
            Just(json!("1")),
            Just(json!(null)),
        ]
    }

    fn position() -> impl Strategy<Value = Value> {
        prop_oneof![
            8 => (0..4i32, 0..4i32).prop_map(|(x, y)| json!([x, y])),
            2 => prop::collection::vec(number(), 0..4).prop_map(Value::Array),
            1 => number(),
        ]
    }

    fn ring() -> impl Strategy<Value = Value> {
        prop_oneof![
            // Closed: the first position repeated.
            3 => prop::collection::vec(position(), 1..7).prop_map(|mut p| {
                p.push(p[0].clone());
                Value::Array(p)
            }),
            1 => prop::collection::vec(position(), 0..6).prop_map(Value::Array),
            1 => position(),
        ]
    }

    fn nested(inner: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => prop::collection::vec(inner, 0..4).prop_map(Value::Array),
            1 => number(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]

        #[test]
        fn points_agree(c in position()) {
            agree("Point", c)?;
        }

        #[test]
        fn multipoints_agree(c in nested(position())) {
            agree("MultiPoint", c)?;
        }

        #[test]
        fn lines_agree(c in nested(position())) {
            agree("LineString", c)?;
        }

        #[test]
        fn multilines_agree(c in nested(nested(position()))) {
            agree("MultiLineString", c)?;
        }

        #[test]
        fn polygons_agree(c in nested(ring())) {
            agree("Polygon", c)?;
        }

        #[test]
        fn multipolygons_agree(c in nested(nested(ring()))) {
            agree("MultiPolygon", c)?;
        }
    }

    #[test]
    fn a_valid_polygon_with_a_hole_comes_through_whole() {
        let c = json!([
            [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
            [[2, 2], [2, 4], [4, 4], [4, 2], [2, 2]]
        ]);
        let g = fast("Polygon", &c).unwrap();
        let Geometry::Polygon(p) = &g else {
            panic!("{g:?}")
        };
        assert_eq!(p.interiors().len(), 1);
        assert_eq!(p.exterior().0.len(), 5);
        // Three numbers a position: the height is dropped, as GeoJSON allows.
        assert_eq!(
            fast("Point", &json!([116.5, 40.25, 150])),
            Some(Geometry::Point(Point::new(116.5, 40.25)))
        );
        // Anything after the coordinates is refused.
        assert_eq!(fast("Point", &json!([[1, 2]])), None);
        assert_eq!(fast("Curve", &json!([1, 2])), None);
    }
}
