//! The shortest geodesic distance between two geometries, under the edge
//! model of GeoJSON (RFC 7946 §3.1.1): an edge is the straight line between
//! its vertices in longitude/latitude, and the distance between two points
//! is the geodesic on the WGS84 ellipsoid (Karney's algorithm).
//!
//! The distance from a point to an edge is found by branch and bound over
//! the edge's parameter: the distance to a point moving along the edge
//! changes no faster than the point moves, so an interval whose ends are
//! at distances `f0` and `f1` and whose arc is at most `L` long holds
//! nothing nearer than `(f0 + f1 - L) / 2`. Intervals that cannot beat the
//! best distance found by more than [`TOLERANCE_M`] are dropped; the rest
//! are halved, down to pieces short against the distance, where golden
//! section finds the minimum. Edges are first ruled out with a lower bound that needs no
//! geodesic at all (a weighted planar distance, `edge_lower_bound`).
//! The answer is exact to [`TOLERANCE_M`] at any distance, where a local
//! planar frame would pick the wrong closest point on long edges far away.
//!
//! Between two lines or areas that do not meet, the closest pair is taken
//! between a vertex of one and an edge of the other, in both directions.

use super::geodesic::{
    meridian_radius, parallel_radius, point_distance_azimuth_m, point_distance_m,
};
use geo::{Coord, Geometry, Intersects, LineString, Polygon};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// How closely each distance is resolved, in metres.
pub const TOLERANCE_M: f64 = 0.01;

/// The most distances one edge may cost, a bound on the work of a single
/// edge (only distances near the antipode come close to it).
const MAX_EVALUATIONS_PER_EDGE: usize = 4096;

/// Relative slack on the bounds below, for rounding.
const ROUNDING: f64 = 1e-9;

/// The shortest geodesic distance between two geometries, in metres; 0
/// when they intersect.
pub fn distance_m(a: &Geometry<f64>, b: &Geometry<f64>) -> f64 {
    if a.intersects(b) {
        return 0.0;
    }
    let (ea, eb) = (edges(a), edges(b));
    let mut best = f64::INFINITY;
    // Seed with the pair whose lower bound is least, so that the full
    // passes below rule out most edges without a geodesic.
    if let Some((v, e)) = least_bound_pair(&ea, &eb).or_else(|| least_bound_pair(&eb, &ea)) {
        best = point_edge_m(v, e, best);
    }
    // A vertex of a point set against edges is covered by the edges'
    // own ends, so points need only the one direction.
    let points = |es: &[Edge]| es.iter().all(|e| e.0 == e.1);
    if !points(&eb) || points(&ea) {
        best = vertices_to_edges(&ea, &eb, best);
    }
    if !points(&ea) {
        best = vertices_to_edges(&eb, &ea, best);
    }
    best
}

/// The shortest geodesic distance from `p` to the straight lon/lat segment
/// `a`–`b`, in metres, to within [`TOLERANCE_M`].
pub fn point_segment_m(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    point_edge_m(p, Edge(a, b), f64::INFINITY)
}

/// An edge: a straight segment in lon/lat; a lone point is an edge whose
/// ends coincide.
#[derive(Clone, Copy, Debug)]
struct Edge(Coord<f64>, Coord<f64>);

impl Edge {
    fn at(&self, t: f64) -> Coord<f64> {
        self.0 + (self.1 - self.0) * t
    }
}

/// Every edge of a geometry: its segments, or its points as zero-length
/// edges.
fn edges(g: &Geometry<f64>) -> Vec<Edge> {
    let mut out = Vec::new();
    push_edges(g, &mut out);
    out
}

