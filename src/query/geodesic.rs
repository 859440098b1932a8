//! Measures on the WGS84 ellipsoid: areas, lengths and distances in metres,
//! through geo's geodesic algorithms (Karney's, via geographiclib-rs).
//!
//! Distances between geometries pick their closest pair of points in a
//! local equirectangular frame, then measure that pair geodesically; over
//! the segment lengths of district data (metres to a few kilometres) the
//! frame's error on *which* pair is closest changes the answer by far less
//! than a metre.

use geo::{
    Coord, CoordsIter, Distance, Geodesic, GeodesicArea, Geometry, Intersects, Length, Line,
    LinesIter, Point, Rect,
};

/// Metres per degree of latitude, a floor over the whole ellipsoid.
const M_PER_DEG_LAT_MIN: f64 = 110_574.0;
/// Metres per degree of longitude at the equator.
const M_PER_DEG_LON_EQ: f64 = 111_320.0;
/// Slack on the degree/metre bounds below, so they stay conservative.
const SLACK: f64 = 0.98;

/// Geodesic area of a geometry, in square metres (0 for points and lines).
pub fn area_m2(g: &Geometry<f64>) -> f64 {
    match g {
        Geometry::Polygon(p) => p.geodesic_area_unsigned(),
        Geometry::MultiPolygon(mp) => mp.geodesic_area_unsigned(),
        Geometry::Rect(r) => r.geodesic_area_unsigned(),
        Geometry::Triangle(t) => t.geodesic_area_unsigned(),
        Geometry::GeometryCollection(gc) => gc.iter().map(area_m2).sum(),
        _ => 0.0,
    }
}

/// Geodesic length of a geometry's lines, in metres (0 for points and
/// polygons: a polygon's perimeter is not its length).
pub fn length_m(g: &Geometry<f64>) -> f64 {
    match g {
        Geometry::Line(l) => Geodesic.length(l),
        Geometry::LineString(ls) => Geodesic.length(ls),
        Geometry::MultiLineString(mls) => Geodesic.length(mls),
        Geometry::GeometryCollection(gc) => gc.iter().map(length_m).sum(),
        _ => 0.0,
    }
}

/// Geodesic distance between two lon/lat points, in metres.
pub fn point_distance_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
    Geodesic.distance(Point(a), Point(b))
}

/// The shortest geodesic distance between two geometries, in metres;
/// 0 when they intersect.
pub fn distance_m(a: &Geometry<f64>, b: &Geometry<f64>) -> f64 {
    if a.intersects(b) {
        return 0.0;
    }
    let mut pairs: Vec<(f64, Coord<f64>, Coord<f64>)> = Vec::new();
    closest_pairs(a, b, &mut pairs);
    closest_pairs(b, a, &mut pairs);
    let best = pairs.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    // Measure geodesically every pair the frame could not tell from the best.
    pairs
        .iter()
        .filter(|p| p.0 <= best * 1.001 + 1.0)
        .map(|&(_, x, y)| point_distance_m(x, y))
        .fold(f64::INFINITY, f64::min)
}

/// For each vertex of `from`, its closest point on `to` in the local frame,
/// with the frame distance in metres.
fn closest_pairs(
    from: &Geometry<f64>,
    to: &Geometry<f64>,
    out: &mut Vec<(f64, Coord<f64>, Coord<f64>)>,
) {
    let segments = segments(to);
    let lone_points: Vec<Coord<f64>> = if segments.is_empty() {
        to.coords_iter().collect()
    } else {
        Vec::new()
    };
    for v in from.coords_iter() {
        let kx = M_PER_DEG_LON_EQ * v.y.to_radians().cos();
        let ky = M_PER_DEG_LAT_MIN;
        let frame = |c: Coord<f64>| ((c.x - v.x) * kx, (c.y - v.y) * ky);
        let mut best = (f64::INFINITY, v);
        for s in &segments {
            let (ax, ay) = frame(s.start);
            let (bx, by) = frame(s.end);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 == 0.0 {
                0.0
            } else {
                (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
            };
            let (px, py) = (ax + t * dx, ay + t * dy);
            let d = (px * px + py * py).sqrt();
            if d < best.0 {
                best = (d, s.start + (s.end - s.start) * t);
            }
        }
        for &p in &lone_points {
            let (px, py) = frame(p);
            let d = (px * px + py * py).sqrt();
            if d < best.0 {
                best = (d, p);
            }
        }
        if best.0.is_finite() {
            out.push((best.0, v, best.1));
        }
    }
}

/// Every straight segment of a geometry: the lines of line strings and of
/// polygon rings.
fn segments(g: &Geometry<f64>) -> Vec<Line<f64>> {
    let mut out = Vec::new();
    let mut ring = |ls: &geo::LineString<f64>| out.extend(ls.lines_iter());
    match g {
        Geometry::Line(l) => ring(&geo::LineString::from(*l)),
        Geometry::LineString(ls) => ring(ls),
        Geometry::MultiLineString(m) => m.iter().for_each(ring),
        Geometry::Polygon(p) => polygon_rings(p).for_each(ring),
        Geometry::MultiPolygon(mp) => mp.iter().flat_map(polygon_rings).for_each(ring),
        Geometry::Rect(r) => polygon_rings(&r.to_polygon()).for_each(ring),
        Geometry::Triangle(t) => polygon_rings(&t.to_polygon()).for_each(ring),
        Geometry::GeometryCollection(gc) => gc.iter().for_each(|g| out.extend(segments(g))),
        Geometry::Point(_) | Geometry::MultiPoint(_) => {}
    }
    out
}

fn polygon_rings(p: &geo::Polygon<f64>) -> impl Iterator<Item = &geo::LineString<f64>> {
    std::iter::once(p.exterior()).chain(p.interiors())
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
    use geo::{line_string, point, polygon};

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
    fn distance_to_a_segment_is_perpendicular_not_to_a_vertex() {
        // A meridian segment from 40.0 to 40.1 N at 117.0 E; a point 0.01°
        // east at 40.05 N is about 852 m from it (cos 40.05° · 111.32 km / 100).
        let line = Geometry::LineString(line_string![(x: 117.0, y: 40.0), (x: 117.0, y: 40.1)]);
        let p = Geometry::Point(point!(x: 117.01, y: 40.05));
        let d = distance_m(&p, &line);
        let expected = point_distance_m(
            Coord {
                x: 117.01,
                y: 40.05,
            },
            Coord { x: 117.0, y: 40.05 },
        );
        assert!((d - expected).abs() < 0.5, "{d} vs {expected}");
        assert!((d - 852.0).abs() < 3.0, "{d}");
    }

    #[test]
    fn intersecting_geometries_are_zero_apart() {
        let poly = Geometry::Polygon(polygon![
            (x: 117.0, y: 40.0), (x: 117.1, y: 40.0), (x: 117.1, y: 40.1), (x: 117.0, y: 40.1)
        ]);
        let inside = Geometry::Point(point!(x: 117.05, y: 40.05));
        assert_eq!(distance_m(&poly, &inside), 0.0);
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
