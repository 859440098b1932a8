//! The `villages` layer: every town and village-committee point of the
//! adcode file (not the county row), plus the seed-named places it lacks.

use anyhow::{bail, Result};
use geo::Point;

use crate::feature::{Accuracy, Feature};
use crate::places::EXTRA_VILLAGES;
use crate::sources::{AdminPoint, Sources};

/// Source string of the adcode rows.
pub const ADCODE_SOURCE: &str = "Vonng/adcode (CC BY 4.0), GCJ-02 converted to WGS84";

/// Towns and subdistricts: (name in the adcode file, romanised name, kind,
/// whether the romanisation is GeoNames' own spelling). 溪翁庄镇 and
/// 檀营地区办事处 have no town row but their villages name them.
/// 十里堡 is spelled Shilipu (the usual reading of 堡 in this name);
/// GeoNames has "Shilibu".
pub const TOWNS: &[(&str, &str, &str, bool)] = &[
    ("鼓楼街道办事处", "Gulou", "Subdistrict", true),
    ("果园街道办事处", "Guoyuan", "Subdistrict", false),
    ("檀营地区办事处", "Tanying", "Area", false),
    ("密云镇", "Miyun", "Town", false),
    ("溪翁庄镇", "Xiwengzhuang", "Town", true),
    ("西田各庄镇", "Xitiangezhuang", "Town", true),
    ("十里堡镇", "Shilipu", "Town", false),
    ("河南寨镇", "Henanzhai", "Town", true),
    ("巨各庄镇", "Jugezhuang", "Town", true),
    ("穆家峪镇", "Mujiayu", "Town", false),
    ("太师屯镇", "Taishitun", "Town", true),
    ("高岭镇", "Gaoling", "Town", true),
    ("不老屯镇", "Bulaotun", "Town", true),
    ("冯家峪镇", "Fengjiayu", "Town", false),
    ("古北口镇", "Gubeikou", "Town", true),
    ("大城子镇", "Dachengzi", "Town", true),
    ("东邵渠镇", "Dongshaoqu", "Town", true),
    ("北庄镇", "Beizhuang", "Town", true),
    ("新城子镇", "Xinchengzi", "Town", true),
    ("石城镇", "Shicheng", "Town", true),
];

