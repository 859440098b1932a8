//! A layer's queryables: the properties a filter may name, with their types
//! derived from the data, and the spatial queryable `geometry`.
//! Spec: OGC API Features Part 3, "Queryables"
//! (<https://docs.ogc.org/is/19-079r2/19-079r2.html#queryables>).

use crate::catalog::{Feature, Layer, PropValue};
use geo::Geometry;
use std::collections::{BTreeMap, BTreeSet};

/// The type of a queryable property, as JSON Schema names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryableType {
    /// Text.
    String,
    /// Whole numbers only.
    Integer,
    /// Numbers, some with a fraction.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Values of more than one type across the layer's features.
    Mixed,
}

impl QueryableType {
    /// The JSON Schema `type`, or `None` for mixed values.
    pub fn json_type(self) -> Option<&'static str> {
        match self {
            QueryableType::String => Some("string"),
            QueryableType::Integer => Some("integer"),
            QueryableType::Number => Some("number"),
            QueryableType::Boolean => Some("boolean"),
            QueryableType::Mixed => None,
        }
    }

    /// Whether values compare as numbers.
    pub fn is_numeric(self) -> bool {
        matches!(self, QueryableType::Integer | QueryableType::Number)
    }

    fn of(value: &PropValue) -> Option<QueryableType> {
        match value {
            PropValue::Null => None,
            PropValue::Bool(_) => Some(QueryableType::Boolean),
            PropValue::Int(_) | PropValue::UInt(_) => Some(QueryableType::Integer),
            PropValue::Float(_) => Some(QueryableType::Number),
            PropValue::Text(_) => Some(QueryableType::String),
            PropValue::Nested(_) => Some(QueryableType::Mixed),
        }
    }

    fn join(self, other: QueryableType) -> QueryableType {
        use QueryableType::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Integer, Number) | (Number, Integer) => Number,
            _ => Mixed,
        }
    }
}

/// The queryables of one layer.
#[derive(Debug, Clone)]
pub struct Queryables {
    properties: BTreeMap<String, QueryableType>,
    geometry_format: &'static str,
}

impl Queryables {
    /// The name of the spatial queryable: the feature's geometry.
    pub const GEOMETRY: &'static str = "geometry";

    /// Every property any feature of the layer carries (plus `id`, the
    /// feature id, when no property has that name), typed by its values;
    /// and the geometry, typed by the kinds the features have.
    pub fn of(layer: &Layer) -> Queryables {
        let mut properties: BTreeMap<String, QueryableType> = BTreeMap::new();
        let mut kinds: BTreeSet<&'static str> = BTreeSet::new();
        for f in layer.iter() {
            kinds.insert(kind(&f.geometry));
            for (k, v) in &f.properties {
                if k == Self::GEOMETRY {
                    continue;
                }
                match (QueryableType::of(v), properties.get_mut(k)) {
                    (Some(t), Some(seen)) => *seen = seen.join(t),
                    (Some(t), None) => {
                        properties.insert(k.to_string(), t);
                    }
                    (None, _) => {}
                }
            }
        }
        properties
            .entry("id".to_string())
            .or_insert(QueryableType::String);
        Queryables {
            properties,
            geometry_format: geometry_format(&kinds),
        }
    }

    /// The type of property `name`; `None` when it is no queryable (or is
    /// the geometry).
    pub fn get(&self, name: &str) -> Option<QueryableType> {
        self.properties.get(name).copied()
    }

    /// The properties and their types, by name.
    pub fn properties(&self) -> impl Iterator<Item = (&str, QueryableType)> {
        self.properties.iter().map(|(k, t)| (k.as_str(), *t))
    }

    /// The JSON Schema `format` of the geometry, as Part 3 spells it:
    /// `geometry-point`, `geometry-polygon-or-multipolygon`, `geometry-any`…
    pub fn geometry_format(&self) -> &'static str {
        self.geometry_format
    }

    /// Every queryable, `geometry` first, comma-separated: for messages.
    pub fn names(&self) -> String {
        std::iter::once(Self::GEOMETRY)
            .chain(self.properties.keys().map(String::as_str))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The value of property `name` of a feature: the property, or for `id`
/// with no such property, the feature's id.
pub(super) fn property<'a>(feature: &'a Feature, name: &str) -> Option<PropertyValue<'a>> {
    match feature.properties.get(name) {
        Some(v) => Some(PropertyValue::Json(v)),
        None if name == "id" => Some(PropertyValue::Id(&feature.id)),
        None => None,
    }
}

/// A property's value, borrowed from the feature.
pub(super) enum PropertyValue<'a> {
    /// From the GeoJSON properties.
    Json(&'a PropValue),
    /// The feature's own id.
    Id(&'a str),
}

fn kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "point",
        Geometry::MultiPoint(_) => "multipoint",
        Geometry::Line(_) | Geometry::LineString(_) => "linestring",
        Geometry::MultiLineString(_) => "multilinestring",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "polygon",
        Geometry::MultiPolygon(_) => "multipolygon",
        Geometry::GeometryCollection(_) => "geometrycollection",
    }
}

fn geometry_format(kinds: &BTreeSet<&'static str>) -> &'static str {
    let kinds: Vec<&str> = kinds.iter().copied().collect();
    match kinds.as_slice() {
        ["point"] => "geometry-point",
        ["multipoint"] => "geometry-multipoint",
        ["multipoint", "point"] => "geometry-point-or-multipoint",
        ["linestring"] => "geometry-linestring",
        ["multilinestring"] => "geometry-multilinestring",
        ["linestring", "multilinestring"] => "geometry-linestring-or-multilinestring",
        ["polygon"] => "geometry-polygon",
        ["multipolygon"] => "geometry-multipolygon",
        ["multipolygon", "polygon"] => "geometry-polygon-or-multipolygon",
        _ => "geometry-any",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_join() {
        use QueryableType::*;
        assert_eq!(Integer.join(Number), Number);
        assert_eq!(String.join(String), String);
        assert_eq!(String.join(Integer), Mixed);
    }

    #[test]
    fn formats_follow_the_kinds() {
        let set = |k: &[&'static str]| k.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(geometry_format(&set(&["point"])), "geometry-point");
        assert_eq!(
            geometry_format(&set(&["polygon", "multipolygon"])),
            "geometry-polygon-or-multipolygon"
        );
        assert_eq!(geometry_format(&set(&["point", "polygon"])), "geometry-any");
    }
}