fn push_edges(g: &Geometry<f64>, out: &mut Vec<Edge>) {
    let mut line = |ls: &LineString<f64>| match ls.0.as_slice() {
        [] => {}
        [only] => out.push(Edge(*only, *only)),
        coords => out.extend(coords.windows(2).map(|w| Edge(w[0], w[1]))),
    };
    let rings =
        |p: &Polygon<f64>| std::iter::once(p.exterior().clone()).chain(p.interiors().to_vec());
    match g {
        Geometry::Point(p) => out.push(Edge(p.0, p.0)),
        Geometry::MultiPoint(mp) => out.extend(mp.iter().map(|p| Edge(p.0, p.0))),
        Geometry::Line(l) => out.push(Edge(l.start, l.end)),
        Geometry::LineString(ls) => line(ls),
        Geometry::MultiLineString(m) => m.iter().for_each(line),
        Geometry::Polygon(p) => rings(p).for_each(|r| line(&r)),
        Geometry::MultiPolygon(mp) => mp.iter().flat_map(rings).for_each(|r| line(&r)),
        Geometry::Rect(r) => rings(&r.to_polygon()).for_each(|r| line(&r)),
        Geometry::Triangle(t) => rings(&t.to_polygon()).for_each(|r| line(&r)),
        Geometry::GeometryCollection(gc) => gc.iter().for_each(|g| push_edges(g, out)),
    }
}

/// The vertex of `from` and the edge of `to` with the least lower bound.
fn least_bound_pair(from: &[Edge], to: &[Edge]) -> Option<(Coord<f64>, Edge)> {
    let mut best: Option<(f64, Coord<f64>, Edge)> = None;
    for v in vertices(from) {
        for &e in to {
            let lb = edge_lower_bound(v, e);
            if best.is_none_or(|(b, _, _)| lb < b) {
                best = Some((lb, v, e));
            }
        }
    }
    best.map(|(_, v, e)| (v, e))
}

/// The least distance from a vertex of `from` to an edge of `to`, or
/// `best` when none is nearer.
fn vertices_to_edges(from: &[Edge], to: &[Edge], mut best: f64) -> f64 {
    for v in vertices(from) {
        for &e in to {
            if edge_lower_bound(v, e) < best - TOLERANCE_M {
                best = point_edge_m(v, e, best);
            }
        }
    }
    best
}

/// Each vertex of a list of edges, once per edge start, plus the end of
/// each edge that no following edge starts from.
fn vertices(edges: &[Edge]) -> impl Iterator<Item = Coord<f64>> + '_ {
    edges.iter().enumerate().flat_map(move |(i, e)| {
        let open_end = edges.get(i + 1).is_none_or(|next| next.0 != e.1);
        std::iter::once(e.0).chain(open_end.then_some(e.1))
    })
}

/// An interval of an edge's parameter, with the distances at its ends and
/// a lower bound on the distance anywhere in it.
struct Interval {
    lower: f64,
    t0: f64,
    t1: f64,
    f0: f64,
    f1: f64,
}

