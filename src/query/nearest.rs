//! "What is nearest?" and "what is within this distance?" — geodesic
//! distances in metres, candidates drawn from the R-tree in order of their
//! bounding boxes and stopped as soon as no further one can come closer.

use super::distance::distance_m;
use super::geodesic::{expand_by_metres, metres_lower_bound};
use super::target::find_layer;
use super::{check_lon_lat, Hit, QueryError, Target};
use crate::catalog::Catalog;
use geo::{Geometry, Point};

/// The most features a `nearest` question may ask for.
pub const MAX_K: usize = 10_000;
/// The farthest a `near` question may reach: half the equator.
pub const MAX_DISTANCE_M: f64 = 20_000_000.0;

/// The `k` features of `layer` nearest to `(lon, lat)`, nearest first
/// (ties by id), each with its geodesic distance in metres (0 inside).
pub fn nearest<'a>(
    catalog: &'a Catalog,
    layer: &str,
    lon: f64,
    lat: f64,
    k: usize,
) -> Result<Vec<Hit<'a>>, QueryError> {
    check_lon_lat(lon, lat)?;
    if k == 0 || k > MAX_K {
        return Err(QueryError::BadArgument(format!(
            "k = {k}: ask for 1 to {MAX_K} features"
        )));
    }
    let layer = find_layer(catalog, layer)?;
    let here = Geometry::Point(Point::new(lon, lat));
    let mut best: Vec<(f64, usize)> = Vec::new();
    for (i, box_d2) in layer.by_box_distance(lon, lat) {
        // No feature from here on can be nearer than its box.
        if best.len() >= k && metres_lower_bound(lat, box_d2.sqrt()) > best[k - 1].0 {
            break;
        }
        crate::limits::check()?;
        let d = distance_m(&here, &layer.features[i].geometry);
        best.push((d, i));
        best.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then_with(|| layer.features[a.1].id.cmp(&layer.features[b.1].id))
        });
    }
    best.truncate(k);
    Ok(best
        .into_iter()
        .map(|(d, i)| {
            let mut hit = Hit::new(layer, &layer.features[i]);
            hit.distance_m = Some(d);
            hit
        })
        .collect())
}

/// The features of `layer` within `distance` metres of `target`, nearest
/// first (ties by id), each with its geodesic distance. The target itself
/// is left out when it is a feature of the same layer.
pub fn near<'a>(
    catalog: &'a Catalog,
    layer: &str,
    target: &Target,
    distance: f64,
) -> Result<Vec<Hit<'a>>, QueryError> {
    if !(distance.is_finite() && (0.0..=MAX_DISTANCE_M).contains(&distance)) {
        return Err(QueryError::BadArgument(format!(
            "distance {distance} must be between 0 and {MAX_DISTANCE_M} metres"
        )));
    }
    let layer = find_layer(catalog, layer)?;
    let window = expand_by_metres(target.bbox, distance);
    let mut hits: Vec<Hit<'a>> = Vec::new();
    for i in layer.intersecting(window) {
        crate::limits::check()?;
        let feature = &layer.features[i];
        if target.is(layer.id(), &feature.id) {
            continue;
        }
        let d = distance_m(&target.geometry, &feature.geometry);
        if d <= distance {
            let mut hit = Hit::new(layer, feature);
            hit.distance_m = Some(d);
            hits.push(hit);
        }
    }
    hits.sort_by(|a, b| {
        a.distance_m
            .unwrap_or(0.0)
            .total_cmp(&b.distance_m.unwrap_or(0.0))
            .then_with(|| a.feature.id.cmp(&b.feature.id))
    });
    Ok(hits)
}