/// Hanyu Pinyin of the village and community names (without the
/// 村委会 / 社区居委会 suffix), for those whose reading is certain. Rows
/// left out (a surname or place-name character with two readings:
/// 查子沟, 南/北单家庄, 水堡子) fall back to "<town> village committee".
pub const VILLAGE_PINYIN: &[(&str, &str)] = &[
    ("110118001001", "Baitan"),
    ("110118001002", "Gulou"),
    ("110118001003", "Gulou Nanqu"),
    ("110118001004", "Binyangli"),
    ("110118001005", "Binyang Beili"),
    ("110118001006", "Binyang Xili"),
    ("110118001007", "Beiyuanli"),
    ("110118001008", "Dongcaiyuan"),
    ("110118001009", "Xinggong"),
    ("110118001010", "Shiqiao"),
    ("110118001011", "Yanhu"),
    ("110118001014", "Tanzhou Jiayuan"),
    ("110118001015", "Yunxiu Huayuan"),
    ("110118001016", "Binyang"),
    ("110118001017", "Taiyang Jiayuan"),
    ("110118002001", "Kangju"),
    ("110118002004", "Guoyuan Xili"),
    ("110118002005", "Guoyuan Xinli"),
    ("110118002006", "Guoyuan Xinli Beiqu"),
    ("110118002007", "Mixi Huayuan"),
    ("110118002008", "Jizhuang"),
    ("110118002009", "Kangxin Yayuan"),
    ("110118003001", "Tanying"),
    ("110118003002", "Tanying No. 1"),
    ("110118100201", "Datangzhuang"),
    ("110118100202", "Xiaotangzhuang"),
    ("110118100203", "Wangjialou"),
    ("110118100205", "Ligezhuang"),
    ("110118100207", "Baitan"),
    ("110118101200", "Beibaiyan"),
    ("110118101201", "Xiwengzhuang"),
    ("110118101203", "Shimayu"),
    ("110118101204", "Zoumazhuang"),
    ("110118101205", "Jianyan"),
    ("110118101209", "Shiqianggou"),
    ("110118101210", "Heishansi"),
    ("110118101213", "Dongyingzi"),
    ("110118102200", "Xitiangezhuang"),
    ("110118102201", "Donggezhuang"),
    ("110118102202", "Cangtou"),
    ("110118102207", "Yancun"),
    ("110118102208", "Daxinzhuang"),
    ("110118102210", "Taiziwu"),
    ("110118102215", "Jianxin"),
    ("110118102217", "Xiejiashan"),
    ("110118102221", "Xishadi"),
    ("110118102222", "Xiaoshuiyu"),
    ("110118102223", "Xingsheng"),
    ("110118102224", "Niupenyu"),
    ("110118102225", "Baidaoyu"),
    ("110118102226", "Xiaoshijian"),
    ("110118102228", "Xinwangzhuang"),
    ("110118103001", "Yanluozhai"),
    ("110118103201", "Tongjunzhuang"),
    ("110118103202", "Chengjiazhuang"),
    ("110118103203", "Zhuanghetun"),
    ("110118103204", "Hecao"),
    ("110118103208", "Shuangjing"),
    ("110118104203", "Lianghe"),
    ("110118104205", "Ganhechang"),
    ("110118104212", "Nanjingoutun"),
    ("110118104213", "Jingliyuan"),
    ("110118104215", "Zhongzhuang"),
    ("110118104216", "Taoli"),
    ("110118104219", "Henanzhai"),
    ("110118104221", "Ningcun"),
    ("110118104222", "Shengshuitou"),
    ("110118105003", "Shachang"),
    ("110118105209", "Jiuyuanzhuang"),
    ("110118105210", "Tangzi"),
    ("110118105215", "Jinshanzi"),
    ("110118105219", "Huanggezhuang"),
    ("110118105220", "Qianjiaojiawu"),
    ("110118105223", "Fenggezhuang"),
    ("110118106200", "Liulinchi"),
    ("110118106202", "Qianliyuan"),
    ("110118106205", "Dashiling"),
    ("110118106207", "Dayugou"),
    ("110118106209", "Yangshan"),
    ("110118106210", "Nanmujiayu"),
    ("110118106212", "Jiusongshan"),
    ("110118106214", "Gelaoyu"),
    ("110118106216", "Dayan"),
    ("110118106217", "Xin'anzhuang"),
    ("110118107004", "Yong'an"),
    ("110118107200", "Huanggezhuang"),
    ("110118107202", "Liuheyu"),
    ("110118107208", "Liuhegou"),
    ("110118107217", "Xuegezhuang"),
    ("110118107220", "Heiguyan"),
    ("110118107228", "Linggong"),
    ("110118107230", "Shiyanjing"),
    ("110118107231", "Dongzhuanghe"),
    ("110118107232", "Machang"),
    ("110118107233", "Luowa"),
    ("110118109200", "Yanggezhuang"),
    ("110118109201", "Donggezhuang"),
    ("110118109204", "Zhuanshanzi"),
    ("110118109206", "Yanluo"),
    ("110118109207", "Bulaotun"),
    ("110118109210", "Bianzhuangzi"),
    ("110118109212", "Bingmaying"),
    ("110118109213", "Liushugou"),
    ("110118109216", "Xuegezhuang"),
    ("110118109217", "Xiangshuiyu"),
    ("110118109219", "Nanxiangyu"),
    ("110118109222", "Gushiyu"),
    ("110118109225", "Xituogu"),
    ("110118110201", "Xizhuangzi"),
    ("110118110203", "Fengjiayu"),
    ("110118110204", "Xikouwai"),
    ("110118110205", "Xibailianyu"),
    ("110118110207", "Zhujiayu"),
    ("110118110208", "Xiaying"),
    ("110118110209", "Baimaguan"),
    ("110118110213", "Siyingzi"),
    ("110118110214", "Qianhuoling"),
    ("110118110217", "Nantaizi"),
    ("110118111001", "Nancaiyuan"),
    ("110118111003", "Beitou"),
    ("110118111200", "Gubeikou"),
    ("110118111201", "Hexi"),
    ("110118111202", "Chaoguan"),
    ("110118111203", "Yangzhuangzi"),
    ("110118111207", "Tanghe"),
    ("110118111208", "Simatai"),
    ("110118112202", "Qiangzilu"),
    ("110118112206", "Baiya"),
    ("110118112210", "Yanggezhuang"),
    ("110118112211", "Gaozhuangzi"),
    ("110118112212", "Dachengzi"),
    ("110118112213", "Niejiayu"),
    ("110118112215", "Houdian"),
    ("110118112218", "Zhuangtou"),
    ("110118113201", "Gaogezhuang"),
    ("110118113203", "Shi'e"),
    ("110118113207", "Xishaoqu"),
    ("110118115200", "Huayuan"),
    ("110118115202", "Caojialu"),
    ("110118115203", "Caijiadian"),
    ("110118115205", "Cuijiayu"),
    ("110118115209", "Yaoqiaoyu"),
    ("110118115215", "Tagou"),
    ("110118116200", "Lishugou"),
    ("110118116202", "Wangzhuang"),
    ("110118116203", "Shicheng"),
    ("110118116204", "Shitanglu"),
    ("110118116208", "Penghe'yan"),
    ("110118116209", "Zhangjiafen"),
    ("110118116210", "Erpingtai"),
    ("110118116211", "Jiayu"),
    ("110118116212", "Sihetang"),
    ("110118116213", "Hongxing"),
    ("110118116214", "Huangtuliang"),
];

