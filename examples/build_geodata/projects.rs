//! The `projects` layer: every project the seed document names, placed at
//! its real site where that is roughly known, else at an illustrative one.
//! Sites are the constants in [`PROJECTS`]; the inlet wetlands, the zone-one
//! sewage works and the G101 line are derived by code.

use anyhow::Result;
use geo::{
    BooleanOps, Closest, ClosestPoint, Contains, Coord, Distance, Euclidean, Geometry, LineString,
    MultiPolygon, Point,
};

use crate::feature::{Accuracy, Feature};
use crate::frame::Frame;
use crate::places::{
    BAI_RIVER_COURSE, CHAO_RIVER_COURSE, G101_COURSE, JINPOLUO_AT, MONITORING_PLATFORM_SITE,
    SIMPLIFY_M, WETLAND_HALF_WIDTH_M, WETLAND_REACH_M,
};
use crate::shapes::{line, polygon, tail, tidy_mp, Lobed};
use crate::sources::{AdminPoint, Sources};
use crate::villages::town_en;
use crate::zones::Zones;

/// Where the seed's figures come from.
const SEED: &str = "seed document 000_e1d43fca5c4aea9a (密云区绿色高质量发展, 区发改委)";

/// Appended to every project's note.
const ILLUSTRATIVE_ASSIGNMENT: &str =
    "lead_unit and start_year are illustrative assignments: the seed does not state them.";

/// 日光山谷: the seed gives no site; placed in the hills of 溪翁庄镇 south
/// of the reservoir, near Jinpoluo (illustrative).
pub const SUNSHINE_VALLEY_AT: (f64, f64) = (116.8790, 40.4400);
/// 山楂谷: the seed gives no site; placed in the hills of 东邵渠镇 near the
/// 石峨村 point (illustrative).
pub const HAWTHORN_VALLEY_AT: (f64, f64) = (116.9700, 40.3050);
/// 地球系统数值模拟装置: in the science city east (the seed); the exact site
/// is not in the sources, placed in the middle of the polygon below.
const SIMULATOR_AT: (f64, f64) = (116.7600, 40.3990);

/// Huairou Science City east part (怀柔科学城东区), the third of the science
/// city that lies in Miyun (seed): hand-drawn in the south-west, from the
/// Huairou border over the Xitiangezhuang and Shilipu plain.
const SCIENCE_CITY_EAST: &[(f64, f64)] = &[
    (116.7200, 40.3720),
    (116.7450, 40.3660),
    (116.7700, 40.3680),
    (116.7900, 40.3740),
    (116.7950, 40.3900),
    (116.7880, 40.4080),
    (116.7700, 40.4250),
    (116.7450, 40.4280),
    (116.7260, 40.4150),
    (116.7150, 40.3950),
    (116.7200, 40.3720),
];

