//! Geometry literals of CQL2 filters: WKT or GeoJSON (checked as layer
//! files are: in range, closed rings, valid polygons), `BBOX(w, s, e, n)`
//! and `ENVELOPE(w, e, n, s)`, in WGS 84 longitude/latitude.

use super::compile::describe;
use super::CqlError;
use crate::query::{QueryError, Target};
use cql2::Expr;
use geo::{Coord, Geometry, Rect};

/// A geometry literal: WKT or GeoJSON (checked as layer files are: in
/// range, closed rings, valid polygons), `BBOX(w, s, e, n)` or
/// `ENVELOPE(w, e, n, s)`.
pub(super) fn geometry_literal(expr: &Expr) -> Result<(Geometry<f64>, Rect<f64>), CqlError> {
    match expr {
        Expr::Geometry(g) => {
            let value =
                serde_json::to_value(g).map_err(|e| CqlError::BadGeometry(e.to_string()))?;
            let target = Target::from_geojson(&value).map_err(|e| {
                CqlError::BadGeometry(match e {
                    QueryError::BadGeometry(m) => m,
                    other => other.to_string(),
                })
            })?;
            Ok((target.geometry, target.bbox))
        }
        Expr::BBox { bbox } => {
            let n = numbers(bbox, "BBOX")?;
            match n.as_slice() {
                [w, s, e, north] | [w, s, _, e, north, _] => {
                    box_literal(*w, *s, *e, *north, "BBOX")
                }
                _ => Err(CqlError::BadGeometry(format!(
                    "BBOX takes 4 numbers (west, south, east, north), not {}",
                    n.len()
                ))),
            }
        }
        Expr::Operation { op, args } if op.eq_ignore_ascii_case("envelope") => {
            let n = numbers(args, "ENVELOPE")?;
            match n.as_slice() {
                [w, e, north, s] => box_literal(*w, *s, *e, *north, "ENVELOPE"),
                _ => Err(CqlError::BadGeometry(format!(
                    "ENVELOPE takes 4 numbers (west, east, north, south), not {}",
                    n.len()
                ))),
            }
        }
        other => Err(CqlError::BadGeometry(format!(
            "expected a geometry (WKT, GeoJSON, BBOX or ENVELOPE), not {}",
            describe(other)
        ))),
    }
}

fn numbers(args: &[Box<Expr>], what: &str) -> Result<Vec<f64>, CqlError> {
    args.iter()
        .map(|a| match a.as_ref() {
            Expr::Float(x) if x.is_finite() => Ok(*x),
            other => Err(CqlError::BadGeometry(format!(
                "{what} takes numbers, not {}",
                describe(other)
            ))),
        })
        .collect()
}

fn box_literal(
    w: f64,
    s: f64,
    e: f64,
    n: f64,
    what: &str,
) -> Result<(Geometry<f64>, Rect<f64>), CqlError> {
    if !((-180.0..=180.0).contains(&w) && (-180.0..=180.0).contains(&e)) {
        return Err(CqlError::BadGeometry(format!(
            "{what}: longitudes {w} and {e} must lie in -180..180"
        )));
    }
    if !((-90.0..=90.0).contains(&s) && (-90.0..=90.0).contains(&n)) {
        return Err(CqlError::BadGeometry(format!(
            "{what}: latitudes {s} and {n} must lie in -90..90"
        )));
    }
    if w > e || s > n {
        return Err(CqlError::BadGeometry(format!(
            "{what}: west {w} must not exceed east {e}, nor south {s} north {n}"
        )));
    }
    let rect = Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n });
    Ok((box_geometry(rect), rect))
}

/// A box as the geometry it is: a polygon, or when flat a line, or a
/// point (a zero-area polygon has no defined relations).
pub(super) fn box_geometry(r: Rect<f64>) -> Geometry<f64> {
    let (min, max) = (r.min(), r.max());
    match (min.x == max.x, min.y == max.y) {
        (true, true) => Geometry::Point(min.into()),
        (false, false) => Geometry::Polygon(r.to_polygon()),
        _ => Geometry::LineString(vec![min, max].into()),
    }
}
