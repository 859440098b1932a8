//! Property tests: every question answered through the R-tree returns
//! exactly what testing every feature (brute force) returns, over random
//! layers and random zones.

use crate::util::{dataset, layer};
use geo::{Coord, Geometry, LineString, Point, Polygon, Relate};
use proptest::prelude::*;
use shanshui::catalog::GeometryKind;
use shanshui::query::{self, distance, geodesic, Relation, Target};
use shanshui::Catalog;

const LON: (f64, f64) = (116.8, 117.2);
const LAT: (f64, f64) = (40.3, 40.7);

pub fn coord() -> impl Strategy<Value = Coord<f64>> {
    (LON.0..LON.1, LAT.0..LAT.1).prop_map(|(x, y)| Coord { x, y })
}

pub fn rect_polygon() -> impl Strategy<Value = Polygon<f64>> {
    (coord(), 0.002f64..0.15, 0.002f64..0.15).prop_map(|(c, w, h)| {
        Polygon::new(
            LineString::from(vec![
                (c.x, c.y),
                (c.x + w, c.y),
                (c.x + w, c.y + h),
                (c.x, c.y + h),
                (c.x, c.y),
            ]),
            vec![],
        )
    })
}

fn triangle() -> impl Strategy<Value = Polygon<f64>> {
    (coord(), coord(), coord())
        .prop_filter("a triangle with area", |(a, b, c)| {
            ((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y)).abs() > 1e-4
        })
        .prop_map(|(a, b, c)| Polygon::new(LineString::from(vec![a, b, c, a]), vec![]))
}

fn polygon() -> impl Strategy<Value = Polygon<f64>> {
    prop_oneof![rect_polygon(), triangle()]
}

fn line() -> impl Strategy<Value = LineString<f64>> {
    prop::collection::vec(coord(), 2..5)
        .prop_filter("two distinct points", |v| v.iter().any(|c| *c != v[0]))
        .prop_map(LineString::from)
}

fn catalog() -> impl Strategy<Value = Catalog> {
    (
        prop::collection::vec(polygon(), 0..25),
        prop::collection::vec(line(), 0..15),
        prop::collection::vec(coord(), 0..30),
    )
        .prop_map(|(polys, lines, points)| {
            Catalog::from_layers(
                dataset("random"),
                vec![
                    layer(
                        "areas",
                        GeometryKind::Polygon,
                        polys.into_iter().map(Geometry::Polygon).collect(),
                    ),
                    layer(
                        "lines",
                        GeometryKind::Line,
                        lines.into_iter().map(Geometry::LineString).collect(),
                    ),
                    layer(
                        "points",
                        GeometryKind::Point,
                        points
                            .into_iter()
                            .map(|c| Geometry::Point(Point(c)))
                            .collect(),
                    ),
                ],
            )
        })
}