/// A project's geometry, as hand-chosen input.
pub enum Site {
    Point((f64, f64)),
    Line(&'static [(f64, f64)]),
    Polygon(&'static [(f64, f64)]),
    /// A smooth lobed patch: centre, radius (m), east-west stretch, rotation°.
    Patch((f64, f64), f64, f64, f64),
    /// The point of an adcode row.
    Admin(&'static str),
}

/// One hand-placed project.
pub struct ProjectSpec {
    pub id: &'static str,
    pub seed_key: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub category: &'static str,
    pub status: &'static str,
    pub lead_unit: &'static str,
    pub start_year: i64,
    pub accuracy: Accuracy,
    pub site: Site,
    /// Where the site comes from.
    pub why: &'static str,
}

use Accuracy::{Approximate as APPROX, Illustrative as ILLUS};

/// Smooth lobes shared by the project patches.
const PATCH_LOBES: &[(f64, f64, f64)] = &[(2.0, 0.10, 30.0), (3.0, 0.08, 70.0)];

/// Status follows the seed's wording: 建成/落成 → completed or existing,
/// 加快推进/加快建设/全力推进/持续 → under_construction, 将/推动/规划 → planned.
pub const PROJECTS: &[ProjectSpec] = &[
    // ----------------------------------------------------------- ecology
    ProjectSpec {
        id: "p-reservoir-monitoring-platform",
        seed_key: "reservoir-monitoring-platform",
        name_zh: "密云水库环境监测综合管理平台",
        name_en: "Miyun Reservoir environmental monitoring and management platform",
        category: "ecology",
        status: "under_construction",
        lead_unit: "区生态环境局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Point(MONITORING_PLATFORM_SITE),
        why: "placed on land just below the Baihe main dam (constant MONITORING_PLATFORM_SITE), inside zone one",
    },
    ProjectSpec {
        id: "p-sandstorm-fengjiayu-north",
        seed_key: "sandstorm-source-control",
        name_zh: "京津风沙源治理工程（冯家峪北部山区）",
        name_en: "Beijing-Tianjin sandstorm source control, northern Fengjiayu hills",
        category: "ecology",
        status: "under_construction",
        lead_unit: "区园林绿化局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Patch((116.8750, 40.7520), 2200.0, 1.2, 10.0),
        why: "the seed gives no site; drawn on the northern hills around the 司营子 and 前火岭 points",
    },
    ProjectSpec {
        id: "p-sandstorm-gaoling-north",
        seed_key: "sandstorm-source-control",
        name_zh: "京津风沙源治理工程（不老屯—高岭北部山区）",
        name_en: "Beijing-Tianjin sandstorm source control, hills north of Bulaotun and Gaoling",
        category: "ecology",
        status: "under_construction",
        lead_unit: "区园林绿化局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Patch((117.0500, 40.6650), 1800.0, 1.3, -15.0),
        why: "the seed gives no site; drawn on the hills north of the 香水峪 point, below the Hebei border",
    },
    ProjectSpec {
        id: "p-afforestation-south-shore",
        seed_key: "million-mu-afforestation",
        name_zh: "新一轮百万亩造林绿化（水库南岸）",
        name_en: "New round of million-mu afforestation, south shore of the reservoir",
        category: "ecology",
        status: "under_construction",
        lead_unit: "区园林绿化局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Patch((116.9150, 40.4470), 1600.0, 1.0, 0.0),
        why: "the seed gives no site; drawn on the slopes south of the reservoir (阁老峪 point), reaching into zone one",
    },
    ProjectSpec {
        id: "p-afforestation-henanzhai-plain",
        seed_key: "million-mu-afforestation",
        name_zh: "新一轮百万亩造林绿化（河南寨—东邵渠平原）",
        name_en: "New round of million-mu afforestation, Henanzhai-Dongshaoqu plain",
        category: "ecology",
        status: "under_construction",
        lead_unit: "区园林绿化局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Patch((116.9050, 40.3350), 1800.0, 1.3, 20.0),
        why: "the seed gives no site; drawn on the plain between the 河南寨 and 东邵渠 points (plain afforestation)",
    },
    ProjectSpec {
        id: "p-afforestation-dachengzi",
        seed_key: "million-mu-afforestation",
        name_zh: "新一轮百万亩造林绿化（大城子）",
        name_en: "New round of million-mu afforestation, Dachengzi",
        category: "ecology",
        status: "under_construction",
        lead_unit: "区园林绿化局",
        start_year: 2022,
        accuracy: ILLUS,
        site: Site::Patch((117.1600, 40.4000), 1500.0, 1.1, 0.0),
        why: "the seed gives no site; drawn on the hills south of the 柏崖 point in 大城子镇",
    },
    // ----------------------------------------------------------- society
    ProjectSpec {
        id: "p-tcm-hospital-relocation",
        seed_key: "tcm-hospital-relocation",
        name_zh: "密云区中医院迁址新建",
        name_en: "Miyun District Hospital of Traditional Chinese Medicine, new site",
        category: "society",
        status: "under_construction",
        lead_unit: "区卫生健康委员会",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Point((116.8120, 40.3880)),
        why: "the seed gives no site; placed in the west of the new town (果园街道)",
    },
    ProjectSpec {
        id: "p-district-hospital-upgrade",
        seed_key: "district-hospital-upgrade",
        name_zh: "密云区医院改造提升",
        name_en: "Miyun District Hospital upgrade",
        category: "society",
        status: "under_construction",
        lead_unit: "区卫生健康委员会",
        start_year: 2021,
        accuracy: APPROX,
        site: Site::Point((116.8470, 40.3720)),
        why: "the existing hospital in 鼓楼街道, in the old town centre; placed by hand within about 1 km",
    },
    ProjectSpec {
        id: "p-emergency-120-centre",
        seed_key: "emergency-120-centre",
        name_zh: "密云区120院前医疗急救分中心",
        name_en: "Miyun 120 pre-hospital emergency sub-centre",
        category: "society",
        status: "under_construction",
        lead_unit: "区卫生健康委员会",
        start_year: 2022,
        accuracy: ILLUS,
        site: Site::Point((116.8260, 40.3660)),
        why: "the seed gives no site; placed in the south of the new town near the main roads",
    },
    ProjectSpec {
        id: "p-xinbei-road-east",
        seed_key: "xinbei-road-east",
        name_zh: "新北路东延",
        name_en: "Xinbei Road eastward extension",
        category: "society",
        status: "under_construction",
        lead_unit: "区交通局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Line(&[(116.8480, 40.3985), (116.8600, 40.3992), (116.8720, 40.3980)]),
        why: "drawn as a short east-west road in the north of Miyun town; not the design alignment",
    },
    ProjectSpec {
        id: "p-yunxi-4th-road-south",
        seed_key: "yunxi-4th-road-south",
        name_zh: "云西四路南延",
        name_en: "Yunxi 4th Road southward extension",
        category: "society",
        status: "under_construction",
        lead_unit: "区交通局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Line(&[(116.8090, 40.3800), (116.8085, 40.3700), (116.8075, 40.3600)]),
        why: "drawn as a short north-south road in the west of the new town (果园街道); not the design alignment",
    },
    ProjectSpec {
        id: "p-xindong-road-south",
        seed_key: "xindong-road-south",
        name_zh: "新东路南延",
        name_en: "Xindong Road southward extension",
        category: "society",
        status: "under_construction",
        lead_unit: "区交通局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Line(&[(116.8660, 40.3800), (116.8665, 40.3700), (116.8650, 40.3600)]),
        why: "drawn as a short north-south road in the east of Miyun town; not the design alignment",
    },
    ProjectSpec {
        id: "p-xitiangezhuang-220kv",
        seed_key: "xitiangezhuang-220kv",
        name_zh: "西田各庄220千伏输变电工程",
        name_en: "Xitiangezhuang 220 kV transmission and substation project",
        category: "society",
        status: "planned",
        lead_unit: "国网北京市电力公司",
        start_year: 2022,
        accuracy: ILLUS,
        site: Site::Point((116.7300, 40.3830)),
        why: "substation placed in 西田各庄镇 (the town the seed names), west of the 沿村 point; exact site unknown",
    },
    ProjectSpec {
        id: "p-sponge-city",
        seed_key: "sponge-city",
        name_zh: "海绵城市建设（密云新城）",
        name_en: "Sponge-city works, Miyun new town",
        category: "society",
        status: "under_construction",
        lead_unit: "区水务局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Patch((116.8400, 40.3780), 2000.0, 1.2, 0.0),
        why: "drawn over the built-up new town (鼓楼, 果园, 檀营 points)",
    },
    ProjectSpec {
        id: "p-old-compound-gulou",
        seed_key: "old-compound-renovation",
        name_zh: "老旧小区综合整治（鼓楼街道）",
        name_en: "Renovation of old residential compounds, Gulou",
        category: "society",
        status: "under_construction",
        lead_unit: "区住房和城乡建设委员会",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Patch((116.8500, 40.3790), 600.0, 1.2, 0.0),
        why: "drawn over the older communities of 鼓楼街道 (宾阳, 鼓楼南区 points)",
    },
    ProjectSpec {
        id: "p-old-compound-guoyuan",
        seed_key: "old-compound-renovation",
        name_zh: "老旧小区综合整治（果园街道）",
        name_en: "Renovation of old residential compounds, Guoyuan",
        category: "society",
        status: "under_construction",
        lead_unit: "区住房和城乡建设委员会",
        start_year: 2022,
        accuracy: ILLUS,
        site: Site::Patch((116.8240, 40.3745), 500.0, 1.0, 0.0),
        why: "drawn over the 果园西里 and 果园新里 communities",
    },
    ProjectSpec {
        id: "p-binhe-school",
        seed_key: "binhe-school",
        name_zh: "滨河学校一期",
        name_en: "Binhe School, phase one",
        category: "society",
        status: "under_construction",
        lead_unit: "区教育委员会",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Point((116.8720, 40.3700)),
        why: "the seed gives no site; placed by the river on the east side of Miyun town, as the name (滨河, riverside) suggests",
    },
    ProjectSpec {
        id: "p-miyun-no8-school",
        seed_key: "miyun-no8-school",
        name_zh: "密云八中",
        name_en: "Miyun No. 8 Middle School",
        category: "society",
        status: "under_construction",
        lead_unit: "区教育委员会",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Point((116.8230, 40.3950)),
        why: "the seed gives no site; placed in the north-west of the new town",
    },
    ProjectSpec {
        id: "p-elderly-station-gulou",
        seed_key: "elderly-care-stations",
        name_zh: "幸福晚年驿站（鼓楼街道）",
        name_en: "Happy Old Age station, Gulou",
        category: "society",
        status: "under_construction",
        lead_unit: "区民政局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Admin("110118001000"),
        why: "one of a few stations; placed at the 鼓楼街道 adcode point",
    },
    ProjectSpec {
        id: "p-elderly-station-shilipu",
        seed_key: "elderly-care-stations",
        name_zh: "幸福晚年驿站（十里堡镇）",
        name_en: "Happy Old Age station, Shilipu",
        category: "society",
        status: "under_construction",
        lead_unit: "区民政局",
        start_year: 2022,
        accuracy: ILLUS,
        site: Site::Admin("110118103000"),
        why: "one of a few stations; placed at the 十里堡镇 adcode point",
    },
    ProjectSpec {
        id: "p-elderly-station-taishitun",
        seed_key: "elderly-care-stations",
        name_zh: "幸福晚年驿站（太师屯镇）",
        name_en: "Happy Old Age station, Taishitun",
        category: "society",
        status: "under_construction",
        lead_unit: "区民政局",
        start_year: 2022,
        accuracy: ILLUS,
        site: Site::Admin("110118107000"),
        why: "one of a few stations; placed at the 太师屯镇 adcode point",
    },
    ProjectSpec {
        id: "p-elderly-station-bulaotun",
        seed_key: "elderly-care-stations",
        name_zh: "幸福晚年驿站（不老屯镇）",
        name_en: "Happy Old Age station, Bulaotun",
        category: "society",
        status: "under_construction",
        lead_unit: "区民政局",
        start_year: 2023,
        accuracy: ILLUS,
        site: Site::Admin("110118109000"),
        why: "one of a few stations; placed at the 不老屯镇 adcode point",
    },
    // ----------------------------------------------------------- culture
    ProjectSpec {
        id: "p-cultural-centre",
        seed_key: "cultural-centre",
        name_zh: "密云综合文化中心",
        name_en: "Miyun comprehensive cultural centre",
        category: "culture",
        status: "under_construction",
        lead_unit: "区文化和旅游局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Point((116.8520, 40.3890)),
        why: "the seed gives no site; placed in the north of Miyun town",
    },
    ProjectSpec {
        id: "p-sunshine-valley",
        seed_key: "sunshine-valley",
        name_zh: "日光山谷",
        name_en: "Sunshine Valley",
        category: "culture",
        status: "under_construction",
        lead_unit: "区文化和旅游局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Patch(SUNSHINE_VALLEY_AT, 900.0, 1.4, 30.0),
        why: "the seed gives no site; drawn in the hills of 溪翁庄镇 south of the reservoir (constant SUNSHINE_VALLEY_AT)",
    },
    ProjectSpec {
        id: "p-hawthorn-valley",
        seed_key: "hawthorn-valley",
        name_zh: "山楂谷",
        name_en: "Hawthorn Valley",
        category: "culture",
        status: "under_construction",
        lead_unit: "区文化和旅游局",
        start_year: 2021,
        accuracy: ILLUS,
        site: Site::Patch(HAWTHORN_VALLEY_AT, 900.0, 1.4, -30.0),
        why: "the seed gives no site; drawn in the hills of 东邵渠镇 near the 石峨 point (constant HAWTHORN_VALLEY_AT)",
    },
    ProjectSpec {
        id: "p-gubei-simatai",
        seed_key: "gubei-simatai",
        name_zh: "古北水镇—司马台长城",
        name_en: "Gubei Water Town and Simatai Great Wall",
        category: "culture",
        status: "existing",
        lead_unit: "北京古北水镇旅游有限公司",
        start_year: 2010,
        accuracy: APPROX,
        site: Site::Patch((117.2670, 40.6575), 1000.0, 1.5, 20.0),
        why: "drawn around the hand-placed Gubei Water Town point and the Simatai Great Wall landmark (facts file)",
    },
    ProjectSpec {
        id: "p-yunmengshan-upgrade",
        seed_key: "yunmengshan-upgrade",
        name_zh: "云蒙山提级改造",
        name_en: "Yunmengshan scenic area upgrade",
        category: "culture",
        status: "under_construction",
        lead_unit: "区文化和旅游局",
        start_year: 2020,
        accuracy: ILLUS,
        site: Site::Patch((116.7700, 40.5560), 1300.0, 1.2, 0.0),
        why: "drawn on the east side of the Yunmengshan reserve, towards the Shicheng valley, overlapping the reserve",
    },
    // ----------------------------------------------------------- economy
    ProjectSpec {
        id: "p-science-city-east",
        seed_key: "science-city-east",
        name_zh: "怀柔科学城东区（密云部分）",
        name_en: "Huairou Science City, east part (Miyun)",
        category: "economy",
        status: "under_construction",
        lead_unit: "怀柔科学城管理委员会",
        start_year: 2018,
        accuracy: ILLUS,
        site: Site::Polygon(SCIENCE_CITY_EAST),
        why: "hand-drawn in the south-west from the Huairou border over the Xitiangezhuang-Shilipu plain (constant SCIENCE_CITY_EAST); not the planning boundary",
    },
    ProjectSpec {
        id: "p-earth-system-simulator",
        seed_key: "earth-system-simulator",
        name_zh: "地球系统数值模拟装置",
        name_en: "Earth System Numerical Simulation Facility",
        category: "economy",
        status: "completed",
        lead_unit: "中国科学院大气物理研究所",
        start_year: 2018,
        accuracy: ILLUS,
        site: Site::Point(SIMULATOR_AT),
        why: "in the science city east, completed and in use on 2021-06-23 (seed); exact site unknown, placed inside the science-city polygon",
    },
    ProjectSpec {
        id: "p-cross-platform-1",
        seed_key: "cross-platforms",
        name_zh: "空地一体环境感知与智能响应研究平台",
        name_en: "Air-ground integrated environmental sensing and intelligent response platform",
        category: "economy",
        status: "under_construction",
        lead_unit: "中国科学院",
        start_year: 2020,
        accuracy: ILLUS,
        site: Site::Point((116.7520, 40.3950)),
        why: "one of the 5 cross platforms in the science city east (the only one the seed names); placed inside the science-city polygon",
    },
    ProjectSpec {
        id: "p-cross-platform-2",
        seed_key: "cross-platforms",
        name_zh: "交叉研究平台（二）",
        name_en: "Cross-disciplinary research platform 2",
        category: "economy",
        status: "under_construction",
        lead_unit: "中国科学院",
        start_year: 2020,
        accuracy: ILLUS,
        site: Site::Point((116.7690, 40.3930)),
        why: "one of the 5 cross platforms in the science city east (not named by the seed); placed inside the science-city polygon",
    },
    ProjectSpec {
        id: "p-cross-platform-3",
        seed_key: "cross-platforms",
        name_zh: "交叉研究平台（三）",
        name_en: "Cross-disciplinary research platform 3",
        category: "economy",
        status: "under_construction",
        lead_unit: "中国科学院",
        start_year: 2020,
        accuracy: ILLUS,
        site: Site::Point((116.7650, 40.4070)),
        why: "one of the 5 cross platforms in the science city east (not named by the seed); placed inside the science-city polygon",
    },
    ProjectSpec {
        id: "p-cross-platform-4",
        seed_key: "cross-platforms",
        name_zh: "交叉研究平台（四）",
        name_en: "Cross-disciplinary research platform 4",
        category: "economy",
        status: "under_construction",
        lead_unit: "中国科学院",
        start_year: 2020,
        accuracy: ILLUS,
        site: Site::Point((116.7500, 40.4060)),
        why: "one of the 5 cross platforms in the science city east (not named by the seed); placed inside the science-city polygon",
    },
    ProjectSpec {
        id: "p-cross-platform-5",
        seed_key: "cross-platforms",
        name_zh: "交叉研究平台（五）",
        name_en: "Cross-disciplinary research platform 5",
        category: "economy",
        status: "under_construction",
        lead_unit: "中国科学院",
        start_year: 2020,
        accuracy: ILLUS,
        site: Site::Point((116.7750, 40.4020)),
        why: "one of the 5 cross platforms in the science city east (not named by the seed); placed inside the science-city polygon",
    },
    ProjectSpec {
        id: "p-pku-health-science",
        seed_key: "pku-health-science",
        name_zh: "北京大学医学部（密云）",
        name_en: "Peking University Health Science Center, Miyun site",
        category: "economy",
        status: "planned",
        lead_unit: "北京大学医学部",
        start_year: 2023,
        accuracy: ILLUS,
        site: Site::Point((116.7550, 40.4150)),
        why: "the seed says it will settle in Miyun, next to the science city east; placed in the north of the science-city polygon",
    },
    ProjectSpec {
        id: "p-shilipu-health-town",
        seed_key: "shilipu-health-town",
        name_zh: "十里堡生命与健康科学小镇",
        name_en: "Shilipu life and health science town",
        category: "economy",
        status: "planned",
        lead_unit: "十里堡镇人民政府",
        start_year: 2022,
        accuracy: APPROX,
        site: Site::Patch((116.7900, 40.3500), 1000.0, 1.2, 0.0),
        why: "drawn around the 十里堡镇 point, which the name gives; extent illustrative",
    },
    ProjectSpec {
        id: "p-taiziwu-energy-park",
        seed_key: "taiziwu-energy-park",
        name_zh: "太子务节能环保产业园",
        name_en: "Taiziwu energy-saving and environmental protection industrial park",
        category: "economy",
        status: "planned",
        lead_unit: "西田各庄镇人民政府",
        start_year: 2022,
        accuracy: APPROX,
        site: Site::Patch((116.7960, 40.4180), 700.0, 1.2, 0.0),
        why: "drawn next to the 太子务村 point, which the name gives; extent illustrative",
    },
    ProjectSpec {
        id: "p-zgc-miyun-park",
        seed_key: "zgc-miyun-park",
        name_zh: "中关村密云园",
        name_en: "Zhongguancun Science Park, Miyun sub-park",
        category: "economy",
        status: "existing",
        lead_unit: "中关村密云园管理委员会",
        start_year: 2006,
        accuracy: ILLUS,
        site: Site::Patch((116.8120, 40.3380), 1100.0, 1.2, 10.0),
        why: "the seed gives no site; drawn south-west of Miyun town (河南寨 北部) where the development zone is usually shown",
    },
    ProjectSpec {
        id: "p-eco-business-district-south",
        seed_key: "eco-business-district-south",
        name_zh: "生态商务区南扩",
        name_en: "Southward extension of the eco-business district",
        category: "economy",
        status: "planned",
        lead_unit: "区发展和改革委员会",
        start_year: 2022,
        accuracy: ILLUS,
        site: Site::Patch((116.8500, 40.3530), 800.0, 1.2, 0.0),
        why: "the seed gives no site; drawn south of Miyun town towards the station it is planned with",
    },
    ProjectSpec {
        id: "p-miyun-station-rail-centre",
        seed_key: "miyun-station-rail-centre",
        name_zh: "京沈客专密云站轨道微中心",
        name_en: "Rail micro-centre at Miyun station (Beijing-Shenyang high-speed railway)",
        category: "economy",
        status: "planned",
        lead_unit: "区发展和改革委员会",
        start_year: 2022,
        accuracy: ILLUS,
        site: Site::Point((116.8480, 40.3390)),
        why: "the seed plans it together with the eco-business district; placed just south of that patch, not at the surveyed station",
    },
    ProjectSpec {
        id: "p-modern-agri-park",
        seed_key: "modern-agri-park",
        name_zh: "密云区国家现代农业产业园",
        name_en: "Miyun national modern agricultural industrial park",
        category: "economy",
        status: "under_construction",
        lead_unit: "区农业农村局",
        start_year: 2020,
        accuracy: ILLUS,
        site: Site::Patch((116.7900, 40.3080), 1500.0, 1.3, 0.0),
        why: "the seed gives no site; drawn on the southern plain of 河南寨镇 (两河, 赶河厂, 南单家庄 points)",
    },
    ProjectSpec {
        id: "p-bee-town",
        seed_key: "bee-town",
        name_zh: "中华蜜蜂小镇",
        name_en: "Chinese Honeybee Town",
        category: "economy",
        status: "existing",
        lead_unit: "区农业农村局",
        start_year: 2018,
        accuracy: ILLUS,
        site: Site::Point((116.9800, 40.5720)),
        why: "the seed says it is built but not where; placed in 不老屯镇 in the hills north of the reservoir",
    },
    ProjectSpec {
        id: "p-bee-research-base",
        seed_key: "bee-research-base",
        name_zh: "中华蜜蜂科研示范基地",
        name_en: "Chinese honeybee research and demonstration base",
        category: "economy",
        status: "existing",
        lead_unit: "区农业农村局",
        start_year: 2017,
        accuracy: ILLUS,
        site: Site::Point((116.8650, 40.6120)),
        why: "the seed says it is built but not where; placed in 冯家峪镇 near the 西庄子 point",
    },
    ProjectSpec {
        id: "p-bee-research-institute",
        seed_key: "bee-research-institute",
        name_zh: "北京蜂产业研究院",
        name_en: "Beijing Bee Industry Research Institute",
        category: "economy",
        status: "existing",
        lead_unit: "区农业农村局",
        start_year: 2019,
        accuracy: ILLUS,
        site: Site::Point((116.8330, 40.3580)),
        why: "the seed says it is built but not where; placed in the south of Miyun town",
    },
    ProjectSpec {
        id: "p-jinpoluo-complex",
        seed_key: "jinpoluo-complex",
        name_zh: "金叵罗村田园综合体",
        name_en: "Jinpoluo Village pastoral complex",
        category: "economy",
        status: "existing",
        lead_unit: "溪翁庄镇人民政府",
        start_year: 2017,
        accuracy: APPROX,
        site: Site::Patch(JINPOLUO_AT, 700.0, 1.2, 0.0),
        why: "drawn around the hand-placed Jinpoluo point (constant JINPOLUO_AT); extent illustrative",
    },
    ProjectSpec {
        id: "p-fengjiayu-cliff-apiary",
        seed_key: "fengjiayu-cliff-apiary",
        name_zh: "冯家峪崖壁蜂场",
        name_en: "Fengjiayu cliff apiary",
        category: "economy",
        status: "existing",
        lead_unit: "冯家峪镇人民政府",
        start_year: 2018,
        accuracy: APPROX,
        site: Site::Point((116.8790, 40.6330)),
        why: "placed on the slopes just east of the 冯家峪村 point, in the town the name gives",
    },
];

/// Every seed key the layer must cover, by category.
pub const SEED_KEYS: &[(&str, &str)] = &[
    ("ecology", "wetland-inlets"),
    ("ecology", "zone1-village-sewage"),
    ("ecology", "reservoir-monitoring-platform"),
    ("ecology", "sandstorm-source-control"),
    ("ecology", "million-mu-afforestation"),
    ("ecology", "g101-greening"),
    ("society", "tcm-hospital-relocation"),
    ("society", "district-hospital-upgrade"),
    ("society", "emergency-120-centre"),
    ("society", "xinbei-road-east"),
    ("society", "yunxi-4th-road-south"),
    ("society", "xindong-road-south"),
    ("society", "xitiangezhuang-220kv"),
    ("society", "sponge-city"),
    ("society", "old-compound-renovation"),
    ("society", "binhe-school"),
    ("society", "miyun-no8-school"),
    ("society", "elderly-care-stations"),
    ("culture", "cultural-centre"),
    ("culture", "sunshine-valley"),
    ("culture", "hawthorn-valley"),
    ("culture", "gubei-simatai"),
    ("culture", "yunmengshan-upgrade"),
    ("economy", "science-city-east"),
    ("economy", "earth-system-simulator"),
    ("economy", "cross-platforms"),
    ("economy", "pku-health-science"),
    ("economy", "shilipu-health-town"),
    ("economy", "taiziwu-energy-park"),
    ("economy", "zgc-miyun-park"),
    ("economy", "eco-business-district-south"),
    ("economy", "miyun-station-rail-centre"),
    ("economy", "modern-agri-park"),
    ("economy", "bee-town"),
    ("economy", "bee-research-base"),
    ("economy", "bee-research-institute"),
    ("economy", "jinpoluo-complex"),
    ("economy", "fengjiayu-cliff-apiary"),
];

/// Minimum number of sewage works wholly inside zone one.
pub const MIN_SEWAGE_INSIDE: usize = 4;
/// How far inside zone one's edge a fallback sewage works is placed, metres.
const SEWAGE_INSET_M: f64 = 100.0;

#[allow(clippy::too_many_arguments)]
fn project(
    geometry: Geometry,
    id: &str,
    seed_key: &str,
    name_zh: &str,
    name_en: &str,
    category: &str,
    status: &str,
    lead_unit: &str,
    start_year: i64,
    accuracy: Accuracy,
    why: &str,
) -> Feature {
    Feature::new(
        geometry,
        id,
        name_zh,
        name_en,
        &format!("{SEED}; site: examples/build_geodata"),
        accuracy,
        &format!("Site: {why}. {ILLUSTRATIVE_ASSIGNMENT}"),
    )
    .with("category", category)
    .with("seed_key", seed_key)
    .with("status", status)
    .with("lead_unit", lead_unit)
    .with("start_year", start_year)
}

/// Clip a project polygon to the district and keep it off the water.
fn on_land(mp: &MultiPolygon, zones: &Zones) -> MultiPolygon {
    tidy_mp(
        &mp.intersection(&zones.district)
            .difference(&zones.reservoir),
    )
}

/// The `projects` layer.
pub fn features(src: &Sources, frame: &Frame, zones: &Zones) -> Result<Vec<Feature>> {
    let mut out = Vec::new();

    // Inlet wetlands: the last WETLAND_REACH_M of each river course,
    // WETLAND_HALF_WIDTH_M either side, minus the water.
    for (river, zh, en, course) in [
        ("chao", "潮河", "Chao River", CHAO_RIVER_COURSE),
        ("bai", "白河", "Bai River", BAI_RIVER_COURSE),
    ] {
        let reach = tail(frame, &line(course), WETLAND_REACH_M);
        let patch = frame.buffer_m(&reach, WETLAND_HALF_WIDTH_M, SIMPLIFY_M);
        out.push(project(
            on_land(&patch, zones).into(),
            &format!("p-wetland-inlet-{river}"),
            "wetland-inlets",
            &format!("密云水库{zh}入库口湿地保护和生态修复工程"),
            &format!("{en} inlet wetland protection and ecological restoration, Miyun Reservoir"),
            "ecology",
            "under_construction",
            "区水务局",
            2021,
            ILLUS,
            &format!(
                "the last {WETLAND_REACH_M} m of the hand-drawn {en} course above the reservoir tip, \
                 {WETLAND_HALF_WIDTH_M} m either side, minus the water; it straddles zone one's outer edge"
            ),
        ));
    }

    // Zone-one village sewage works: one per village point inside zone one
    // (and not in the water). If fewer than MIN_SEWAGE_INSIDE villages lie
    // inside, the nearest villages outside get works too, placed on the
    // line from the village to zone one, SEWAGE_INSET_M inside its edge.
    let villages: Vec<_> = src
        .admin_points
        .iter()
        .filter(|p| p.level == "village")
        .collect();
    let mut sites: Vec<(&AdminPoint, Point, bool)> = villages
        .iter()
        .filter(|p| zones.zone1.contains(&p.point) && !zones.reservoir.contains(&p.point))
        .map(|p| (*p, p.point, true))
        .collect();
    if sites.len() < MIN_SEWAGE_INSIDE {
        let zone1_local = frame.fwd(&zones.zone1);
        let mut outside: Vec<(f64, &AdminPoint)> = villages
            .iter()
            .filter(|p| !zones.zone1.contains(&p.point))
            .map(|p| (Euclidean.distance(&zone1_local, &frame.fwd(&p.point)), *p))
            .collect();
        outside.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.code.cmp(&b.1.code)));
        for (_, p) in outside {
            if sites.len() >= MIN_SEWAGE_INSIDE {
                break;
            }
            let v = frame.fwd(&p.point);
            if let Closest::SinglePoint(edge) = zone1_local.closest_point(&v) {
                let d = Euclidean.distance(&v, &edge);
                let f = (d + SEWAGE_INSET_M) / d;
                let site = frame.inv(&Point::new(
                    v.x() + (edge.x() - v.x()) * f,
                    v.y() + (edge.y() - v.y()) * f,
                ));
                if zones.zone1.contains(&site) && !zones.reservoir.contains(&site) {
                    sites.push((p, site, false));
                }
            }
        }
    }
    for (p, site, at_village) in sites {
        let short = p
            .name
            .trim_end_matches("村委会")
            .trim_end_matches("社区居委会");
        let (town, _) = town_en(&p.town).unwrap_or(("", ""));
        let village_en = crate::villages::VILLAGE_PINYIN
            .iter()
            .find(|v| v.0 == p.code)
            .map(|v| format!("{} Village", v.1))
            .unwrap_or_else(|| format!("village {} ({town})", p.code));
        let mut why = if at_village {
            format!(
                "at the adcode point of {} ({}), which lies inside zone one",
                p.name, p.town
            )
        } else {
            format!(
                "{SEWAGE_INSET_M} m inside zone one's edge on the way from {} ({}), one of the \
                 villages nearest zone one (fewer than {MIN_SEWAGE_INSIDE} village points lie inside)",
                p.name, p.town
            )
        };
        for q in villages
            .iter()
            .filter(|q| q.code != p.code && q.point == p.point)
        {
            why.push_str(&format!(
                " (the source gives the same point to {} in {}, so the position is doubtful)",
                q.name, q.town
            ));
        }
        out.push(project(
            site.into(),
            &format!("p-sewage-{}", p.code),
            "zone1-village-sewage",
            &format!("{short}村污水设施新建和改造（水库一级区）"),
            &format!("Village sewage works, {village_en} (reservoir zone one)"),
            "ecology",
            "under_construction",
            "区水务局",
            2021,
            APPROX,
            &why,
        ));
    }

    // The G101 greening line.
    out.push(project(
        LineString(G101_COURSE.iter().map(|&(x, y)| Coord { x, y }).collect()).into(),
        "p-g101-greening",
        "g101-greening",
        "101国道（密云段）两侧绿化景观提升",
        "Landscape greening along National Road 101 (Miyun section)",
        "ecology",
        "under_construction",
        "区园林绿化局",
        2021,
        APPROX,
        "the road's course hand-drawn through Henanzhai, Miyun town, Mujiayu, the east shore of the \
         reservoir's Chao arm, Taishitun, Gaoling and Gubeikou (constant G101_COURSE); the greening runs \
         along both sides, so the line straddles zone one where the road skirts the reservoir",
    ));

    // Hand-placed projects.
    for s in PROJECTS {
        let geometry: Geometry = match &s.site {
            Site::Point((x, y)) => Point::new(*x, *y).into(),
            Site::Admin(code) => Point::from(src.admin(code)?.point.0).into(),
            Site::Line(c) => line(c).into(),
            Site::Polygon(c) => on_land(&MultiPolygon(vec![polygon(c)]), zones).into(),
            Site::Patch(centre, r, aspect, rot) => {
                let lobed = Lobed {
                    centre: *centre,
                    radius_m: *r,
                    aspect: *aspect,
                    rotation_deg: *rot,
                    lobes: PATCH_LOBES,
                };
                on_land(&MultiPolygon(vec![lobed.polygon(frame, 1.0, 64)]), zones).into()
            }
        };
        out.push(project(
            geometry,
            s.id,
            s.seed_key,
            s.name_zh,
            s.name_en,
            s.category,
            s.status,
            s.lead_unit,
            s.start_year,
            s.accuracy,
            s.why,
        ));
    }
    Ok(out)
}
