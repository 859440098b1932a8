//! Lines and polygons simplified once per zoom band, at load, so that a
//! low-zoom tile clips a few vertices of each feature rather than all of
//! them, and does not simplify them again.
//!
//! Band `b` holds each line and polygon of a layer simplified
//! (Ramer–Douglas–Peucker, in Web Mercator metres) by one 4096th of a tile
//! at zoom `b`: what the default tile options (2 units of 4,096) allow at
//! zooms `b` and `b + 1`. A layer has bands at its maxzoom, maxzoom − 2, …,
//! down to its minzoom. A band keeps a feature only where simplifying
//! removed a quarter of the vertices or more of the next finer form; else
//! the finer form serves.

use super::Feature;
use crate::mercator::HALF_WORLD;
use geo::{CoordsIter, Geometry, LineString, MultiLineString, MultiPolygon, Polygon, Simplify};

/// A layer's bands, finest first.
#[derive(Debug, Default)]
pub struct Bands(Vec<Band>);

#[derive(Debug)]
struct Band {
    /// The simplification, in Web Mercator metres.
    tolerance: f64,
    /// Positions in the layer and their simplified geometry, by position.
    simplified: Vec<(u32, Geometry<f64>)>,
}

/// One 4096th of a tile's side at zoom `z`, in Web Mercator metres.
pub fn band_tolerance(z: u8) -> f64 {
    2.0 * HALF_WORLD / f64::from(1u32 << z.min(30)) / 4096.0
}

impl Bands {
    /// The bands of these features, for zooms `minzoom..=maxzoom`. Layers
    /// of points have none.
    pub fn build(features: &[Feature], minzoom: u8, maxzoom: u8) -> Bands {
        let shaped: Vec<u32> = (0..features.len() as u32)
            .filter(|&i| !is_points(&features[i as usize].mercator))
            .collect();
        if shaped.is_empty() {
            return Bands::default();
        }
        let zooms: Vec<u8> = (minzoom..=maxzoom).rev().step_by(2).collect();
        // Two halves on two threads, when there is enough to share.
        let (mut bands, rest) = if shaped.len() >= 1024 {
            let (a, b) = shaped.split_at(shaped.len() / 2);
            std::thread::scope(|s| {
                let other = s.spawn(|| simplify_each(features, b, &zooms));
                let mine = simplify_each(features, a, &zooms);
                let other = other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (mine, other)
            })
        } else {
            (simplify_each(features, &shaped, &zooms), Vec::new())
        };
        for (band, more) in bands.iter_mut().zip(rest) {
            band.simplified.extend(more.simplified);
        }
        for band in &mut bands {
            band.simplified.shrink_to_fit();
        }
        Bands(bands)
    }

    /// The geometry of feature `i` to cut with a tolerance of `tolerance`
    /// Web Mercator metres: from the coarsest band whose simplification is
    /// within it (or a finer one, where that band kept nothing of the
    /// feature), or `full`. Also whether a band served, in which case the
    /// geometry needs no further simplification.
    pub fn geometry<'a>(
        &'a self,
        i: usize,
        full: &'a Geometry<f64>,
        tolerance: f64,
    ) -> (&'a Geometry<f64>, bool) {
        let Some(start) = self.0.iter().rposition(|b| b.tolerance <= tolerance) else {
            return (full, false);
        };
        for band in self.0[..=start].iter().rev() {
            if let Ok(at) = band
                .simplified
                .binary_search_by_key(&(i as u32), |(p, _)| *p)
            {
                return (&band.simplified[at].1, true);
            }
        }
        (full, true)
    }

    /// Simplified geometries held, over all bands.
    pub fn len(&self) -> usize {
        self.0.iter().map(|b| b.simplified.len()).sum()
    }

    /// Whether the bands hold nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The bands at `zooms` (finest first) of the features at positions
/// `shaped`. Each band simplifies the feature's last stored form rather
/// than its full geometry, by what is left of its tolerance after the error
/// that form already has, so that no form strays further than its own
/// band's tolerance from the full geometry while each band works on a few
/// vertices.
fn simplify_each(features: &[Feature], shaped: &[u32], zooms: &[u8]) -> Vec<Band> {
    let mut bands: Vec<Band> = zooms
        .iter()
        .map(|&z| Band {
            tolerance: band_tolerance(z),
            simplified: Vec::new(),
        })
        .collect();
    for &i in shaped {
        let full = &features[i as usize].mercator;
        // The band holding the feature's last stored form (none: the
        // full geometry), that form's error and its vertices.
        let (mut last, mut error, mut count) = (None::<usize>, 0.0, full.coords_count());
        for k in 0..bands.len() {
            let tolerance = bands[k].tolerance;
            let g = {
                let form = match last {
                    Some(b) => bands[b].simplified.last().map_or(full, |(_, g)| g),
                    None => full,
                };
                simplify(form, tolerance - error)
            };
            let n = g.coords_count();
            if n * 4 <= count * 3 {
                bands[k].simplified.push((i, g));
                (last, error, count) = (Some(k), tolerance, n);
            }
        }
    }
    bands
}

