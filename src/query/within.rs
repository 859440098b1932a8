//! "Which features of a layer lie within this zone?" — wholly, and with
//! `partly` also those that cross or touch its edge, with how much of each
//! lies inside.

use super::geodesic::{area_m2, length_m};
use super::relate::Prepared;
use super::target::find_layer;
use super::{Hit, Overlap, QueryError, Relation, Target};
use crate::catalog::{Catalog, Feature};
use geo::{BooleanOps, Geometry, MultiLineString, MultiPolygon};

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

    let mut hits = Vec::new();
    for i in layer.index.intersecting(zone.bbox) {
        crate::limits::check()?;
        let feature = &layer.features[i];
        if zone.is(layer.id(), &feature.id) {
            continue;
        }
        // The matrix is zone-vs-feature: the feature is within the zone
        // when the zone contains it.
        let matrix = prepared.relate(&feature.geometry);
        let relation = if matrix.is_contains() {
            Relation::Inside
        } else if !matrix.is_intersects() || !partly {
            continue;
        } else if matrix.is_touches() {
            Relation::Touches
        } else {
            Relation::Partly
        };
        let mut hit = Hit::new(layer, feature);
        hit.relation = Some(relation);
        hit.overlap = overlap(feature, &zone_area, relation);
        hits.push((relation, layer.id_order(i), hit));
    }
    hits.sort_unstable_by_key(|&(relation, order, _)| (relation, order));
    Ok(hits.into_iter().map(|(_, _, hit)| hit).collect())
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
