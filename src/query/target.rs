//! What a question is asked about: a feature of the catalog named by
//! reference (`reservoir_zones/zone-1`), a GeoJSON geometry, or a point.

use super::QueryError;
use crate::catalog::{parse_geometry, Catalog, Layer};
use geo::{BoundingRect, Geometry, Point, Rect};
use serde_json::Value;

/// The subject of a question, resolved to geometry.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its geometry, WGS84 lon/lat.
    pub geometry: Geometry<f64>,
    /// Its bounding box.
    pub bbox: Rect<f64>,
    /// The `(layer, id)` it came from, when it is a catalog feature.
    pub feature: Option<(String, String)>,
}

impl Target {
    /// Reads a target written as `layer/id` or as GeoJSON text (a
    /// geometry, a feature, or a collection of exactly one feature).
    pub fn parse(catalog: &Catalog, spec: &str) -> Result<Target, QueryError> {
        let spec = spec.trim();
        if spec.starts_with('{') {
            let value: Value = serde_json::from_str(spec)
                .map_err(|e| QueryError::BadGeometry(format!("malformed JSON: {e}")))?;
            return Target::from_geojson(&value);
        }
        match spec.split_once('/') {
            Some((layer, id)) if !layer.is_empty() && !id.is_empty() => {
                Target::feature(catalog, layer, id)
            }
            _ => Err(QueryError::BadReference(spec.to_string())),
        }
    }

    /// The catalog feature `layer/id`.
    pub fn feature(catalog: &Catalog, layer: &str, id: &str) -> Result<Target, QueryError> {
        let f =
            find_layer(catalog, layer)?
                .feature(id)
                .ok_or_else(|| QueryError::UnknownFeature {
                    layer: layer.to_string(),
                    id: id.to_string(),
                })?;
        Ok(Target {
            geometry: f.geometry.clone(),
            bbox: f.bbox,
            feature: Some((layer.to_string(), id.to_string())),
        })
    }

    /// A GeoJSON geometry, feature, or collection of exactly one feature.
    pub fn from_geojson(value: &Value) -> Result<Target, QueryError> {
        let geometry_value =
            match value.get("type").and_then(Value::as_str) {
                Some("Feature") => value.get("geometry").unwrap_or(&Value::Null),
                Some("FeatureCollection") => match value.get("features").and_then(Value::as_array) {
                    Some(fs) if fs.len() == 1 => fs[0].get("geometry").unwrap_or(&Value::Null),
                    _ => return Err(QueryError::BadGeometry(
                        "a FeatureCollection must hold exactly one feature to serve as a geometry"
                            .into(),
                    )),
                },
                _ => value,
            };
        let geometry = parse_geometry(geometry_value).map_err(|problems| {
            QueryError::BadGeometry(
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        Target::from_geometry(geometry)
    }

    /// A geometry already in memory.
    pub fn from_geometry(geometry: Geometry<f64>) -> Result<Target, QueryError> {
        let bbox = geometry
            .bounding_rect()
            .ok_or_else(|| QueryError::BadGeometry("the geometry is empty".into()))?;
        Ok(Target {
            geometry,
            bbox,
            feature: None,
        })
    }

    /// A point, checked to be a longitude and a latitude.
    pub fn point(lon: f64, lat: f64) -> Result<Target, QueryError> {
        check_lon_lat(lon, lat)?;
        Target::from_geometry(Geometry::Point(Point::new(lon, lat)))
    }

    /// Whether the target is `layer/id` itself.
    pub fn is(&self, layer: &str, id: &str) -> bool {
        self.feature
            .as_ref()
            .is_some_and(|(l, i)| l == layer && i == id)
    }
}

/// Checks that `lon`, `lat` are a WGS84 longitude and latitude.
pub fn check_lon_lat(lon: f64, lat: f64) -> Result<(), QueryError> {
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(QueryError::BadArgument(format!(
            "longitude {lon} is outside -180..180"
        )));
    }
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(QueryError::BadArgument(format!(
            "latitude {lat} is outside -90..90"
        )));
    }
    Ok(())
}

/// The layer with this id, or an error that lists the layers there are.
pub(crate) fn find_layer<'a>(catalog: &'a Catalog, id: &str) -> Result<&'a Layer, QueryError> {
    catalog.layer(id).ok_or_else(|| QueryError::UnknownLayer {
        layer: id.to_string(),
        known: catalog.layer_ids(),
    })
}
