//! The Web Mercator tile grid (EPSG:3857, the XYZ scheme): tile
//! coordinates and their bounds; the projection itself is
//! [`crate::mercator`]. See
//! <https://wiki.openstreetmap.org/wiki/Slippy_map_tilenames>.

use super::TileError;
use crate::catalog::MAX_ZOOM;
use crate::mercator::{project, unproject, HALF_WORLD};
use geo::{Coord, Rect};
use std::fmt;

/// A tile: zoom, column (from the west), row (from the north).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    /// Zoom, 0 to [`MAX_ZOOM`].
    pub z: u8,
    /// Column, 0 to 2^z - 1.
    pub x: u32,
    /// Row, 0 to 2^z - 1.
    pub y: u32,
}

impl TileCoord {
    /// A tile, checked to exist.
    pub fn new(z: u8, x: u32, y: u32) -> Result<TileCoord, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::ZoomTooHigh { z: u64::from(z) });
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(TileError::OutOfGrid { z, x, y, n });
        }
        Ok(TileCoord { z, x, y })
    }

    /// Parses `z/x/y`, with a clear message for each way it can be wrong.
    pub fn parse(s: &str) -> Result<TileCoord, TileError> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        let [z, x, y] = parts.as_slice() else {
            return Err(TileError::Malformed(s.to_string()));
        };
        TileCoord::from_parts(z, x, y)
    }

    /// Parses the three numbers of a tile path (`z`, `x`, `y`), checking
    /// them as [`TileCoord::parse`] does.
    pub fn from_parts(z: &str, x: &str, y: &str) -> Result<TileCoord, TileError> {
        let num = |name: &'static str, v: &str| -> Result<u64, TileError> {
            v.parse::<u64>().map_err(|_| TileError::NotANumber {
                name,
                value: v.to_string(),
            })
        };
        let (z, x, y) = (num("z", z)?, num("x", x)?, num("y", y)?);
        let z = u8::try_from(z)
            .ok()
            .filter(|z| *z <= MAX_ZOOM)
            .ok_or(TileError::ZoomTooHigh { z })?;
        let n = 1u64 << z;
        if x >= n || y >= n {
            return Err(TileError::OutOfGrid {
                z,
                x: x.min(u64::from(u32::MAX)) as u32,
                y: y.min(u64::from(u32::MAX)) as u32,
                n,
            });
        }
        Ok(TileCoord {
            z,
            x: x as u32,
            y: y as u32,
        })
    }

    /// The tile's width in Web Mercator metres.
    pub fn size_m(self) -> f64 {
        2.0 * HALF_WORLD / f64::from(1u32 << self.z)
    }

    /// The tile's bounds in Web Mercator metres.
    pub fn bounds_mercator(self) -> Rect<f64> {
        let s = self.size_m();
        let min_x = -HALF_WORLD + f64::from(self.x) * s;
        let max_y = HALF_WORLD - f64::from(self.y) * s;
        Rect::new(
            Coord {
                x: min_x,
                y: max_y - s,
            },
            Coord {
                x: min_x + s,
                y: max_y,
            },
        )
    }

    /// The tile's bounds in longitude/latitude.
    pub fn bounds_lonlat(self) -> Rect<f64> {
        let b = self.bounds_mercator();
        Rect::new(unproject(b.min()), unproject(b.max()))
    }

    /// The tile containing a longitude/latitude at zoom `z`.
    pub fn containing(lon: f64, lat: f64, z: u8) -> TileCoord {
        let p = project(Coord { x: lon, y: lat });
        let n = f64::from(1u32 << z.min(MAX_ZOOM));
        let fx = ((p.x + HALF_WORLD) / (2.0 * HALF_WORLD) * n).floor();
        let fy = ((HALF_WORLD - p.y) / (2.0 * HALF_WORLD) * n).floor();
        let clamp = |v: f64| v.clamp(0.0, n - 1.0) as u32;
        TileCoord {
            z: z.min(MAX_ZOOM),
            x: clamp(fx),
            y: clamp(fy),
        }
    }

    /// All tiles at zoom `z` that meet a longitude/latitude box.
    pub fn covering(bbox: Rect<f64>, z: u8) -> impl Iterator<Item = TileCoord> {
        let a = TileCoord::containing(bbox.min().x, bbox.max().y, z);
        let b = TileCoord::containing(bbox.max().x, bbox.min().y, z);
        (a.y..=b.y).flat_map(move |y| (a.x..=b.x).map(move |x| TileCoord { z: a.z, x, y }))
    }
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_accepts_good_paths() {
        assert_eq!(
            TileCoord::parse("0/0/0").unwrap(),
            TileCoord { z: 0, x: 0, y: 0 }
        );
        assert_eq!(
            TileCoord::parse("12/3374/1548").unwrap(),
            TileCoord {
                z: 12,
                x: 3374,
                y: 1548
            }
        );
    }

    #[test]
    fn parse_rejects_bad_paths_with_reasons() {
        let msg = |s: &str| TileCoord::parse(s).unwrap_err().to_string();
        assert!(msg("1/2").contains("z/x/y"));
        assert!(msg("a/0/0").contains("z must be a whole number"));
        assert!(msg("3/-1/0").contains("x must be a whole number"));
        assert!(msg("23/0/0").contains("zoom 23 is above"));
        assert!(msg("2/4/0").contains("below 2^2 = 4"));
        assert!(msg("99999999999/0/0").contains("zoom 99999999999 is above"));
    }

    #[test]
    fn known_tile_for_miyun() {
        // The district government at 116.843 E, 40.376 N.
        let t = TileCoord::containing(116.843, 40.376, 12);
        assert_eq!((t.x, t.y), (3377, 1545)); // the OSM slippy-map formula gives the same
    }

    proptest! {
        #[test]
        fn projection_round_trips(lon in -180.0f64..180.0, lat in -85.0f64..85.0) {
            let back = unproject(project(Coord { x: lon, y: lat }));
            prop_assert!((back.x - lon).abs() < 1e-9 && (back.y - lat).abs() < 1e-9);
        }

        #[test]
        fn a_point_lies_in_the_tile_that_contains_it(lon in -179.9f64..179.9, lat in -85.0f64..85.0, z in 0u8..=22) {
            let t = TileCoord::containing(lon, lat, z);
            let b = t.bounds_mercator();
            let p = project(Coord { x: lon, y: lat });
            prop_assert!(b.min().x - 1e-6 <= p.x && p.x <= b.max().x + 1e-6);
            prop_assert!(b.min().y - 1e-6 <= p.y && p.y <= b.max().y + 1e-6);
        }
    }
}
