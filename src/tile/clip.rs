//! From a feature's Web Mercator geometry to tile space, cut to the
//! buffered tile: the first steps of the pipeline.

use super::TileCoord;
use geo::{
    BooleanOps, BoundingRect, Coord, Geometry, LineString, MapCoords, MultiLineString, MultiPoint,
    MultiPolygon, Polygon, Rect,
};

/// Maps Web Mercator metres to tile coordinates: `0..extent`, y down.
pub fn to_tile_space(g: &Geometry<f64>, tile: TileCoord, extent: u32) -> Geometry<f64> {
    let t = TileSpace::new(tile, extent);
    g.map_coords(|c| {
        let (x, y) = t.xy(c);
        Coord { x, y }
    })
}

/// Web Mercator metres to one tile's coordinates.
#[derive(Debug, Clone, Copy)]
pub struct TileSpace {
    min_x: f64,
    max_y: f64,
    k: f64,
}

impl TileSpace {
    /// The space of `tile` with `extent` units a side.
    pub fn new(tile: TileCoord, extent: u32) -> TileSpace {
        let b = tile.bounds_mercator();
        TileSpace {
            min_x: b.min().x,
            max_y: b.max().y,
            k: f64::from(extent) / tile.size_m(),
        }
    }

    /// A point in tile coordinates.
    pub fn xy(&self, c: Coord<f64>) -> (f64, f64) {
        ((c.x - self.min_x) * self.k, (self.max_y - c.y) * self.k)
    }
}

/// Cuts a tile-space geometry to the square `[lo, hi]²`. Points outside are
/// dropped; lines are cut where they leave; polygons are intersected, so a
/// polygon that covers the whole square comes out as the square. `None`
/// when nothing is left.
pub fn clip(g: Geometry<f64>, lo: f64, hi: f64) -> Option<Geometry<f64>> {
    let square = Rect::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi });
    let bbox = g.bounding_rect()?;
    let inside =
        |r: Rect<f64>| r.min().x >= lo && r.min().y >= lo && r.max().x <= hi && r.max().y <= hi;
    let disjoint =
        |r: Rect<f64>| r.max().x < lo || r.max().y < lo || r.min().x > hi || r.min().y > hi;
    if disjoint(bbox) {
        return None;
    }
    if inside(bbox) {
        return Some(g);
    }
    let in_square = |c: &Coord<f64>| c.x >= lo && c.x <= hi && c.y >= lo && c.y <= hi;
    let out = match g {
        Geometry::Point(p) => in_square(&p.0).then_some(Geometry::Point(p))?,
        Geometry::MultiPoint(mp) => {
            let kept: Vec<_> = mp.into_iter().filter(|p| in_square(&p.0)).collect();
            if kept.is_empty() {
                return None;
            }
            Geometry::MultiPoint(MultiPoint::new(kept))
        }
        Geometry::LineString(ls) => clip_lines(&square, MultiLineString::new(vec![ls]))?,
        Geometry::MultiLineString(mls) => clip_lines(&square, mls)?,
        Geometry::Polygon(p) => clip_polygons(&square, MultiPolygon::new(vec![p]))?,
        Geometry::MultiPolygon(mp) => clip_polygons(&square, mp)?,
        other => other,
    };
    Some(out)
}

/// Cuts each line to the square (Liang–Barsky, segment by segment): the
/// pieces inside, the square's edges counting as inside.
fn clip_lines(square: &Rect<f64>, lines: MultiLineString<f64>) -> Option<Geometry<f64>> {
    let (lo, hi) = (square.min(), square.max());
    let mut kept: Vec<LineString<f64>> = Vec::new();
    for line in &lines {
        let mut piece: Vec<Coord<f64>> = Vec::new();
        for w in line.0.windows(2) {
            let Some((t0, t1)) = segment_in_box(w[0], w[1], lo, hi) else {
                flush(&mut piece, &mut kept);
                continue;
            };
            let at = |t: f64| {
                if t == 0.0 {
                    w[0]
                } else if t == 1.0 {
                    w[1]
                } else {
                    Coord {
                        x: w[0].x + t * (w[1].x - w[0].x),
                        y: w[0].y + t * (w[1].y - w[0].y),
                    }
                }
            };
            if t0 > 0.0 {
                flush(&mut piece, &mut kept);
            }
            if piece.is_empty() {
                piece.push(at(t0));
            }
            piece.push(at(t1));
            if t1 < 1.0 {
                flush(&mut piece, &mut kept);
            }
        }
        flush(&mut piece, &mut kept);
    }
    (!kept.is_empty()).then(|| Geometry::MultiLineString(MultiLineString::new(kept)))
}

