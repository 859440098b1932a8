//! From a feature's Web Mercator geometry to tile space, cut to the
//! buffered tile: the first steps of the pipeline.

use super::TileCoord;
use geo::{
    BooleanOps, BoundingRect, Coord, Geometry, LineString, MapCoords, MultiLineString, MultiPoint,
    MultiPolygon, Polygon, Rect,
};

/// Maps Web Mercator metres to tile coordinates: `0..extent`, y down.
pub fn to_tile_space(g: &Geometry<f64>, tile: TileCoord, extent: u32) -> Geometry<f64> {
    let b = tile.bounds_mercator();
    let k = f64::from(extent) / tile.size_m();
    let (min_x, max_y) = (b.min().x, b.max().y);
    g.map_coords(|c| Coord {
        x: (c.x - min_x) * k,
        y: (max_y - c.y) * k,
    })
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

fn clip_lines(square: &Rect<f64>, lines: MultiLineString<f64>) -> Option<Geometry<f64>> {
    let cut = square.to_polygon().clip(&lines, false);
    let kept: Vec<LineString<f64>> = cut.into_iter().filter(|l| l.0.len() >= 2).collect();
    (!kept.is_empty()).then(|| Geometry::MultiLineString(MultiLineString::new(kept)))
}

fn clip_polygons(square: &Rect<f64>, polys: MultiPolygon<f64>) -> Option<Geometry<f64>> {
    let cut = polys.intersection(&MultiPolygon::new(vec![square.to_polygon()]));
    let kept: Vec<Polygon<f64>> = cut.into_iter().collect();
    (!kept.is_empty()).then(|| Geometry::MultiPolygon(MultiPolygon::new(kept)))
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
    fn points_outside_the_buffer_are_dropped() {
        let p = Geometry::Point(geo::Point::new(4200.0, 10.0));
        assert!(clip(p, -64.0, 4160.0).is_none());
        let q = Geometry::Point(geo::Point::new(4150.0, 10.0));
        assert!(clip(q, -64.0, 4160.0).is_some());
    }
}
