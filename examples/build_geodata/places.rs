//! Hand-chosen inputs: every position, course and distance that no source
//! file gives, each with where the idea came from. Coordinates are WGS84
//! (lon, lat). "adcode point" means the row of
//! `sources/miyun_admin_points_wgs84.csv` with that name.

/// Reference latitude of the local metric frame (middle of the district).
pub const FRAME_LAT0: f64 = 40.5;

/// Douglas–Peucker tolerance applied to buffered outlines, metres; keeps
/// rings to a few hundred vertices.
pub const SIMPLIFY_M: f64 = 25.0;

// ---------------------------------------------------------------------------
// Reservoir protection zones
// ---------------------------------------------------------------------------

/// Zone one is legally "the land below the 155 m contour around the
/// reservoir" (facts file, Beijing Water Authority). Without a DEM we buffer
/// the GSHHG water surface by this distance, as SOURCES.md suggests.
pub const ZONE1_BUFFER_M: f64 = 1_000.0;

/// Zone two's band around zone one (the brief: 3–4 km); no public line.
pub const ZONE2_BAND_M: f64 = 3_500.0;

/// Half-width of zone two along the Chao and Bai rivers upstream. The 2025
/// 《密云水库水源保护条例》 uses a 1000 m band outside the river management
/// range (facts file, `zone_two_definition`).
pub const RIVER_BAND_M: f64 = 1_000.0;

/// The Chao River (潮河) inside Miyun, from where it enters from Hebei at
/// the Gubeikou pass down to the tip of the reservoir's north-east (Chao)
/// arm. Hand-drawn: Gubeikou (古北口) and Chaoguan (潮关) adcode points lie
/// on it; it then runs south through Gaoling (高岭) past the Taishitun
/// (太师屯) basin into the arm. Approximate to about 1 km.
pub const CHAO_RIVER_COURSE: &[(f64, f64)] = &[
    (117.1700, 40.6990),
    (117.1560, 40.6870),
    (117.1400, 40.6800),
    (117.1270, 40.6740),
    (117.1190, 40.6520),
    (117.1110, 40.6260),
    (117.1050, 40.6000),
    (117.1060, 40.5760),
    (117.0990, 40.5560),
    (117.0820, 40.5460),
    (117.0620, 40.5410),
];

/// The Bai River (白河) inside Miyun, from the Huairou border down to the
/// tip of the reservoir's western (Bai) basin. Hand-drawn through the
/// Shicheng (石城镇) adcode points that string along its valley: Hongxing
/// (红星), Sihetang (四合堂), Jiayu (贾峪), Erpingtai (二平台), Zhangjiafen
/// (张家坟), Penghe'yan (捧河岩). Approximate to about 1 km.
pub const BAI_RIVER_COURSE: &[(f64, f64)] = &[
    (116.7030, 40.6500),
    (116.7300, 40.6495),
    (116.7400, 40.6400),
    (116.7560, 40.6330),
    (116.7760, 40.6290),
    (116.7840, 40.6130),
    (116.7960, 40.6030),
    (116.8080, 40.5820),
    (116.8300, 40.5660),
    (116.8515, 40.5550),
];

// ---------------------------------------------------------------------------
// Nature reserves (SOURCES.md and the facts file give only their setting)
// ---------------------------------------------------------------------------

/// A reserve's hand-chosen outline: a lobed shape that the program scales
/// until its geodesic area (clipped to the district) equals the official one.
pub struct ReserveSpec {
    pub id: &'static str,
    /// Start of the English name in the facts file.
    pub facts_prefix: &'static str,
    pub centre: (f64, f64),
    /// East-west stretch of the shape (1 = round).
    pub aspect: f64,
    pub rotation_deg: f64,
    /// (k, amplitude, phase°) cosine lobes; a few smooth bulges.
    pub lobes: &'static [(f64, f64, f64)],
    /// Where the centre comes from (goes into the feature's note).
    pub setting: &'static str,
}

pub const RESERVES: &[ReserveSpec] = &[
    ReserveSpec {
        id: "yunmengshan",
        facts_prefix: "Yunmengshan",
        // Yunmeng Shan massif, west of the Shicheng (石城镇) adcode point and
        // of the Bai valley, against the Huairou border (facts file).
        centre: (116.7480, 40.5660),
        aspect: 0.8,
        rotation_deg: 35.0,
        lobes: &[(2.0, 0.12, 20.0), (3.0, 0.10, 80.0), (5.0, 0.04, 0.0)],
        setting: "Yunmeng Shan massif in 石城镇, west of the Bai River valley, on the Huairou border",
    },
    ReserveSpec {
        id: "yunfengshan",
        facts_prefix: "Yunfengshan",
        // Hills north of the Bulaotun (不老屯镇) adcode point, between the
        // Bianzhuangzi, Gushiyu and Nanxiangyu village points.
        centre: (116.9990, 40.6240),
        aspect: 1.15,
        rotation_deg: -20.0,
        lobes: &[(2.0, 0.10, 60.0), (3.0, 0.12, 10.0), (4.0, 0.05, 45.0)],
        setting: "hills north of 不老屯镇 (Bulaotun town point), north of the reservoir",
    },
    ReserveSpec {
        id: "wulingshan",
        facts_prefix: "Wulingshan",
        // Beijing side of Wuling Shan in 新城子镇: south of the Songcao road
        // valley (遥桥峪, 崔家峪, 曹家路 points) to the Hebei border. Da'anyu
        // (大安峪) has no adcode point; the valley points stand in for it.
        centre: (117.3850, 40.5960),
        aspect: 1.45,
        rotation_deg: 8.0,
        lobes: &[(2.0, 0.08, 0.0), (3.0, 0.11, 50.0), (5.0, 0.04, 20.0)],
        setting: "Beijing side of Wuling Shan in 新城子镇, between the Songcao road valley (曹家路, 遥桥峪) and the Hebei border",
    },
];