/// (romanised name, kind) of a town by its name in the adcode file.
pub fn town_en(town_zh: &str) -> Option<(&'static str, &'static str)> {
    TOWNS.iter().find(|t| t.0 == town_zh).map(|t| (t.1, t.2))
}

fn name_en(p: &AdminPoint) -> Result<String> {
    let Some((town, kind)) = town_en(&p.town) else {
        bail!("{}: town {} has no romanisation", p.code, p.town);
    };
    if p.level == "town" {
        return Ok(format!("{town} {kind}"));
    }
    let community = p.name.ends_with("社区居委会");
    match VILLAGE_PINYIN.iter().find(|v| v.0 == p.code) {
        Some((_, py)) if community => Ok(format!("{py} Community")),
        Some((_, py)) => Ok(format!("{py} Village")),
        None => Ok(format!("{town} {kind} village committee")),
    }
}

/// The `villages` layer, in the adcode file's order, then the extras.
pub fn features(src: &Sources) -> Result<Vec<Feature>> {
    // GeoNames spellings claimed in TOWNS must be in the GeoNames file.
    for (zh, en, _, from_geonames) in TOWNS {
        if *from_geonames && src.geoname(en).is_none() {
            bail!("{zh}: {en} is not in the GeoNames file");
        }
    }
    let rows: Vec<&AdminPoint> = src
        .admin_points
        .iter()
        .filter(|p| p.level == "town" || p.level == "village")
        .collect();
    let mut out = Vec::new();
    for p in &rows {
        let mut notes = Vec::new();
        if p.level == "village" && !VILLAGE_PINYIN.iter().any(|v| v.0 == p.code) {
            notes.push("name_en is a fallback (town + village committee): the reading of the name is not certain.".to_string());
        }
        for q in rows
            .iter()
            .filter(|q| q.code != p.code && q.point == p.point)
        {
            notes.push(format!(
                "The source gives this point the same coordinates as {} ({}, {}); the source's geocoder \
                 probably matched a namesake, so the position is doubtful.",
                q.name, q.town, q.code
            ));
        }
        out.push(
            Feature::new(
                Point::from(p.point.0),
                &format!("v-{}", p.code),
                &p.name,
                &name_en(p)?,
                ADCODE_SOURCE,
                Accuracy::Source,
                &notes.join(" "),
            )
            .with("code", p.code.as_str())
            .with("level", p.level.as_str())
            .with("town", p.town.as_str()),
        );
    }
    for v in EXTRA_VILLAGES {
        out.push(
            Feature::new(
                Point::new(v.at.0, v.at.1),
                v.id,
                v.name_zh,
                v.name_en,
                "placed by hand in examples/build_geodata (constant EXTRA_VILLAGES)",
                Accuracy::Approximate,
                v.note,
            )
            .with("level", "village")
            .with("town", v.town),
        );
    }
    Ok(out)
}