impl PartialEq for Interval {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Interval {}
impl PartialOrd for Interval {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Interval {
    /// Least lower bound first (a max-heap of reversed order).
    fn cmp(&self, other: &Self) -> Ordering {
        other.lower.total_cmp(&self.lower)
    }
}

/// The distance from `p` to edge `e`, or `best` when the edge holds
/// nothing nearer by more than [`TOLERANCE_M`].
///
/// Branch and bound rules out the parts of the edge that cannot come
/// nearer and narrows the rest down to pieces about 1/64 of the distance
/// long (between 5 cm and 1 km): near a smooth minimum the Lipschitz bound
/// alone would need thousands of pieces a few centimetres long. Adjacent
/// pieces left are joined into runs; a run that short, seen from that far,
/// holds a single minimum, at an end when the slope there says so, and
/// otherwise found by golden section.
fn point_edge_m(p: Coord<f64>, e: Edge, best: f64) -> f64 {
    let f = |t: f64| point_distance_m(p, e.at(t));
    let f0 = f(0.0);
    if e.0 == e.1 {
        return best.min(f0);
    }
    let f1 = f(1.0);
    let mut best = best.min(f0).min(f1);
    let length = |t0: f64, t1: f64| arc_length_bound(e.at(t0), e.at(t1));
    let interval = |t0: f64, t1: f64, f0: f64, f1: f64| {
        let (a, b) = (e.at(t0), e.at(t1));
        let lipschitz = (f0 + f1 - arc_length_bound(a, b)) / 2.0;
        Interval {
            lower: lipschitz.max(edge_lower_bound(p, Edge(a, b))),
            t0,
            t1,
            f0,
            f1,
        }
    };
    let mut heap = BinaryHeap::from([interval(0.0, 1.0, f0, f1)]);
    let mut pieces = Vec::new();
    let mut evaluations = 2;
    while let Some(iv) = heap.pop() {
        if iv.lower >= best - TOLERANCE_M || evaluations >= MAX_EVALUATIONS_PER_EDGE {
            break;
        }
        let tm = 0.5 * (iv.t0 + iv.t1);
        if length(iv.t0, iv.t1) <= (best / 64.0).clamp(0.05, 1_000.0) || tm <= iv.t0 || tm >= iv.t1
        {
            pieces.push(iv);
            continue;
        }
        let fm = f(tm);
        evaluations += 1;
        best = best.min(fm);
        for child in [
            interval(iv.t0, tm, iv.f0, fm),
            interval(tm, iv.t1, fm, iv.f1),
        ] {
            if child.lower < best - TOLERANCE_M {
                heap.push(child);
            }
        }
    }
    pieces.retain(|iv| iv.lower < best - TOLERANCE_M);
    pieces.sort_by(|a, b| a.t0.total_cmp(&b.t0));
    let mut runs: Vec<(f64, f64)> = Vec::new();
    for iv in pieces {
        match runs.last_mut() {
            Some(run) if run.1 == iv.t0 => run.1 = iv.t1,
            _ => runs.push((iv.t0, iv.t1)),
        }
    }
    for (t0, t1) in runs {
        // Single-minimum: a run whose distance grows from its start, or
        // falls into its end, has its least at that end, already counted.
        if slope(p, e, t0) >= 0.0 || slope(p, e, t1) <= 0.0 {
            continue;
        }
        best = best.min(golden_section(&f, t0, t1, length(t0, t1)));
    }
    best
}

/// The sign of the rate at which the distance from `p` changes as a point
/// moves along `e` at `t`: the cosine between the edge's heading there and
/// the azimuth in which the distance from `p` grows.
fn slope(p: Coord<f64>, e: Edge, t: f64) -> f64 {
    let q = e.at(t);
    let (s, away) = point_distance_azimuth_m(p, q);
    if s == 0.0 {
        return 0.0;
    }
    let east = parallel_radius(q.y) * (e.1.x - e.0.x);
    let north = meridian_radius(q.y) * (e.1.y - e.0.y);
    (away - east.atan2(north).to_degrees()).to_radians().cos()
}

/// The least value of `f` on `[t0, t1]`, a span `span_m` metres long
/// holding a single minimum, to within a millimetre of the span.
fn golden_section(f: &impl Fn(f64) -> f64, mut t0: f64, mut t1: f64, span_m: f64) -> f64 {
    const INV_PHI: f64 = 0.618_033_988_749_894_8;
    let steps = ((span_m / 0.001).max(1.0).ln() / (1.0 / INV_PHI).ln()).ceil() as usize;
    let (mut a, mut b) = (t1 - INV_PHI * (t1 - t0), t0 + INV_PHI * (t1 - t0));
    let (mut fa, mut fb) = (f(a), f(b));
    for _ in 0..steps {
        if fa < fb {
            (t1, b, fb) = (b, a, fa);
            a = t1 - INV_PHI * (t1 - t0);
            fa = f(a);
        } else {
            (t0, a, fa) = (a, b, fb);
            b = t0 + INV_PHI * (t1 - t0);
            fb = f(b);
        }
    }
    fa.min(fb).min(f(t0)).min(f(t1))
}

/// Metres per degree of a meridian at latitude `lat` (degrees).
fn meridian_m_per_deg(lat: f64) -> f64 {
    meridian_radius(lat).to_radians()
}

/// Metres per degree of a parallel at latitude `lat` (degrees).
fn parallel_m_per_deg(lat: f64) -> f64 {
    parallel_radius(lat).to_radians()
}

/// An upper bound on the length of the straight lon/lat segment `a`–`b`
/// on the ellipsoid: meridian degrees at their longest over its latitudes
/// (the most poleward), parallel degrees at their longest (the most
/// equatorward).
fn arc_length_bound(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (lo, hi) = (a.y.min(b.y), a.y.max(b.y));
    let poleward = lo.abs().max(hi.abs());
    let equatorward = if lo <= 0.0 && hi >= 0.0 {
        0.0
    } else {
        lo.abs().min(hi.abs())
    };
    let dy = (b.y - a.y).abs() * meridian_m_per_deg(poleward);
    let dx = (b.x - a.x).abs() * parallel_m_per_deg(equatorward);
    dx.hypot(dy) * (1.0 + ROUNDING)
}

/// A lower bound on the geodesic distance from `p` to any point of edge
/// `e`, with no geodesic computed.
///
/// Any path between two points spans their difference in latitude and
/// (the shorter way round) in longitude. While it stays within latitude
/// `±φ`, a degree of latitude costs at least the equator's meridian degree
/// and a degree of longitude at least the parallel degree at `φ`, so the
/// path is at least the planar distance weighted by those two (Minkowski's
/// inequality). Taking `φ` as the most poleward latitude of `p` and the
/// edge plus their planar distance `D` in degrees, a path that leaves the
/// band goes `D` degrees of latitude out and back, which is longer still.
fn edge_lower_bound(p: Coord<f64>, e: Edge) -> f64 {
    let wraps = (p.x - e.0.x).abs() > 180.0 || (p.x - e.1.x).abs() > 180.0;
    let shifts: &[f64] = if wraps { &[0.0, -360.0, 360.0] } else { &[0.0] };
    let kx_floor = meridian_m_per_deg(0.0);
    shifts
        .iter()
        .map(|shift| {
            let q = Coord {
                x: p.x + shift,
                y: p.y,
            };
            let d_deg = planar_point_segment(q, e.0, e.1, 1.0, 1.0);
            let band = (p.y.abs().max(e.0.y.abs()).max(e.1.y.abs()) + d_deg).min(90.0);
            let ky = kx_floor;
            let kx = parallel_m_per_deg(band).min(ky);
            planar_point_segment(q, e.0, e.1, kx, ky)
        })
        .fold(f64::INFINITY, f64::min)
        * (1.0 - ROUNDING)
}

/// The planar distance from `p` to segment `a`–`b` after scaling x by `kx`
/// and y by `ky`.
fn planar_point_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>, kx: f64, ky: f64) -> f64 {
    let (ax, ay) = ((a.x - p.x) * kx, (a.y - p.y) * ky);
    let (dx, dy) = ((b.x - a.x) * kx, (b.y - a.y) * ky);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (ax + t * dx).hypot(ay + t * dy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, point, polygon};

    /// The distance from `p` to `a`–`b` by sampling the edge every
    /// `step` of its parameter and refining around the best sample.
    fn sampled(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>, samples: usize) -> f64 {
        let e = Edge(a, b);
        let f = |t: f64| point_distance_m(p, e.at(t));
        let (mut best_t, mut best) = (0.0, f64::INFINITY);
        for i in 0..=samples {
            let t = i as f64 / samples as f64;
            let d = f(t);
            if d < best {
                (best_t, best) = (t, d);
            }
        }
        let h = 1.0 / samples as f64;
        for i in 0..=20_000 {
            let t = (best_t - h + 2.0 * h * i as f64 / 20_000.0).clamp(0.0, 1.0);
            best = best.min(f(t));
        }
        best
    }

    #[test]
    fn long_edges_far_away_are_measured_to_their_closest_point() {
        // Long edges tens of kilometres to thousands away, at slants where
        // a local planar frame picks the wrong closest point.
        let cases = [
            ((117.2853364, 40.3097331), (116.9, 40.6), (117.6, 40.05)),
            ((117.0, 40.0), (116.0, 40.9), (118.5, 40.7)),
            ((117.0, 40.0), (100.0, 60.0), (140.0, 55.0)),
            ((-70.0, -30.0), (10.0, 50.0), (40.0, 10.0)),
            ((0.0, 89.0), (-170.0, 80.0), (170.0, 85.0)),
            // Near the antipode of the edge's middle, about 20,000 km off.
            ((-63.0, -40.5), (116.5, 40.5), (117.5, 40.5)),
            ((-63.0, -40.4), (116.0, 40.0), (118.0, 41.0)),
        ];
        for ((px, py), (ax, ay), (bx, by)) in cases {
            let (p, a, b) = (
                Coord { x: px, y: py },
                Coord { x: ax, y: ay },
                Coord { x: bx, y: by },
            );
            let got = point_segment_m(p, a, b);
            let want = sampled(p, a, b, 20_000);
            assert!(
                (got - want).abs() <= 0.02,
                "{p:?} to {a:?}-{b:?}: {got} vs sampled {want}"
            );
        }
    }

    #[test]
    fn vertices_along_a_straight_edge_change_no_distance() {
        // The same straight line as one edge and as 300 short ones, seen
        // from 30 m, 30 km and 3,000 km.
        let (a, b) = (Coord { x: 116.9, y: 40.6 }, Coord { x: 117.6, y: 40.05 });
        let dense = Geometry::LineString(
            (0..=300)
                .map(|i| a + (b - a) * (i as f64 / 300.0))
                .collect::<Vec<_>>()
                .into(),
        );
        for p in [
            Coord {
                x: 117.2,
                y: 40.364,
            },
            Coord {
                x: 117.2853364,
                y: 40.3097331,
            },
            Coord { x: 140.0, y: 30.0 },
        ] {
            let one = point_segment_m(p, a, b);
            let many = distance_m(&Geometry::Point(p.into()), &dense);
            assert!((one - many).abs() < TOLERANCE_M, "{p:?}: {one} vs {many}");
            assert!((one - sampled(p, a, b, 20_000)).abs() < 2.0 * TOLERANCE_M);
        }
    }

    #[test]
    fn lower_bounds_stay_below_the_sampled_truth() {
        let p = Coord { x: 117.0, y: 40.0 };
        for (ax, ay, bx, by) in [
            (117.3, 40.0, 117.3, 40.4),
            (116.0, 41.0, 118.0, 41.2),
            (-179.0, 41.0, -170.0, 20.0),
            (10.0, -80.0, 50.0, -60.0),
        ] {
            let e = Edge(Coord { x: ax, y: ay }, Coord { x: bx, y: by });
            let truth = sampled(p, e.0, e.1, 20_000);
            let lb = edge_lower_bound(p, e);
            assert!(lb <= truth, "{e:?}: bound {lb} above {truth}");
            let mid = e.at(0.5);
            assert!(arc_length_bound(e.0, mid) >= point_distance_m(e.0, mid));
        }
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
        assert!((d - expected).abs() < TOLERANCE_M, "{d} vs {expected}");
        assert!((d - 852.0).abs() < 3.0, "{d}");
        assert_eq!(distance_m(&line, &p), d);
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
    fn two_areas_apart_are_measured_vertex_to_edge_both_ways() {
        let west = Geometry::Polygon(polygon![
            (x: 117.0, y: 40.0), (x: 117.1, y: 40.0), (x: 117.1, y: 40.1), (x: 117.0, y: 40.1)
        ]);
        // A triangle whose tip points at the west square's east edge.
        let east = Geometry::Polygon(polygon![
            (x: 117.12, y: 40.05), (x: 117.2, y: 40.0), (x: 117.2, y: 40.1)
        ]);
        let want = point_segment_m(
            Coord {
                x: 117.12,
                y: 40.05,
            },
            Coord { x: 117.1, y: 40.0 },
            Coord { x: 117.1, y: 40.1 },
        );
        let d = distance_m(&west, &east);
        assert!((d - want).abs() < TOLERANCE_M, "{d} vs {want}");
        assert!((d - distance_m(&east, &west)).abs() < TOLERANCE_M);
    }

    #[test]
    fn across_the_antimeridian_the_short_way_round() {
        let a = Geometry::Point(point!(x: 179.99, y: 0.0));
        let b = Geometry::LineString(line_string![(x: -179.99, y: -1.0), (x: -179.99, y: 1.0)]);
        let d = distance_m(&a, &b);
        assert!((d - 2_226.4).abs() < 1.0, "{d}");
    }
}