/// Stop scaling a reserve when its area is within this fraction of official.
pub const RESERVE_AREA_TOLERANCE: f64 = 0.002;

// ---------------------------------------------------------------------------
// Villages the seed names that the adcode file lacks
// ---------------------------------------------------------------------------

/// A village placed by hand.
pub struct ExtraVillage {
    pub id: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub town: &'static str,
    pub at: (f64, f64),
    pub note: &'static str,
}

/// 金叵罗村 (溪翁庄镇), see [`EXTRA_VILLAGES`].
pub const JINPOLUO_AT: (f64, f64) = (116.8560, 40.4520);
/// 古北水镇 in 司马台村 (古北口镇), see [`EXTRA_VILLAGES`].
pub const GUBEI_WATER_TOWN_AT: (f64, f64) = (117.2600, 40.6560);
/// 干峪沟村 (北庄镇), see [`EXTRA_VILLAGES`].
pub const GANYU_GULLY_AT: (f64, f64) = (117.1950, 40.5250);

pub const EXTRA_VILLAGES: &[ExtraVillage] = &[
    ExtraVillage {
        id: "v-jinpoluo",
        name_zh: "金叵罗村",
        name_en: "Jinpoluo Village",
        town: "溪翁庄镇",
        at: JINPOLUO_AT,
        note: "Seed-named (金叵罗村田园综合体); no adcode point. Placed by hand in the south-east of 溪翁庄镇, \
               between the 溪翁庄村 and 石墙沟村 points, south of the reservoir; position uncertain by about 2 km.",
    },
    ExtraVillage {
        id: "v-gubei-water-town",
        name_zh: "古北水镇",
        name_en: "Gubei Water Town",
        town: "古北口镇",
        at: GUBEI_WATER_TOWN_AT,
        note: "Seed-named resort (古北水镇—司马台长城) in 司马台村, 古北口镇. Placed by hand about 1.5 km \
               south-west of the Simatai Great Wall landmark (facts file) and 1.8 km east of the 司马台村 \
               adcode point; position uncertain by about 1 km.",
    },
    ExtraVillage {
        id: "v-ganyu-gully",
        name_zh: "干峪沟村",
        name_en: "Ganyu Gully",
        town: "北庄镇",
        at: GANYU_GULLY_AT,
        note: "Home of the 山里寒舍 B&Bs the seed names. No adcode point; placed by hand about 3 km \
               north-east of the 北庄镇 point; position uncertain by about 3 km.",
    },
];

// ---------------------------------------------------------------------------
// Places the projects and belts refer to
// ---------------------------------------------------------------------------

/// The 密云水库环境监测综合管理平台 is placed on land just below the Baihe
/// main dam (白河主坝), which closes the reservoir's western basin at its
/// south end near 溪翁庄村; about 350 m from the water.
pub const MONITORING_PLATFORM_SITE: (f64, f64) = (116.8300, 40.4760);

/// National Road 101 (101国道) inside Miyun: enters from Shunyi at the
/// district's southern tip (south-west of Miyun town), runs north-east through Henanzhai (河南寨) and Miyun town,
/// then past Mujiayu (穆家峪) and along the east shore of the reservoir's
/// Chao arm (黄各庄, 流河峪 points) to Taishitun (太师屯), then up the Chao
/// valley through Gaoling (高岭) to Gubeikou (古北口). Hand-drawn from those
/// points; approximate to about 1 km.
pub const G101_COURSE: &[(f64, f64)] = &[
    (116.7850, 40.2900),
    (116.7920, 40.2990),
    (116.8060, 40.3190),
    (116.8280, 40.3420),
    (116.8400, 40.3600),
    (116.8440, 40.3760),
    (116.8560, 40.3930),
    (116.8830, 40.4010),
    (116.9150, 40.4060),
    (116.9390, 40.4130),
    (116.9650, 40.4270),
    (116.9900, 40.4470),
    (117.0060, 40.4660),
    (117.0180, 40.4780),
    (117.0300, 40.4900),
    (117.0450, 40.5010),
    (117.0600, 40.5130),
    (117.0720, 40.5300),
    (117.1060, 40.5390),
    (117.1140, 40.5600),
    (117.1090, 40.5880),
    (117.1100, 40.6150),
    (117.1180, 40.6420),
    (117.1300, 40.6680),
    (117.1500, 40.6850),
    (117.1610, 40.6960),
];

/// Wetland polygons reach this far up each river from the reservoir tip.
pub const WETLAND_REACH_M: f64 = 2_600.0;
/// Half-width of each inlet wetland, metres.
pub const WETLAND_HALF_WIDTH_M: f64 = 450.0;