/// Ends a piece of line, kept if it has two points or more.
fn flush(piece: &mut Vec<Coord<f64>>, kept: &mut Vec<LineString<f64>>) {
    if piece.len() >= 2 {
        kept.push(LineString::new(std::mem::take(piece)));
    } else {
        piece.clear();
    }
}

/// The part of segment a-b in the box, as parameters `0 <= t0 <= t1 <= 1`
/// along it, or `None` when it misses the box.
fn segment_in_box(
    a: Coord<f64>,
    b: Coord<f64>,
    lo: Coord<f64>,
    hi: Coord<f64>,
) -> Option<(f64, f64)> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.x - lo.x),
        (dx, hi.x - a.x),
        (-dy, a.y - lo.y),
        (dy, hi.y - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    (t0 <= t1).then_some((t0, t1))
}

fn clip_polygons(square: &Rect<f64>, polys: MultiPolygon<f64>) -> Option<Geometry<f64>> {
    let (lo, hi) = (square.min().x, square.max().x);
    let mut kept: Vec<Polygon<f64>> = Vec::new();
    let mut rest: Vec<Polygon<f64>> = Vec::new();
    for p in polys {
        match cut_simply(p, lo, hi) {
            Ok(cut) => kept.extend(cut),
            Err(p) => rest.push(p),
        }
    }
    if !rest.is_empty() {
        let cut =
            MultiPolygon::new(rest).intersection(&MultiPolygon::new(vec![square.to_polygon()]));
        kept.extend(cut);
    }
    (!kept.is_empty()).then(|| Geometry::MultiPolygon(MultiPolygon::new(kept)))
}

/// A side of the square: which coordinate, and which way is inside.
#[derive(Clone, Copy)]
enum Side {
    Left(f64),
    Right(f64),
    Bottom(f64),
    Top(f64),
}

impl Side {
    fn inside(self, c: Coord<f64>) -> bool {
        match self {
            Side::Left(v) => c.x >= v,
            Side::Right(v) => c.x <= v,
            Side::Bottom(v) => c.y >= v,
            Side::Top(v) => c.y <= v,
        }
    }

    /// Where the segment from `a` to `b`, one end each side, meets the
    /// side's line.
    fn cross(self, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        match self {
            Side::Left(v) | Side::Right(v) => Coord {
                x: v,
                y: a.y + (v - a.x) / (b.x - a.x) * (b.y - a.y),
            },
            Side::Bottom(v) | Side::Top(v) => Coord {
                x: a.x + (v - a.y) / (b.y - a.y) * (b.x - a.x),
                y: v,
            },
        }
    }
}

