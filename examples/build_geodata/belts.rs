//! The four tourism belts (东西南北四条旅游产业带) the seed names, drawn as
//! lines through the town and village points of the places it mentions.

use anyhow::Result;
use geo::{Coord, LineString};

use crate::feature::{Accuracy, Feature};
use crate::places::{GANYU_GULLY_AT, GUBEI_WATER_TOWN_AT, JINPOLUO_AT, RESERVES};
use crate::sources::Sources;

/// A point a belt passes.
pub enum Via {
    /// An adcode point, by its 12-digit code.
    Admin(&'static str),
    /// A hand-placed point with its Chinese name.
    Site(&'static str, (f64, f64)),
    /// The Simatai Great Wall landmark of the facts file.
    SimataiWall,
    /// The centre of a reserve in [`RESERVES`], by id, with a name.
    Reserve(&'static str, &'static str),
}

/// A belt: its waypoints in order, and where the route comes from.
pub struct BeltSpec {
    pub id: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub via: &'static [Via],
    pub why: &'static str,
}

/// Hand-chosen routes. Each joins the seed's places of one quarter of the
/// district through the adcode points between them.
pub const BELTS: &[BeltSpec] = &[
    BeltSpec {
        id: "belt-east",
        name_zh: "东部旅游产业带",
        name_en: "Eastern tourism belt",
        via: &[
            Via::Admin("110118107000"), // 太师屯镇
            Via::Admin("110118114000"), // 北庄镇
            Via::Site("干峪沟村", GANYU_GULLY_AT),
            Via::Admin("110118107220"), // 黑古沿村
            Via::Admin("110118107228"), // 令公村
            Via::Admin("110118107231"), // 东庄禾村
            Via::Admin("110118107232"), // 马场村
            Via::Admin("110118111208"), // 司马台村
            Via::Site("古北水镇", GUBEI_WATER_TOWN_AT),
            Via::SimataiWall,
            Via::Admin("110118115000"), // 新城子镇
            Via::Admin("110118115209"), // 遥桥峪村
            Via::Admin("110118115205"), // 崔家峪村
            Via::Admin("110118115203"), // 蔡家甸村
            Via::Admin("110118115202"), // 曹家路村
        ],
        why: "Ganyu gully's B&Bs (山里寒舍), Gubei Water Town and the Simatai Great Wall, \
              then the Songcao valley towards Wuling Shan",
    },
    BeltSpec {
        id: "belt-west",
        name_zh: "西部旅游产业带",
        name_en: "Western tourism belt",
        via: &[
            Via::Site("金叵罗村", JINPOLUO_AT),
            Via::Admin("110118101201"), // 溪翁庄村
            Via::Admin("110118101210"), // 黑山寺村
            Via::Admin("110118116200"), // 梨树沟村
            Via::Admin("110118116201"), // 水堡子村
            Via::Admin("110118116203"), // 石城村
            Via::Reserve("云蒙山", "yunmengshan"),
            Via::Admin("110118116209"), // 张家坟村
            Via::Admin("110118116210"), // 二平台村
            Via::Admin("110118116212"), // 四合堂村
        ],
        why: "Jinpoluo, the reservoir's west shore, Yunmengshan and the Bai River valley",
    },
    BeltSpec {
        id: "belt-south",
        name_zh: "南部旅游产业带",
        name_en: "Southern tourism belt",
        via: &[
            Via::Site("金叵罗村", JINPOLUO_AT),
            Via::Site("日光山谷", crate::projects::SUNSHINE_VALLEY_AT),
            Via::Admin("110118101203"), // 石马峪村
            Via::Admin("110118106214"), // 阁老峪村
            Via::Admin("110118106212"), // 九松山村
            Via::Admin("110118106209"), // 羊山村
            Via::Admin("110118105000"), // 巨各庄镇
            Via::Admin("110118113203"), // 石峨村
            Via::Site("山楂谷", crate::projects::HAWTHORN_VALLEY_AT),
            Via::Admin("110118113201"), // 高各庄村
        ],
        why: "Jinpoluo, the valley projects (日光山谷, 山楂谷) and the reservoir's south shore",
    },
    BeltSpec {
        id: "belt-north",
        name_zh: "北部旅游产业带",
        name_en: "Northern tourism belt",
        via: &[
            Via::Admin("110118116204"), // 石塘路村
            Via::Admin("110118110201"), // 西庄子村
            Via::Admin("110118110203"), // 冯家峪村
            Via::Admin("110118110207"), // 朱家峪村
            Via::Admin("110118109222"), // 古石峪村
            Via::Reserve("云峰山", "yunfengshan"),
            Via::Admin("110118109219"), // 南香峪村
            Via::Admin("110118108000"), // 高岭镇
            Via::Admin("110118111202"), // 潮关村
            Via::Admin("110118111200"), // 古北口村
        ],
        why: "the Fengjiayu cliff apiary, Yunfengshan and the Chao valley up to Gubeikou",
    },
];

/// A short Chinese name for an adcode point (村, 社区, town as is).
fn short_zh(name: &str) -> String {
    if let Some(s) = name.strip_suffix("村委会") {
        format!("{s}村")
    } else if let Some(s) = name.strip_suffix("社区居委会") {
        format!("{s}社区")
    } else {
        name.to_string()
    }
}

/// The `tourism_belts` layer.
pub fn features(src: &Sources) -> Result<Vec<Feature>> {
    BELTS
        .iter()
        .map(|b| {
            let mut coords = Vec::new();
            let mut names = Vec::new();
            for v in b.via {
                let (name, c) = match v {
                    Via::Admin(code) => {
                        let p = src.admin(code)?;
                        (short_zh(&p.name), p.point.0)
                    }
                    Via::Site(name, (x, y)) => (name.to_string(), Coord { x: *x, y: *y }),
                    Via::SimataiWall => ("司马台长城".to_string(), src.simatai_wall.0),
                    Via::Reserve(name, id) => {
                        let r = RESERVES
                            .iter()
                            .find(|r| r.id == *id)
                            .ok_or_else(|| anyhow::anyhow!("no reserve {id}"))?;
                        (
                            name.to_string(),
                            Coord {
                                x: r.centre.0,
                                y: r.centre.1,
                            },
                        )
                    }
                };
                coords.push(c);
                names.push(name);
            }
            let note = format!(
                "Illustrative route, not a planned alignment: straight segments joining {} \
                 (constant BELTS in examples/build_geodata).",
                b.why
            );
            Ok(Feature::new(
                LineString(coords),
                b.id,
                b.name_zh,
                b.name_en,
                "seed document 000_e1d43fca5c4aea9a (东西南北四条旅游产业带); waypoints from Vonng/adcode points and hand-placed sites",
                Accuracy::Illustrative,
                &note,
            )
            .with("places", names.join(",")))
        })
        .collect()
}
