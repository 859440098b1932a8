//! Simplify for the zoom, snap to the integer grid, and make sure what is
//! left is what MVT 2.1 (§4.3.4) allows: no repeated points, rings with
//! three or more distinct points, an area, no self-intersection, exterior
//! rings with positive area (clockwise on screen) and holes negative.
//! A polygon that snapping broke is repaired by re-noding it; one that
//! cannot be repaired is dropped, never emitted.

use crate::catalog::bands::simplify_polygon;
use geo::{BooleanOps, Geometry, LineString, MultiPolygon, Polygon, Simplify, Validation};

/// A point in tile coordinates.
pub type Pt = (i32, i32);

/// A geometry ready to encode: integer tile coordinates, rings open (the
/// encoder closes them), exterior ring first in each polygon.
#[derive(Debug, Clone, PartialEq)]
pub enum TileGeometry {
    /// One point: most features of a point layer, held without an
    /// allocation of its own.
    Point(Pt),
    /// One or more points.
    Points(Vec<Pt>),
    /// One or more lines, each of two or more distinct points.
    Lines(Vec<Vec<Pt>>),
    /// One or more polygons, each a list of rings, exterior first.
    Polygons(Vec<Vec<Vec<Pt>>>),
}

/// Simplifies (by `tolerance` tile units, 0 for none) and snaps a clipped
/// tile-space geometry. `None` when nothing valid is left.
pub fn snap(g: &Geometry<f64>, tolerance: f64) -> Option<TileGeometry> {
    match g {
        Geometry::Point(p) => Some(TileGeometry::Point(round(p.0))),
        Geometry::MultiPoint(mp) => {
            let mut pts: Vec<Pt> = mp.iter().map(|p| round(p.0)).collect();
            pts.sort_unstable();
            pts.dedup();
            Some(TileGeometry::Points(pts))
        }
        Geometry::LineString(ls) => lines(std::slice::from_ref(ls), tolerance),
        Geometry::MultiLineString(mls) => lines(&mls.0, tolerance),
        Geometry::Polygon(p) => polygons(std::slice::from_ref(p), tolerance),
        Geometry::MultiPolygon(mp) => polygons(&mp.0, tolerance),
        _ => None,
    }
}

fn round(c: geo::Coord<f64>) -> Pt {
    (round_i32(c.x), round_i32(c.y))
}

