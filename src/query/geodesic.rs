//! Measures on the WGS84 ellipsoid, in metres, under one edge model for
//! every answer: GeoJSON's (RFC 7946 §3.1.1), where an edge is the straight
//! line between its vertices in longitude/latitude, the same line the
//! predicates (inside, crosses, touches) are decided on.
//!
//! - Areas are exact for the region such edges bound on the ellipsoid: by
//!   Green's theorem, a ring's area is the integral along it of the
//!   ellipsoid's area from the equator up to each latitude, per radian of
//!   longitude (a closed form), integrated along each edge by Gauss–Legendre
//!   quadrature. Each ring counts as the region it bounds, whichever way it
//!   winds, and holes are subtracted from their shell: neither the input's
//!   winding nor a boolean operation's output decides the sign, and a
//!   vertex added or dropped along a straight edge changes nothing.
//! - Lengths are the arc length of each edge on the ellipsoid, by the same
//!   quadrature.
//! - The distance between two points is the geodesic, by Karney's algorithm
//!   (geographiclib-rs); distances between geometries are in
//!   [`super::distance`].
//!
//! Measured on geodesic edges instead (as PostGIS's geography and pyproj
//! do), an edge of a few hundred metres gives the same figures to well
//! under a square metre; a straight east–west edge 20 km long at 40° N
//! bows about 7 m from the geodesic between its ends.

use geo::{Coord, Geometry, LineString, Polygon, Rect};
use geographiclib_rs::InverseGeodesic;
use std::sync::LazyLock;

/// The WGS84 ellipsoid, with its series coefficients computed once.
static WGS84: LazyLock<geographiclib_rs::Geodesic> =
    LazyLock::new(geographiclib_rs::Geodesic::wgs84);

/// WGS84 semi-major axis, metres.
pub(crate) const A: f64 = 6_378_137.0;
/// WGS84 flattening.
const F: f64 = 1.0 / 298.257_223_563;
/// WGS84 first eccentricity squared.
pub(crate) const E2: f64 = F * (2.0 - F);

/// Gauss–Legendre nodes and weights on [0, 1], five points (exact for
/// polynomials of degree 9); edges are cut into pieces of at most
/// [`QUADRATURE_PIECE_DEG`] of latitude, over which the integrands are
/// polynomial to far below a square millimetre.
const GAUSS_LEGENDRE: [(f64, f64); 5] = {
    // The nodes ±0.538…, ±0.906… and 0 on [-1, 1], halved onto [0, 1].
    const H1: f64 = 0.538_469_310_105_683 / 2.0;
    const H2: f64 = 0.906_179_845_938_664 / 2.0;
    const W0: f64 = 0.568_888_888_888_889 / 2.0;
    const W1: f64 = 0.478_628_670_499_366 / 2.0;
    const W2: f64 = 0.236_926_885_056_189 / 2.0;
    [
        (0.5 - H2, W2),
        (0.5 - H1, W1),
        (0.5, W0),
        (0.5 + H1, W1),
        (0.5 + H2, W2),
    ]
};
const QUADRATURE_PIECE_DEG: f64 = 1.0;

/// The mean of `f` over latitudes from `lat0` to `lat1` (degrees) along a
/// straight edge, by Gauss–Legendre quadrature.
fn mean_along(lat0: f64, lat1: f64, f: impl Fn(f64) -> f64) -> f64 {
    let pieces = ((lat1 - lat0).abs() / QUADRATURE_PIECE_DEG).ceil().max(1.0);
    let n = pieces as usize;
    let mut sum = 0.0;
    for k in 0..n {
        for (t, w) in GAUSS_LEGENDRE {
            let u = (k as f64 + t) / pieces;
            sum += w * f(lat0 + u * (lat1 - lat0));
        }
    }
    sum / pieces
}

/// Radius of curvature of the meridian at `lat` (degrees), metres per radian.
pub(crate) fn meridian_radius(lat: f64) -> f64 {
    let s = lat.to_radians().sin();
    A * (1.0 - E2) / (1.0 - E2 * s * s).powf(1.5)
}

/// Radius of the parallel at `lat` (degrees), metres per radian of longitude.
pub(crate) fn parallel_radius(lat: f64) -> f64 {
    let r = lat.to_radians();
    A * r.cos().max(0.0) / (1.0 - E2 * r.sin() * r.sin()).sqrt()
}

/// The ellipsoid's area between the equator and latitude `lat` (degrees),
/// per radian of longitude: ∫ M N cos φ dφ in closed form.
fn area_to_latitude(lat: f64) -> f64 {
    let s = lat.to_radians().sin();
    let e = E2.sqrt();
    A * A * (1.0 - E2) / 2.0 * (s / (1.0 - E2 * s * s) + (e * s).atanh() / e)
}

/// Metres per degree of latitude, a floor over the whole ellipsoid.
const M_PER_DEG_LAT_MIN: f64 = 110_574.0;
/// Metres per degree of longitude at the equator.
const M_PER_DEG_LON_EQ: f64 = 111_320.0;
/// Slack on the degree/metre bounds below, so they stay conservative.
const SLACK: f64 = 0.98;

