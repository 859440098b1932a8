//! "What is here?" — every feature of every layer at a point: which rules
//! apply to this plot.

use super::distance::distance_m;
use super::geodesic::expand_by_metres;
use super::target::find_layer;
use super::{check_lon_lat, Hit, QueryError, Relation};
use crate::catalog::{Catalog, Layer};
use geo::{Geometry, Point, Rect, Relate};

/// The features at `(lon, lat)`, in layer order then id.
///
/// A feature is at the point when the point lies in it (`inside`) or on its
/// boundary (`touches`). With a `tolerance_m` above zero, features that
/// many metres away or closer are included too, with their distance; that
/// is how points and lines are found, since a point rarely falls exactly on
/// them. `layers` limits the search; empty means all layers.
pub fn at<'a>(
    catalog: &'a Catalog,
    lon: f64,
    lat: f64,
    layers: &[String],
    tolerance_m: f64,
) -> Result<Vec<Hit<'a>>, QueryError> {
    check_lon_lat(lon, lat)?;
    if !(tolerance_m.is_finite() && tolerance_m >= 0.0) {
        return Err(QueryError::BadArgument(format!(
            "tolerance {tolerance_m} must be a distance in metres, 0 or more"
        )));
    }
    let selected: Vec<&Layer> = if layers.is_empty() {
        catalog.layers().iter().map(|l| &**l).collect()
    } else {
        layers
            .iter()
            .map(|id| find_layer(catalog, id))
            .collect::<Result<_, _>>()?
    };
    let point = Point::new(lon, lat);
    let here = Geometry::Point(point);
    let window = expand_by_metres(Rect::new(point.0, point.0), tolerance_m);

    let mut hits = Vec::new();
    for layer in catalog.layers() {
        if !selected.iter().any(|s| std::ptr::eq(*s, &**layer)) {
            continue;
        }
        let mut found = Vec::new();
        for i in layer.intersecting(window) {
            let feature = &layer.features[i];
            let matrix = super::relate::fenced(|| point.relate(&feature.geometry))?;
            let mut hit = Hit::new(layer, feature);
            if matrix.is_within() {
                hit.relation = Some(Relation::Inside);
            } else if matrix.is_intersects() {
                hit.relation = Some(Relation::Touches);
            } else if tolerance_m > 0.0 {
                let d = distance_m(&here, &feature.geometry);
                if d > tolerance_m {
                    continue;
                }
                hit.distance_m = Some(d);
            } else {
                continue;
            }
            if tolerance_m > 0.0 && hit.distance_m.is_none() {
                hit.distance_m = Some(0.0);
            }
            found.push(hit);
        }
        found.sort_by(|a, b| a.feature.id.cmp(&b.feature.id));
        hits.extend(found);
    }
    Ok(hits)
}
