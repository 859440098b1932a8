//! "Which features of a layer lie within this zone?" — wholly, and with
//! `partly` also those that cross or touch its edge, with how much of each
//! lies inside.

use super::geodesic::{area_m2, length_m};
use super::relate::Prepared;
use super::target::find_layer;
use super::{Hit, Overlap, QueryError, Relation, Target};
use crate::catalog::{Catalog, Feature, GeometryKind, Layer};
use geo::coordinate_position::CoordPos;
use geo::{BooleanOps, Geometry, MultiLineString, MultiPolygon, Rect};

/// The features of `layer` within `zone`, sorted by relation then id.
///
/// Without `partly`, only features wholly inside (relation `inside`). With
/// it, also those whose interior meets the zone's (`partly`) and those that
/// only touch its boundary (`touches`). Polygon and line features carry
/// their overlap: area in hectares or length in metres, and the share of
/// the feature. When the zone is itself a feature of `layer`, it is left
/// out of its own answer.
pub fn within<'a>(
    catalog: &'a Catalog,
    layer: &str,
    zone: &Target,
    partly: bool,
) -> Result<Vec<Hit<'a>>, QueryError> {
    let layer = find_layer(catalog, layer)?;
    let zone_area = polygonal(&zone.geometry)
        .ok_or_else(|| QueryError::ZoneNotPolygon(type_name(&zone.geometry).to_string()))?;
    let prepared = Prepared::zone(catalog, zone);

    let points = layer.meta.geometry == GeometryKind::Point;
    let mut found = Vec::new();
    for (n, (i, bbox)) in layer.index.intersecting_boxes(zone.bbox).enumerate() {
        if n % 64 == 0 {
            crate::limits::check()?;
        }
        if let Some(relation) = place(&prepared, zone, layer, i, bbox, points, partly) {
            found.push((relation, layer.id_order(i), i as u32));
        }
    }
    // Sorted as small keys, then each hit made once, in order.
    found.sort_unstable();
    let mut hits = Vec::with_capacity(found.len());
    for (relation, _, i) in found {
        let feature = &layer.features[i as usize];
        let mut hit = Hit::new(layer, feature);
        hit.relation = Some(relation);
        // A point has no overlap, and its feature need not be read for it.
        if !points {
            crate::limits::check()?;
            hit.overlap = overlap(feature, &zone_area, relation);
        }
        hits.push(hit);
    }
    Ok(hits)
}

/// How feature `i` of `layer`, whose box is `bbox`, relates to the zone;
/// `None` when it is not part of the answer.
///
/// Most candidates are placed from their box alone, without reading the
/// feature: in a layer of points, a box that is a single position is that
/// point (or several copies of it, which relate alike); any box that lies
/// where the zone's grid has no edge is wholly inside or wholly outside.
/// Of the rest, a line or an area whose lines never meet the zone's
/// boundary is placed by one vertex a part; only what is left is related
/// in full.
fn place(
    prepared: &Prepared,
    zone: &Target,
    layer: &Layer,
    i: usize,
    bbox: Rect<f64>,
    points: bool,
    partly: bool,
) -> Option<Relation> {
    let position = if points && bbox.min() == bbox.max() {
        prepared.locate_point(bbox.min())
    } else {
        prepared.locate_box(bbox)
    };
    let feature = &layer.features[i];
    let position = position.or_else(|| {
        if zone.is(layer.id(), &feature.id) {
            // Not part of its own answer.
            return Some(CoordPos::Outside);
        }
        prepared.locate_apart(&feature.geometry)
    });
    match position {
        Some(CoordPos::Inside) => return Some(Relation::Inside),
        Some(CoordPos::OnBoundary) => return partly.then_some(Relation::Touches),
        Some(CoordPos::Outside) => return None,
        None => {}
    }
    // The matrix is zone-vs-feature: the feature is within the zone when
    // the zone contains it.
    let matrix = prepared.relate(&feature.geometry);
    if matrix.is_contains() {
        Some(Relation::Inside)
    } else if !matrix.is_intersects() || !partly {
        None
    } else if matrix.is_touches() {
        Some(Relation::Touches)
    } else {
        Some(Relation::Partly)
    }
}

/// How much of `feature` lies in `zone`; `None` for points.
fn overlap(feature: &Feature, zone: &MultiPolygon<f64>, relation: Relation) -> Option<Overlap> {
    match &feature.geometry {
        g @ (Geometry::Polygon(_) | Geometry::MultiPolygon(_)) => {
            let total = area_m2(g);
            let inside = match relation {
                Relation::Inside => total,
                Relation::Touches => 0.0,
                Relation::Partly => {
                    let part = polygonal(g)?.intersection(zone);
                    area_m2(&Geometry::MultiPolygon(part)).min(total)
                }
            };
            Some(Overlap::Area {
                ha: inside / 10_000.0,
                fraction: ratio(inside, total),
            })
        }
        g @ (Geometry::LineString(_) | Geometry::MultiLineString(_)) => {
            let total = length_m(g);
            let inside = match relation {
                Relation::Inside => total,
                Relation::Touches => 0.0,
                Relation::Partly => {
                    let lines = match g {
                        Geometry::LineString(l) => MultiLineString::new(vec![l.clone()]),
                        Geometry::MultiLineString(m) => m.clone(),
                        _ => return None,
                    };
                    let part = zone.clip(&lines, false);
                    length_m(&Geometry::MultiLineString(part)).min(total)
                }
            };
            Some(Overlap::Length {
                m: inside,
                fraction: ratio(inside, total),
            })
        }
        _ => None,
    }
}

fn ratio(part: f64, total: f64) -> f64 {
    if total > 0.0 {
        (part / total).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The geometry as a multipolygon, when it is an area.
pub(crate) fn polygonal(g: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon::new(vec![p.clone()])),
        Geometry::MultiPolygon(mp) => Some(mp.clone()),
        Geometry::Rect(r) => Some(MultiPolygon::new(vec![r.to_polygon()])),
        _ => None,
    }
}

/// The GeoJSON type name of a geometry, for messages.
pub(crate) fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}
