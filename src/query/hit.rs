//! One answer to a question: a feature, and how it relates to what was
//! asked about.

use crate::catalog::{Feature, Layer};
use std::fmt;

/// How a feature relates to a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Relation {
    /// Wholly inside the zone (its boundary may touch the zone's).
    Inside,
    /// Partly inside: their interiors meet, but some of it lies outside.
    Partly,
    /// Only the boundaries meet; nothing of the feature is inside.
    Touches,
}

impl Relation {
    /// The word used in every output: `inside`, `partly`, `touches`.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Inside => "inside",
            Relation::Partly => "partly",
            Relation::Touches => "touches",
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much of a feature lies in a zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Overlap {
    /// For polygons: the overlap's area and its share of the feature's.
    Area {
        /// Hectares.
        ha: f64,
        /// 0 to 1.
        fraction: f64,
    },
    /// For lines: the length inside and its share of the feature's.
    Length {
        /// Metres.
        m: f64,
        /// 0 to 1.
        fraction: f64,
    },
}

/// A feature in an answer.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    /// The feature's layer.
    pub layer: &'a Layer,
    /// The feature.
    pub feature: &'a Feature,
    /// For zone and point questions: how it relates.
    pub relation: Option<Relation>,
    /// For polygon and line features in a zone question: how much is inside.
    pub overlap: Option<Overlap>,
    /// For distance questions: geodesic metres.
    pub distance_m: Option<f64>,
}

impl<'a> Hit<'a> {
    /// A hit with nothing but the feature.
    pub fn new(layer: &'a Layer, feature: &'a Feature) -> Hit<'a> {
        Hit {
            layer,
            feature,
            relation: None,
            overlap: None,
            distance_m: None,
        }
    }
}