/// Area of a geometry on the ellipsoid, in square metres (0 for points and
/// lines), its edges straight in lon/lat.
///
/// A polygon's area is its shell's less its holes', each ring taken as the
/// region it bounds whichever way it winds; never negative.
pub fn area_m2(g: &Geometry<f64>) -> f64 {
    match g {
        Geometry::Polygon(p) => polygon_area_m2(p),
        Geometry::MultiPolygon(mp) => mp.iter().map(polygon_area_m2).sum(),
        Geometry::Rect(r) => polygon_area_m2(&r.to_polygon()),
        Geometry::Triangle(t) => polygon_area_m2(&t.to_polygon()),
        Geometry::GeometryCollection(gc) => gc.iter().map(area_m2).sum(),
        _ => 0.0,
    }
}

fn polygon_area_m2(p: &Polygon<f64>) -> f64 {
    let holes: f64 = p.interiors().iter().map(ring_area_m2).sum();
    (ring_area_m2(p.exterior()) - holes).max(0.0)
}

/// The area a ring bounds, in square metres, the same whichever way it
/// winds: |∮ S(φ) dλ| with S the area up to latitude φ, taken relative to
/// the ring's first latitude so that the terms stay small.
fn ring_area_m2(ring: &LineString<f64>) -> f64 {
    let Some(first) = ring.0.first() else {
        return 0.0;
    };
    let base = area_to_latitude(first.y);
    let closing =
        (ring.0.last() != Some(first)).then_some([*ring.0.last().unwrap_or(first), *first]);
    let edges = ring.0.windows(2).map(|w| [w[0], w[1]]).chain(closing);
    let signed: f64 = edges
        .filter(|[a, b]| a.x != b.x)
        .map(|[a, b]| {
            (b.x - a.x).to_radians() * mean_along(a.y, b.y, |lat| area_to_latitude(lat) - base)
        })
        .sum();
    signed.abs()
}

/// Length of a geometry's lines on the ellipsoid, in metres (0 for points
/// and polygons: a polygon's perimeter is not its length).
pub fn length_m(g: &Geometry<f64>) -> f64 {
    match g {
        Geometry::Line(l) => edge_length_m(l.start, l.end),
        Geometry::LineString(ls) => line_length_m(ls),
        Geometry::MultiLineString(mls) => mls.iter().map(line_length_m).sum(),
        Geometry::GeometryCollection(gc) => gc.iter().map(length_m).sum(),
        _ => 0.0,
    }
}

fn line_length_m(ls: &LineString<f64>) -> f64 {
    ls.0.windows(2).map(|w| edge_length_m(w[0], w[1])).sum()
}

/// The arc length of the straight lon/lat edge `a`–`b` on the ellipsoid:
/// ∫ √((M dφ)² + (N cos φ dλ)²).
pub fn edge_length_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dlat, dlon) = ((b.y - a.y).to_radians(), (b.x - a.x).to_radians());
    mean_along(a.y, b.y, |lat| {
        (meridian_radius(lat) * dlat).hypot(parallel_radius(lat) * dlon)
    })
}

/// Geodesic distance between two lon/lat points, in metres.
pub fn point_distance_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
    WGS84.inverse(a.y, a.x, b.y, b.x)
}

/// Geodesic distance from `a` to `b`, in metres, with the azimuth at `b`
/// (degrees clockwise from north) in which the distance grows fastest.
pub(crate) fn point_distance_azimuth_m(a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
    let (s12, _azi1, azi2, _a12): (f64, f64, f64, f64) = WGS84.inverse(a.y, a.x, b.y, b.x);
    (s12, azi2)
}

/// A box that holds every point within `metres` of `rect`: the search
/// window for "within a distance" queries. Generous, never too small.
pub fn expand_by_metres(rect: Rect<f64>, metres: f64) -> Rect<f64> {
    let dlat = metres / M_PER_DEG_LAT_MIN / SLACK;
    let (min_lat, max_lat) = (
        (rect.min().y - dlat).max(-90.0),
        (rect.max().y + dlat).min(90.0),
    );
    let worst_lat = min_lat.abs().max(max_lat.abs()).min(89.9);
    let dlon = metres / (M_PER_DEG_LON_EQ * worst_lat.to_radians().cos()) / SLACK;
    let (min_lon, max_lon) = if dlon >= 180.0 {
        (-180.0, 180.0)
    } else {
        (
            (rect.min().x - dlon).max(-180.0),
            (rect.max().x + dlon).min(180.0),
        )
    };
    Rect::new(
        Coord {
            x: min_lon,
            y: min_lat,
        },
        Coord {
            x: max_lon,
            y: max_lat,
        },
    )
}