/// `x.round() as i32` (half away from zero, saturating, 0 for NaN) in a
/// few instructions: without SSE4.1, which the baseline x86-64 target
/// does not assume, `f64::round` is a call into libm, and every vertex of
/// a tile is rounded. The integer part is taken by truncation; what is
/// left, `x` less its integer part, is exact.
pub fn round_i32(x: f64) -> i32 {
    // Without branches: the fraction of a vertex is a coin toss.
    let t = (x as i64).clamp(-(1 << 40), 1 << 40);
    let rest = x - t as f64;
    let r = t + i64::from(rest >= 0.5) - i64::from(rest <= -0.5);
    r.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Rounds a line's points and drops consecutive repeats.
fn snap_path(ls: &LineString<f64>) -> Vec<Pt> {
    let mut out: Vec<Pt> = Vec::with_capacity(ls.0.len());
    for c in &ls.0 {
        let p = round(*c);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

fn lines(ls: &[LineString<f64>], tolerance: f64) -> Option<TileGeometry> {
    let kept: Vec<Vec<Pt>> = ls
        .iter()
        .map(|l| {
            if tolerance > 0.0 {
                snap_path(&l.simplify(tolerance))
            } else {
                snap_path(l)
            }
        })
        .filter(|p| p.len() >= 2)
        .collect();
    (!kept.is_empty()).then_some(TileGeometry::Lines(kept))
}

fn polygons(ps: &[Polygon<f64>], tolerance: f64) -> Option<TileGeometry> {
    let simplified: Vec<Polygon<f64>>;
    let ps = if tolerance > 0.0 {
        simplified = ps.iter().map(|p| simplify_polygon(p, tolerance)).collect();
        &simplified
    } else {
        ps
    };
    let mut snapped = snap_polygons(ps);
    // Snapping can fold a ring onto itself; re-node and snap again.
    let mut tries = 0;
    while !valid(&snapped) {
        if tries == 3 {
            return None;
        }
        tries += 1;
        let renoded = to_geo(&snapped).union(&MultiPolygon::new(vec![]));
        snapped = snap_polygons(&renoded.0);
    }
    if snapped.is_empty() {
        return None;
    }
    for poly in &mut snapped {
        for (i, ring) in poly.iter_mut().enumerate() {
            let positive = twice_area(ring) > 0;
            if (i == 0) != positive {
                ring.reverse();
            }
        }
    }
    Some(TileGeometry::Polygons(snapped))
}

/// Snaps each ring; drops holes that collapse, and polygons whose exterior
/// collapses.
fn snap_polygons(ps: &[Polygon<f64>]) -> Vec<Vec<Vec<Pt>>> {
    let mut out = Vec::new();
    for p in ps {
        let Some(exterior) = snap_ring(p.exterior()) else {
            continue;
        };
        let mut rings = vec![exterior];
        rings.extend(p.interiors().iter().filter_map(snap_ring));
        out.push(rings);
    }
    out
}

/// An open ring of distinct consecutive points with an area, or `None`.
fn snap_ring(r: &LineString<f64>) -> Option<Vec<Pt>> {
    let mut pts = snap_path(r);
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    (pts.len() >= 3 && twice_area(&pts) != 0).then_some(pts)
}

/// Whether snapped polygons are valid (OGC simple features). One ring of
/// up to [`SMALL_RING`] points, the usual case, is checked exactly in
/// integers, edge against edge; anything else by geo's validation.
fn valid(ps: &[Vec<Vec<Pt>>]) -> bool {
    match ps {
        [] => true,
        [rings] if rings.len() == 1 && rings[0].len() <= SMALL_RING => simple_ring(&rings[0]),
        _ => to_geo(ps).is_valid(),
    }
}

/// The most points of a ring checked edge against edge.
const SMALL_RING: usize = 64;

/// Whether an open ring (as [`snap_ring`] leaves it: no consecutive
/// repeats, the last point not the first) bounds an area without touching
/// or crossing itself: no point twice, no edge turning back along the one
/// before, no two edges that are not neighbours meeting anywhere.
fn simple_ring(ring: &[Pt]) -> bool {
    let n = ring.len();
    if n < 3 || twice_area(ring) == 0 {
        return false;
    }
    let edge = |i: usize| (ring[i], ring[(i + 1) % n]);
    for i in 0..n {
        let (a, b) = edge(i);
        let c = ring[(i + 2) % n];
        // b turns back onto a-b: a spike.
        if orient(a, b, c) == 0 && dot(a, b, c) < 0 {
            return false;
        }
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue;
            }
            let (p, q) = edge(j);
            if segments_meet(a, b, p, q) {
                return false;
            }
        }
    }
    true
}

/// The sign of the turn a→b→c: positive left, negative right, 0 straight.
fn orient(a: Pt, b: Pt, c: Pt) -> i64 {
    let (ax, ay, bx, by, cx, cy) = (
        i64::from(a.0),
        i64::from(a.1),
        i64::from(b.0),
        i64::from(b.1),
        i64::from(c.0),
        i64::from(c.1),
    );
    ((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)).signum()
}

/// (a - b) · (c - b): negative when b→c heads back towards a.
fn dot(a: Pt, b: Pt, c: Pt) -> i64 {
    let (ux, uy) = (
        i64::from(a.0) - i64::from(b.0),
        i64::from(a.1) - i64::from(b.1),
    );
    let (vx, vy) = (
        i64::from(c.0) - i64::from(b.0),
        i64::from(c.1) - i64::from(b.1),
    );
    -(ux * vx + uy * vy)
}

/// Whether segments a-b and p-q share any point.
fn segments_meet(a: Pt, b: Pt, p: Pt, q: Pt) -> bool {
    let on = |a: Pt, b: Pt, c: Pt| {
        c.0 >= a.0.min(b.0) && c.0 <= a.0.max(b.0) && c.1 >= a.1.min(b.1) && c.1 <= a.1.max(b.1)
    };
    let (o1, o2, o3, o4) = (
        orient(a, b, p),
        orient(a, b, q),
        orient(p, q, a),
        orient(p, q, b),
    );
    if o1 != o2 && o3 != o4 && o1 * o2 <= 0 && o3 * o4 <= 0 {
        return true;
    }
    (o1 == 0 && on(a, b, p))
        || (o2 == 0 && on(a, b, q))
        || (o3 == 0 && on(p, q, a))
        || (o4 == 0 && on(p, q, b))
}

/// Twice the signed area by the surveyor's formula, exact in integers.
pub fn twice_area(ring: &[Pt]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1)
        })
        .sum()
}

