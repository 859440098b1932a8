//! What can be wrong with a question: said so the asker knows what to fix.

/// A question that cannot be answered as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// No layer has this id.
    #[error("no layer `{layer}`; the layers are: {known}")]
    UnknownLayer {
        /// The id asked for.
        layer: String,
        /// The ids there are, comma-separated.
        known: String,
    },
    /// The layer has no feature with this id.
    #[error("layer `{layer}` has no feature `{id}`")]
    UnknownFeature {
        /// The layer.
        layer: String,
        /// The id asked for.
        id: String,
    },
    /// A reference that is not `layer/id` nor a GeoJSON geometry.
    #[error("`{0}` is neither a feature reference (`layer/id`, e.g. `reservoir_zones/zone-1`) nor a GeoJSON geometry")]
    BadReference(String),
    /// A GeoJSON geometry that is malformed or invalid.
    #[error("invalid geometry: {0}")]
    BadGeometry(String),
    /// A zone that is not an area.
    #[error("a zone must be a Polygon or MultiPolygon, not a {0}")]
    ZoneNotPolygon(String),
    /// A parameter out of its range.
    #[error("{0}")]
    BadArgument(String),
    /// The request's deadline passed, or its client left.
    #[error(transparent)]
    Stopped(#[from] crate::limits::Stopped),
}