/// A polygon without holes cut to the square side by side, when at each
/// side its ring goes out and comes back at most once. Then the part
/// inside a side's line is bounded by the ring's inside stretch and the
/// one piece of the line between the two crossings, which is what cutting
/// the ring there makes (Sutherland and Hodgman's step), with no boolean
/// overlay: the common case of a small polygon over a tile's edge. `Ok`
/// with the part inside (`None` when nothing is); for any other polygon
/// (holes, a ring crossing a line more often), `Err` with what is left
/// for the overlay to cut: the polygon, already cut by the sides before
/// the one it crosses more often (the same part of the square). A ring
/// that only touches itself after the cut (a vertex exactly on the line)
/// is caught, like any other, by the validity check after snapping.
fn cut_simply(p: Polygon<f64>, lo: f64, hi: f64) -> Result<Option<Polygon<f64>>, Polygon<f64>> {
    if !p.interiors().is_empty() {
        return Err(p);
    }
    let (exterior, _) = p.into_inner();
    let mut ring: Vec<Coord<f64>> = exterior.0;
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    for side in [
        Side::Left(lo),
        Side::Right(hi),
        Side::Bottom(lo),
        Side::Top(hi),
    ] {
        let n = ring.len();
        if n < 3 {
            return Ok(None);
        }
        let changes = (0..n)
            .filter(|&i| side.inside(ring[i]) != side.inside(ring[(i + 1) % n]))
            .count();
        match changes {
            0 if side.inside(ring[0]) => continue,
            0 => return Ok(None),
            2 => {}
            _ => {
                ring.push(ring[0]);
                return Err(Polygon::new(LineString::new(ring), vec![]));
            }
        }
        let mut out = Vec::with_capacity(n + 2);
        for i in 0..n {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            if side.inside(a) {
                out.push(a);
            }
            if side.inside(a) != side.inside(b) {
                out.push(side.cross(a, b));
            }
        }
        ring = out;
    }
    if ring.len() < 3 {
        return Ok(None);
    }
    ring.push(ring[0]);
    Ok(Some(Polygon::new(LineString::new(ring), vec![])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area};

    #[test]
    fn a_polygon_over_the_whole_tile_becomes_the_square() {
        let big = Geometry::Polygon(polygon![
            (x: -1000.0, y: -1000.0), (x: 9000.0, y: -1000.0), (x: 9000.0, y: 9000.0), (x: -1000.0, y: 9000.0)
        ]);
        let Some(Geometry::MultiPolygon(mp)) = clip(big, -64.0, 4160.0) else {
            panic!("expected a polygon")
        };
        assert_eq!(mp.0.len(), 1);
        assert!((mp.unsigned_area() - 4224.0 * 4224.0).abs() < 1e-6);
    }

    #[test]
    fn lines_are_cut_where_they_leave_and_join_where_they_stay() {
        // In, out through the right edge, back in, and along the bottom edge.
        let line = Geometry::LineString(LineString::from(vec![
            (10.0, 10.0),
            (50.0, 10.0),
            (150.0, 50.0),
            (50.0, 90.0),
            (20.0, 90.0),
        ]));
        let Some(Geometry::MultiLineString(cut)) = clip(line, 0.0, 100.0) else {
            panic!("expected lines")
        };
        let pieces: Vec<Vec<(f64, f64)>> = cut
            .0
            .iter()
            .map(|l| l.0.iter().map(|c| (c.x, c.y)).collect())
            .collect();
        assert_eq!(
            pieces,
            vec![
                vec![(10.0, 10.0), (50.0, 10.0), (100.0, 30.0)],
                vec![(100.0, 70.0), (50.0, 90.0), (20.0, 90.0)],
            ]
        );
        // A line wholly outside, though its box overlaps the square.
        let outside = Geometry::LineString(LineString::from(vec![(-50.0, 40.0), (40.0, -50.0)]));
        assert!(clip(outside, 0.0, 100.0).is_none());
        // A line along an edge is kept.
        let edge = Geometry::LineString(LineString::from(vec![(-10.0, 0.0), (110.0, 0.0)]));
        let Some(Geometry::MultiLineString(cut)) = clip(edge, 0.0, 100.0) else {
            panic!("expected the edge")
        };
        assert_eq!(
            cut.0[0].0,
            vec![Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 0.0 }]
        );
    }

    proptest::proptest! {
        /// What is kept of a line is what geo's boolean clip keeps: the
        /// same length inside the square.
        #[test]
        fn the_kept_length_is_geos(pts in proptest::collection::vec((-50.0f64..150.0, -50.0f64..150.0), 2..12)) {
            use geo::{Euclidean, Length};
            let line = LineString::from(pts);
            let square = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 100.0 });
            let theirs: f64 = square.to_polygon().clip(&MultiLineString::new(vec![line.clone()]), false)
                .iter().map(|l| Euclidean.length(l)).sum();
            let ours: f64 = match clip_lines(&square, MultiLineString::new(vec![line])) {
                Some(Geometry::MultiLineString(m)) => m.iter().map(|l| Euclidean.length(l)).sum(),
                _ => 0.0,
            };
            proptest::prop_assert!((ours - theirs).abs() < 1e-6 * (1.0 + theirs), "{} vs {}", ours, theirs);
        }
    }

    /// A star-shaped ring (simple, often concave) around `(cx, cy)`.
    fn star(cx: f64, cy: f64, radii: &[f64]) -> Polygon<f64> {
        let n = radii.len() as f64;
        let pts: Vec<(f64, f64)> = radii
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let a = std::f64::consts::TAU * i as f64 / n;
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect();
        Polygon::new(LineString::from(pts), vec![])
    }

    proptest::proptest! {
        /// Where the quick cut takes a polygon, it leaves geo's overlay's
        /// area (to a millionth: the overlay rounds to a grid of its own),
        /// and a valid polygon.
        #[test]
        fn the_quick_cut_is_the_overlays(
            cx in -60.0f64..160.0,
            cy in -60.0f64..160.0,
            radii in proptest::collection::vec(5.0f64..80.0, 3..24),
        ) {
            use geo::Validation;
            let p = star(cx, cy, &radii);
            let square = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 100.0 });
            let overlay = MultiPolygon::new(vec![p.clone()])
                .intersection(&MultiPolygon::new(vec![square.to_polygon()]))
                .unsigned_area();
            if let Ok(cut) = cut_simply(p.clone(), 0.0, 100.0) {
                let area = cut.as_ref().map_or(0.0, |q| q.unsigned_area());
                proptest::prop_assert!((area - overlay).abs() <= 1e-6 * (1.0 + overlay), "{area} != {overlay}");
                if let Some(q) = cut {
                    proptest::prop_assert!(q.is_valid(), "{q:?}");
                }
            }
            // Through `clip`, whichever way it goes, the area is the same.
            let clipped = clip(Geometry::Polygon(p), 0.0, 100.0).map_or(0.0, |g| g.unsigned_area());
            proptest::prop_assert!((clipped - overlay).abs() <= 1e-6 * (1.0 + overlay));
        }
    }

    #[test]
    fn rings_crossing_a_side_more_than_once_and_holes_go_to_the_overlay() {
        // A U over the top edge: its two arms cross the line y = 100 four
        // times, and the part inside is two pieces.
        let u = Polygon::new(
            LineString::from(vec![
                (10.0, 90.0),
                (90.0, 90.0),
                (90.0, 130.0),
                (70.0, 130.0),
                (70.0, 95.0),
                (30.0, 95.0),
                (30.0, 130.0),
                (10.0, 130.0),
            ]),
            vec![],
        );
        assert!(cut_simply(u.clone(), 0.0, 100.0).is_err());
        let Some(Geometry::MultiPolygon(cut)) = clip(Geometry::Polygon(u), 0.0, 100.0) else {
            panic!("expected polygons")
        };
        assert!((cut.unsigned_area() - (80.0 * 5.0 + 2.0 * 20.0 * 5.0)).abs() < 1e-9);
        let holed = polygon!(
            exterior: [(x: -10.0, y: 10.0), (x: 50.0, y: 10.0), (x: 50.0, y: 50.0), (x: -10.0, y: 50.0)],
            interiors: [[(x: 20.0, y: 20.0), (x: 30.0, y: 20.0), (x: 30.0, y: 30.0), (x: 20.0, y: 30.0)]],
        );
        assert_eq!(cut_simply(holed.clone(), 0.0, 100.0), Err(holed));
        // Over a corner: two sides, each crossed twice.
        let corner = polygon![(x: 90.0, y: 90.0), (x: 110.0, y: 90.0), (x: 110.0, y: 110.0), (x: 90.0, y: 110.0)];
        let cut = cut_simply(corner, 0.0, 100.0).unwrap().unwrap();
        assert!((cut.unsigned_area() - 100.0).abs() < 1e-9);
        // Wholly outside one side: nothing.
        let away = polygon![(x: 120.0, y: 10.0), (x: 130.0, y: 10.0), (x: 130.0, y: 20.0)];
        assert_eq!(cut_simply(away, 0.0, 100.0), Ok(None));
    }

    #[test]
    fn points_outside_the_buffer_are_dropped() {
        let p = Geometry::Point(geo::Point::new(4200.0, 10.0));
        assert!(clip(p, -64.0, 4160.0).is_none());
        let q = Geometry::Point(geo::Point::new(4150.0, 10.0));
        assert!(clip(q, -64.0, 4160.0).is_some());
    }
}