/// What `within` must answer, by testing every feature with geo directly.
fn brute_within(
    c: &Catalog,
    layer: &str,
    zone: &Geometry<f64>,
    partly: bool,
) -> Vec<(String, Relation)> {
    let mut out: Vec<(String, Relation)> = c
        .layer(layer)
        .unwrap()
        .iter()
        .filter_map(|f| {
            let m = f.geometry.relate(zone);
            let rel = if m.is_within() {
                Relation::Inside
            } else if partly && m.is_touches() {
                Relation::Touches
            } else if partly && m.is_intersects() {
                Relation::Partly
            } else {
                return None;
            };
            Some((f.id.to_string(), rel))
        })
        .collect();
    out.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn within_matches_brute_force(c in catalog(), zone in polygon(), partly in any::<bool>()) {
        let zone_g = Geometry::Polygon(zone);
        let target = Target::from_geometry(zone_g.clone()).unwrap();
        for layer in ["areas", "lines", "points"] {
            let got: Vec<(String, Relation)> = query::within(&c, layer, &target, partly)
                .unwrap()
                .into_iter()
                .map(|h| (h.feature.id.to_string(), h.relation.unwrap()))
                .collect();
            prop_assert_eq!(got, brute_within(&c, layer, &zone_g, partly), "layer {}", layer);
        }
    }

    /// A zone named as a catalog feature: its point locator is kept for
    /// later questions, by data version, so every random catalog here
    /// (the same layer and ids, other shapes) must get its own.
    #[test]
    fn within_a_catalog_zone_matches_brute_force(c in catalog()) {
        let Some(zone) = c.layer("areas").unwrap().iter().next() else {
            return Ok(());
        };
        let target = Target::feature(&c, "areas", &zone.id).unwrap();
        for _ in 0..2 {
            let got: Vec<(String, Relation)> = query::within(&c, "points", &target, true)
                .unwrap()
                .into_iter()
                .map(|h| (h.feature.id.to_string(), h.relation.unwrap()))
                .collect();
            prop_assert_eq!(got, brute_within(&c, "points", &zone.geometry, true));
        }
    }

    #[test]
    fn overlap_is_between_nothing_and_everything(c in catalog(), zone in polygon()) {
        let target = Target::from_geometry(Geometry::Polygon(zone)).unwrap();
        for h in query::within(&c, "areas", &target, true).unwrap() {
            if let Some(query::Overlap::Area { ha, fraction }) = h.overlap {
                let total = geodesic::area_m2(&h.feature.geometry) / 10_000.0;
                prop_assert!(ha >= 0.0 && ha <= total * (1.0 + 1e-9));
                prop_assert!((0.0..=1.0).contains(&fraction));
                match h.relation.unwrap() {
                    Relation::Inside => prop_assert!((fraction - 1.0).abs() < 1e-9),
                    Relation::Touches => prop_assert_eq!(ha, 0.0),
                    Relation::Partly => prop_assert!(fraction > 0.0),
                }
            } else {
                prop_assert!(false, "a polygon without an area overlap");
            }
        }
    }

    #[test]
    fn nearest_matches_brute_force(c in catalog(), p in coord(), k in 1usize..8) {
        for layer in ["areas", "lines", "points"] {
            let here = Geometry::Point(Point(p));
            let mut all: Vec<(f64, String)> = c.layer(layer).unwrap().iter()
                .map(|f| (distance::distance_m(&here, &f.geometry), f.id.to_string()))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            all.truncate(k);
            let got: Vec<(f64, String)> = query::nearest(&c, layer, p.x, p.y, k).unwrap()
                .into_iter()
                .map(|h| (h.distance_m.unwrap(), h.feature.id.to_string()))
                .collect();
            prop_assert_eq!(got, all, "layer {}", layer);
        }
    }

    #[test]
    fn near_matches_brute_force(c in catalog(), from in prop_oneof![
        coord().prop_map(|c| Geometry::Point(Point(c))),
        line().prop_map(Geometry::LineString),
        polygon().prop_map(Geometry::Polygon),
    ], d in 0.0f64..8_000.0) {
        let target = Target::from_geometry(from.clone()).unwrap();
        for layer in ["areas", "lines", "points"] {
            let mut want: Vec<String> = c.layer(layer).unwrap().iter()
                .filter(|f| distance::distance_m(&from, &f.geometry) <= d)
                .map(|f| f.id.to_string())
                .collect();
            want.sort();
            let mut got: Vec<String> = query::near(&c, layer, &target, d).unwrap()
                .into_iter().map(|h| h.feature.id.to_string()).collect();
            got.sort();
            prop_assert_eq!(got, want, "layer {}", layer);
        }
    }

    #[test]
    fn at_matches_brute_force(c in catalog(), p in coord(), tol in prop_oneof![Just(0.0), 0.0f64..3_000.0]) {
        let here = Geometry::Point(Point(p));
        let mut want: Vec<(String, String)> = Vec::new();
        for layer in c.layers() {
            let mut ids: Vec<String> = layer.iter()
                .filter(|f| here.relate(&f.geometry).is_intersects()
                    || (tol > 0.0 && distance::distance_m(&here, &f.geometry) <= tol))
                .map(|f| f.id.to_string())
                .collect();
            ids.sort();
            want.extend(ids.into_iter().map(|id| (layer.id().to_string(), id)));
        }
        let got: Vec<(String, String)> = query::at(&c, p.x, p.y, &[], tol).unwrap()
            .into_iter()
            .map(|h| (h.layer.id().to_string(), h.feature.id.to_string()))
            .collect();
        prop_assert_eq!(got, want);
    }
}
