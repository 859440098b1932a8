//! The features the program builds, with the properties every layer's
//! features carry (see `geodata/SOURCES.md` and the manifest format).

use geo::Geometry;
use serde_json::{Map, Value};

/// How far a feature's geometry can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accuracy {
    /// Geometry as the public source publishes it.
    Source,
    /// A real place, placed by hand near where it is.
    Approximate,
    /// Drawn or derived by code to stand in for what no public source has.
    Illustrative,
}

impl Accuracy {
    pub fn as_str(self) -> &'static str {
        match self {
            Accuracy::Source => "source",
            Accuracy::Approximate => "approximate",
            Accuracy::Illustrative => "illustrative",
        }
    }
}

/// One output feature: geometry in WGS84 lon/lat and its properties.
#[derive(Clone, Debug)]
pub struct Feature {
    pub geometry: Geometry,
    pub props: Map<String, Value>,
}

impl Feature {
    /// A feature with the properties that every feature must carry.
    pub fn new(
        geometry: impl Into<Geometry>,
        id: &str,
        name_zh: &str,
        name_en: &str,
        source: &str,
        accuracy: Accuracy,
        note: &str,
    ) -> Self {
        let mut props = Map::new();
        props.insert("id".into(), id.into());
        props.insert("name_zh".into(), name_zh.into());
        props.insert("name_en".into(), name_en.into());
        props.insert("source".into(), source.into());
        props.insert("accuracy".into(), accuracy.as_str().into());
        props.insert("note".into(), note.into());
        Feature {
            geometry: geometry.into(),
            props,
        }
    }

    /// Add (or replace) one property.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.props.insert(key.into(), value.into());
        self
    }
}