fn is_points(g: &Geometry<f64>) -> bool {
    matches!(g, Geometry::Point(_) | Geometry::MultiPoint(_))
}

/// Lines and polygons simplified by `tolerance` (RDP); other geometry as it
/// is. Rings that simplifying would collapse are kept whole, so small
/// features do not vanish.
pub fn simplify(g: &Geometry<f64>, tolerance: f64) -> Geometry<f64> {
    match g {
        Geometry::LineString(l) => Geometry::LineString(l.simplify(tolerance)),
        Geometry::MultiLineString(m) => Geometry::MultiLineString(MultiLineString::new(
            m.iter().map(|l| l.simplify(tolerance)).collect(),
        )),
        Geometry::Polygon(p) => Geometry::Polygon(simplify_polygon(p, tolerance)),
        Geometry::MultiPolygon(m) => Geometry::MultiPolygon(MultiPolygon::new(
            m.iter().map(|p| simplify_polygon(p, tolerance)).collect(),
        )),
        other => other.clone(),
    }
}

/// Ramer–Douglas–Peucker on each ring, keeping a ring whole where
/// simplifying would collapse it.
pub fn simplify_polygon(p: &Polygon<f64>, tolerance: f64) -> Polygon<f64> {
    if tolerance <= 0.0 {
        return p.clone();
    }
    let ring = |r: &LineString<f64>| {
        let s = r.simplify(tolerance);
        if s.0.len() >= 4 {
            s
        } else {
            r.clone()
        }
    };
    Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Coord, Distance, Point};

    fn feature(i: usize, g: Geometry<f64>) -> Feature {
        // Features are built from lon/lat; the bands read `mercator`.
        let mut f = Feature::new(
            "l",
            format!("f{i}"),
            Geometry::Point(Point::new(0.0, 0.0)),
            serde_json::Map::new(),
        )
        .unwrap();
        f.mercator = g;
        f
    }

    /// A wiggly line of `n` vertices `step` metres apart, wiggling by `amp`.
    fn wiggle(n: usize, step: f64, amp: f64) -> Geometry<f64> {
        Geometry::LineString(LineString::new(
            (0..n)
                .map(|k| Coord {
                    x: k as f64 * step,
                    y: if k % 2 == 0 { 0.0 } else { amp },
                })
                .collect(),
        ))
    }

    #[test]
    fn a_band_serves_tolerances_at_or_above_its_own_and_never_coarser() {
        // Wiggles of 20 m: kept by bands 14, 12 and 10 (0.6, 2.4 and 9.6 m),
        // gone from band 8 (38 m) down.
        let features = vec![
            feature(0, wiggle(200, 50.0, 20.0)),
            feature(1, Geometry::Point(Point::new(1.0, 1.0))),
        ];
        let bands = Bands::build(&features, 6, 14);
        assert!(!bands.is_empty());
        let full = &features[0].mercator;
        let tol = |z: u8| 2.0 * band_tolerance(z);
        // z14 tile (2 units are 1.2 m): band 14 (0.6 m) serves, but it
        // simplified nothing away, so the full line does.
        let (g, banded) = bands.geometry(0, full, tol(14));
        assert!(banded);
        assert_eq!(g.coords_count(), 200);
        // z7 tile (2 units are 153 m): band 6 (153 m) serves; the wiggles
        // went at band 8 (38 m), which band 6 could not better.
        let (g, banded) = bands.geometry(0, full, tol(7));
        assert!(banded);
        assert_eq!(g.coords_count(), 2);
        // No tolerance (beyond maxzoom): the full geometry, to simplify as it is.
        let (g, banded) = bands.geometry(0, full, 0.0);
        assert!(!banded);
        assert!(std::ptr::eq(g, full));
        // Every band's form stays within its tolerance of the line: every
        // original vertex within tolerance of the simplified one.
        for z in [6u8, 8, 10, 12, 14] {
            let (g, _) = bands.geometry(0, full, band_tolerance(z));
            let Geometry::LineString(s) = g else { panic!() };
            for c in full.coords_iter() {
                let d = s
                    .lines()
                    .map(|l| geo::Euclidean.distance(&l, &Point::from(c)))
                    .fold(f64::INFINITY, f64::min);
                assert!(d <= band_tolerance(z) + 1e-9, "z{z}: {d}");
            }
        }
    }

    #[test]
    fn points_have_no_bands_and_small_rings_stay_whole() {
        let points = vec![feature(0, Geometry::Point(Point::new(1.0, 1.0)))];
        assert!(Bands::build(&points, 0, 14).is_empty());
        let square = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (5.0, 0.0),
                (5.0, 5.0),
                (0.0, 5.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        assert_eq!(simplify_polygon(&square, 100.0), square);
    }
}