/// A lower bound, in metres, on the geodesic distance from a point at
/// latitude `lat` to anything `degrees` away from it in the lon/lat plane.
pub fn metres_lower_bound(lat: f64, degrees: f64) -> f64 {
    let worst_lat = (lat.abs() + degrees).min(89.9);
    let per_degree = M_PER_DEG_LAT_MIN.min(M_PER_DEG_LON_EQ * worst_lat.to_radians().cos());
    degrees * per_degree * SLACK
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn one_degree_of_latitude_near_miyun() {
        // The meridian degree at 40.5° N from the standard series
        // 111132.954 - 559.822 cos 2φ + 1.175 cos 4φ = 111,044.3 m.
        let phi = 40.5f64.to_radians();
        let series = 111_132.954 - 559.822 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos();
        let d = point_distance_m(Coord { x: 117.0, y: 40.0 }, Coord { x: 117.0, y: 41.0 });
        assert!((d - series).abs() < 1.0, "{d} vs {series}");
    }

    #[test]
    fn the_whole_ellipsoid_has_its_known_area() {
        // WGS84's surface: 510,065,621.7 km².
        let world = Geometry::Rect(Rect::new(
            Coord {
                x: -180.0,
                y: -90.0,
            },
            Coord { x: 180.0, y: 90.0 },
        ));
        let km2 = area_m2(&world) / 1e6;
        assert!((km2 - 510_065_621.7).abs() < 0.1, "{km2}");
    }

    #[test]
    fn area_ignores_winding_and_vertices_along_straight_edges() {
        let shell = || {
            geo::LineString::from(vec![
                (117.0, 40.0),
                (117.2, 40.0),
                (117.2, 40.2),
                (117.0, 40.2),
            ])
        };
        let hole = || {
            // Touches the shell at its corner (117.0, 40.0).
            geo::LineString::from(vec![(117.0, 40.0), (117.1, 40.05), (117.05, 40.1)])
        };
        let reversed = |mut l: geo::LineString<f64>| {
            l.0.reverse();
            l
        };
        let area = |p: Polygon<f64>| area_m2(&Geometry::Polygon(p));
        let want = area(Polygon::new(shell(), vec![hole()]));
        assert!(want > 0.0);
        for p in [
            Polygon::new(reversed(shell()), vec![hole()]),
            Polygon::new(shell(), vec![reversed(hole())]),
            Polygon::new(reversed(shell()), vec![reversed(hole())]),
        ] {
            assert!((area(p) - want).abs() < 1e-6, "{want}");
        }
        // A vertex every 0.01° along the straight edges changes nothing.
        let mut dense = Vec::new();
        for w in shell()
            .0
            .windows(2)
            .chain([[shell().0[3], shell().0[0]].as_slice()])
        {
            for i in 0..20 {
                dense.push(w[0] + (w[1] - w[0]) * (i as f64 / 20.0));
            }
        }
        let dense = area(Polygon::new(dense.into(), vec![hole()]));
        assert!((dense - want).abs() < 1e-6, "{dense} vs {want}");
    }

    #[test]
    fn lengths_follow_the_edge() {
        // A meridian is a geodesic: the two agree.
        let (a, b) = (Coord { x: 117.0, y: 40.0 }, Coord { x: 117.0, y: 41.0 });
        assert!((edge_length_m(a, b) - point_distance_m(a, b)).abs() < 1e-6);
        // A parallel is its radius times its angle, longer than the
        // geodesic between its ends.
        let (a, b) = (Coord { x: 116.0, y: 40.0 }, Coord { x: 118.0, y: 40.0 });
        let arc = parallel_radius(40.0) * 2f64.to_radians();
        assert!((edge_length_m(a, b) - arc).abs() < 1e-6);
        assert!(edge_length_m(a, b) > point_distance_m(a, b));
    }

    #[test]
    fn polygon_area_is_geodesic() {
        // 0.1° x 0.1° at 40° N: about 11.1 km x 8.5 km = 94.6 km².
        let poly = Geometry::Polygon(polygon![
            (x: 117.0, y: 40.0), (x: 117.1, y: 40.0), (x: 117.1, y: 40.1), (x: 117.0, y: 40.1)
        ]);
        let km2 = area_m2(&poly) / 1e6;
        assert!((km2 - 94.7).abs() < 0.3, "{km2}");
    }

    #[test]
    fn expanded_box_holds_the_distance() {
        let r = Rect::new(Coord { x: 117.0, y: 40.0 }, Coord { x: 117.0, y: 40.0 });
        let e = expand_by_metres(r, 2_000.0);
        let east = point_distance_m(
            Coord { x: 117.0, y: 40.0 },
            Coord {
                x: e.max().x,
                y: 40.0,
            },
        );
        let north = point_distance_m(
            Coord { x: 117.0, y: 40.0 },
            Coord {
                x: 117.0,
                y: e.max().y,
            },
        );
        assert!(east >= 2_000.0 && north >= 2_000.0, "{east} {north}");
        assert!(east < 2_100.0 && north < 2_100.0, "{east} {north}");
    }

    #[test]
    fn lower_bound_is_below_the_truth() {
        for (dx, dy) in [(0.1, 0.0), (0.0, 0.1), (0.07, 0.07), (1.0, 0.3)] {
            let truth = point_distance_m(
                Coord { x: 117.0, y: 40.0 },
                Coord {
                    x: 117.0 + dx,
                    y: 40.0 + dy,
                },
            );
            let deg = f64::hypot(dx, dy);
            assert!(metres_lower_bound(40.0, deg) <= truth, "{dx} {dy}");
        }
    }
}
