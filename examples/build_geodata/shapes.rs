//! Small geometry helpers: rounding to the output precision, lobed shapes
//! drawn in metres, pieces of polylines, geodesic areas.

use geo::orient::Direction;
use geo::{
    BooleanOps, Coord, GeodesicArea, Geometry, LineString, MapCoords, MultiPolygon, Orient,
    Polygon, RemoveRepeatedPoints,
};

use crate::frame::Frame;

/// Decimal places kept in the output (about 0.1 m).
pub const DECIMALS: i32 = 6;

/// Round one number to the output precision.
pub fn round6(v: f64) -> f64 {
    let f = 10f64.powi(DECIMALS);
    let r = (v * f).round() / f;
    // Never write "-0".
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Round a multipolygon to the output precision, drop repeated vertices and
/// degenerate rings, and orient it the RFC 7946 way (exteriors
/// counter-clockwise, holes clockwise).
pub fn tidy_mp(mp: &MultiPolygon) -> MultiPolygon {
    let rounded = mp.map_coords(|c| Coord {
        x: round6(c.x),
        y: round6(c.y),
    });
    let cleaned = rounded.remove_repeated_points();
    let polys = cleaned
        .0
        .into_iter()
        .filter(|p| p.exterior().0.len() >= 4)
        .map(|p| {
            let (ext, holes) = p.into_inner();
            let holes = holes.into_iter().filter(|h| h.0.len() >= 4).collect();
            Polygon::new(ext, holes)
        })
        .collect();
    MultiPolygon(polys).orient(Direction::Default)
}

/// Round any geometry to the output precision (see [`tidy_mp`]).
pub fn tidy(g: &Geometry) -> Geometry {
    match g {
        Geometry::Polygon(p) => {
            let mp = tidy_mp(&MultiPolygon(vec![p.clone()]));
            match mp.0.len() {
                1 => Geometry::Polygon(mp.0[0].clone()),
                _ => Geometry::MultiPolygon(mp),
            }
        }
        Geometry::MultiPolygon(mp) => {
            let mp = tidy_mp(mp);
            match mp.0.len() {
                1 => Geometry::Polygon(mp.0[0].clone()),
                _ => Geometry::MultiPolygon(mp),
            }
        }
        other => other
            .map_coords(|c| Coord {
                x: round6(c.x),
                y: round6(c.y),
            })
            .remove_repeated_points(),
    }
}

/// Geodesic area on the WGS84 ellipsoid, hectares.
pub fn area_ha(mp: &MultiPolygon) -> f64 {
    mp.geodesic_area_unsigned() / 10_000.0
}

/// A smooth irregular shape: an ellipse of semi-axes `radius_m · aspect`
/// (east) by `radius_m` (north), its radius modulated by a few cosine lobes
/// `(k, amplitude, phase_deg)`, rotated by `rotation_deg` anticlockwise,
/// centred on `centre` (lon, lat). `n` vertices.
pub struct Lobed<'a> {
    pub centre: (f64, f64),
    pub radius_m: f64,
    pub aspect: f64,
    pub rotation_deg: f64,
    pub lobes: &'a [(f64, f64, f64)],
}

impl Lobed<'_> {
    /// The outline as a lon/lat polygon with `n` vertices, scaled by `scale`.
    pub fn polygon(&self, frame: &Frame, scale: f64, n: usize) -> Polygon {
        let c = frame.fwd_coord(Coord {
            x: self.centre.0,
            y: self.centre.1,
        });
        let (sin_r, cos_r) = self.rotation_deg.to_radians().sin_cos();
        let mut ring = Vec::with_capacity(n + 1);
        for i in 0..n {
            let t = std::f64::consts::TAU * i as f64 / n as f64;
            let m: f64 = 1.0
                + self
                    .lobes
                    .iter()
                    .map(|&(k, a, ph)| a * (k * t + ph.to_radians()).cos())
                    .sum::<f64>();
            let r = self.radius_m * scale * m.max(0.2);
            let (x, y) = (r * self.aspect * t.cos(), r * t.sin());
            let (x, y) = (x * cos_r - y * sin_r, x * sin_r + y * cos_r);
            ring.push(frame.inv_coord(Coord {
                x: c.x + x,
                y: c.y + y,
            }));
        }
        ring.push(ring[0]);
        Polygon::new(LineString(ring), vec![])
    }
}

/// The last `metres` of a polyline (measured in the local frame), ending at
/// the polyline's last vertex.
pub fn tail(frame: &Frame, line: &LineString, metres: f64) -> LineString {
    let pts: Vec<Coord> = line.0.iter().map(|&c| frame.fwd_coord(c)).collect();
    let mut out = vec![*pts.last().expect("non-empty polyline")];
    let mut left = metres;
    for w in pts.windows(2).rev() {
        let (a, b) = (w[0], w[1]);
        let d = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
        if d >= left {
            let f = left / d;
            out.push(Coord {
                x: b.x + (a.x - b.x) * f,
                y: b.y + (a.y - b.y) * f,
            });
            break;
        }
        out.push(a);
        left -= d;
    }
    out.reverse();
    LineString(out.into_iter().map(|c| frame.inv_coord(c)).collect())
}

/// A lon/lat polyline from constant pairs.
pub fn line(coords: &[(f64, f64)]) -> LineString {
    LineString(coords.iter().map(|&(x, y)| Coord { x, y }).collect())
}

/// A lon/lat polygon from constant pairs (closed automatically).
pub fn polygon(coords: &[(f64, f64)]) -> Polygon {
    Polygon::new(line(coords), vec![])
}

/// `a` minus each of `others`.
pub fn minus_all(a: &MultiPolygon, others: &[&MultiPolygon]) -> MultiPolygon {
    others.iter().fold(a.clone(), |acc, o| acc.difference(*o))
}

/// Number of vertices of the largest ring.
pub fn max_ring_len(mp: &MultiPolygon) -> usize {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.len())
        .max()
        .unwrap_or(0)
}
