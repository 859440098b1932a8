//! Web Mercator (EPSG:3857): longitude/latitude to metres on the sphere
//! of WGS 84's semi-major axis, and back. Below both the catalog (which
//! projects each feature once, at load) and the tile grid.

use geo::Coord;
use std::f64::consts::PI;

/// Half the width of the Web Mercator square, in metres.
pub const HALF_WORLD: f64 = 20_037_508.342_789_244;
/// The latitude where Web Mercator's square ends.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;
/// WGS84 semi-major axis, the sphere Web Mercator projects onto.
const R: f64 = 6_378_137.0;

/// Longitude/latitude to Web Mercator metres; latitudes beyond the
/// projection's square are clamped to its edge.
pub fn project(c: Coord<f64>) -> Coord<f64> {
    let lat = c.y.clamp(-MAX_LAT, MAX_LAT).to_radians();
    Coord {
        x: R * c.x.to_radians(),
        y: R * (PI / 4.0 + lat / 2.0).tan().ln(),
    }
}

/// Web Mercator metres to longitude/latitude.
pub fn unproject(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (c.x / R).to_degrees(),
        y: (2.0 * (c.y / R).exp().atan() - PI / 2.0).to_degrees(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_square_and_its_corners() {
        let c = project(Coord {
            x: 180.0,
            y: MAX_LAT,
        });
        assert!((c.x - HALF_WORLD).abs() < 1e-6 && (c.y - HALF_WORLD).abs() < 1e-6);
        // The poles clamp to the square's edge instead of going to infinity.
        assert_eq!(project(Coord { x: 0.0, y: 90.0 }).y, c.y);
        let origin = project(Coord { x: 0.0, y: 0.0 });
        assert!(origin.x == 0.0 && origin.y.abs() < 1e-6, "{origin:?}");
    }
}