fn to_geo(ps: &[Vec<Vec<Pt>>]) -> MultiPolygon<f64> {
    let ring = |r: &Vec<Pt>| {
        LineString::from(
            r.iter()
                .map(|&(x, y)| (f64::from(x), f64::from(y)))
                .collect::<Vec<_>>(),
        )
    };
    MultiPolygon::new(
        ps.iter()
            .map(|rings| Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use proptest::prelude::*;

    proptest! {
        /// Any double, of any size, rounds as `f64::round` and `as` would.
        #[test]
        fn rounding_is_the_standard_rounding(bits in any::<u64>(), small in -5000.0f64..5000.0) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(round_i32(x), x.round() as i32);
            prop_assert_eq!(round_i32(small), small.round() as i32);
        }
    }

    #[test]
    fn rounding_at_the_halves_and_the_ends() {
        for x in [
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4095.5,
            -64.5,
            2147483647.4,
            2147483647.5,
            -2147483648.5,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            0.0,
            -0.0,
            9007199254740993.0,
        ] {
            assert_eq!(round_i32(x), x.round() as i32, "{x}");
        }
    }

    #[test]
    fn exterior_positive_holes_negative() {
        // A square with a hole, both rings given in the "wrong" direction.
        let p = Geometry::Polygon(Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (0.0, 100.0),
                (100.0, 100.0),
                (100.0, 0.0),
                (0.0, 0.0),
            ]),
            vec![LineString::from(vec![
                (10.0, 10.0),
                (90.0, 10.0),
                (90.0, 90.0),
                (10.0, 90.0),
                (10.0, 10.0),
            ])],
        ));
        let Some(TileGeometry::Polygons(ps)) = snap(&p, 0.0) else {
            panic!()
        };
        assert!(twice_area(&ps[0][0]) > 0);
        assert!(twice_area(&ps[0][1]) < 0);
    }

    #[test]
    fn a_sliver_that_snaps_to_nothing_is_dropped() {
        let sliver =
            Geometry::Polygon(polygon![(x: 0.1, y: 0.1), (x: 50.2, y: 0.2), (x: 50.1, y: 0.3)]);
        assert_eq!(snap(&sliver, 0.0), None);
    }

    #[test]
    fn repeated_points_are_removed() {
        let line = Geometry::LineString(LineString::from(vec![
            (0.1, 0.1),
            (0.2, 0.2),
            (5.0, 5.0),
            (5.1, 4.9),
        ]));
        assert_eq!(
            snap(&line, 0.0),
            Some(TileGeometry::Lines(vec![vec![(0, 0), (5, 5)]]))
        );
    }

    #[test]
    fn small_polygons_survive_simplification() {
        let tiny = Geometry::Polygon(
            polygon![(x: 0.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 3.0), (x: 0.0, y: 3.0)],
        );
        assert!(snap(&tiny, 4.0).is_some());
    }

    proptest! {
        /// The integer check of one ring agrees with geo's validation, on
        /// small rings on a small grid, where crossings, touches, spikes
        /// and repeated points are common.
        #[test]
        fn a_small_ring_is_simple_exactly_when_geo_says_valid(
            pts in prop::collection::vec((0i32..6, 0i32..6), 3..9)
        ) {
            let mut ring: Vec<Pt> = Vec::new();
            for p in pts {
                if ring.last() != Some(&p) {
                    ring.push(p);
                }
            }
            while ring.len() > 1 && ring.first() == ring.last() {
                ring.pop();
            }
            // As snap_ring leaves them: three points or more, an area.
            if ring.len() < 3 || twice_area(&ring) == 0 {
                return Ok(());
            }
            let polys = vec![vec![ring.clone()]];
            prop_assert_eq!(simple_ring(&ring), to_geo(&polys).is_valid(), "{:?}", ring);
        }
    }

    /// A star-shaped polygon around (cx, cy): valid before snapping, and
    /// small enough (a few grid units) that snapping often folds it.
    fn star() -> impl Strategy<Value = Polygon<f64>> {
        (
            0.0f64..50.0,
            0.0f64..50.0,
            prop::collection::vec(0.3f64..6.0, 3..12),
        )
            .prop_map(|(cx, cy, radii)| {
                let n = radii.len() as f64;
                let mut ring: Vec<(f64, f64)> = radii
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let a = i as f64 / n * std::f64::consts::TAU;
                        (cx + r * a.cos(), cy + r * a.sin())
                    })
                    .collect();
                ring.push(ring[0]);
                Polygon::new(LineString::from(ring), vec![])
            })
    }

    proptest! {
        #[test]
        fn snapping_never_emits_an_invalid_polygon(parts in prop::collection::vec(star(), 1..4), tol in prop_oneof![Just(0.0), 0.0f64..3.0]) {
            // Keep the parts disjoint before snapping, as a valid
            // multipolygon's are.
            let mut mp = MultiPolygon::new(vec![]);
            for p in parts {
                mp = mp.union(&MultiPolygon::new(vec![p]));
            }
            prop_assume!(mp.is_valid() && !mp.0.is_empty());
            if let Some(TileGeometry::Polygons(ps)) = snap(&Geometry::MultiPolygon(mp), tol) {
                prop_assert!(to_geo(&ps).is_valid(), "{:?}", ps);
                for poly in &ps {
                    prop_assert!(twice_area(&poly[0]) > 0);
                    for hole in &poly[1..] {
                        prop_assert!(twice_area(hole) < 0);
                    }
                    for ring in poly {
                        prop_assert!(ring.len() >= 3);
                        prop_assert!(ring.windows(2).all(|w| w[0] != w[1]));
                        prop_assert!(ring.first() != ring.last());
                    }
                }
            }
        }
    }
}
