//! Checks run on the files as written (read back from disk): the program
//! fails rather than leave layers that break what the data promises.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use geo::{BooleanOps, Contains, Geometry, Intersects, MultiPolygon, Relate, Validation, Winding};
use serde_json::{Map, Value};

use crate::output::LayerMeta;
use crate::projects::{MIN_SEWAGE_INSIDE, SEED_KEYS};
use crate::shapes::area_ha;

/// Longitude and latitude bounds every coordinate must fall in.
const LON_RANGE: (f64, f64) = (115.4, 117.9);
const LAT_RANGE: (f64, f64) = (40.0, 41.0);
/// Largest ring or line allowed, vertices.
const MAX_VERTICES: usize = 500;
/// An overlap below this many hectares (100 m², numerical noise along tens
/// of kilometres of shared boundary) counts as none.
const NO_AREA_HA: f64 = 0.01;

/// One feature read back.
pub struct ReadFeature {
    pub props: Map<String, Value>,
    pub geometry: Geometry,
}

impl ReadFeature {
    pub fn str(&self, key: &str) -> &str {
        self.props.get(key).and_then(Value::as_str).unwrap_or("")
    }
}

/// A layer read back.
pub struct ReadLayer {
    pub id: &'static str,
    pub features: Vec<ReadFeature>,
}

/// What the checks found, for the summary.
pub struct Report {
    pub inside_zone1: Vec<String>,
    pub crossing_zone1: Vec<String>,
    pub outside_zone1: usize,
}

/// Read and check the syntax-level rules of one layer file.
pub fn read_layer(dir: &Path, meta: &LayerMeta) -> Result<ReadLayer> {
    let path = dir.join(meta.file());
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: Value = serde_json::from_str(&text)?;
    let raw = json["features"]
        .as_array()
        .ok_or_else(|| anyhow!("{}: no features", meta.id))?;
    let mut ids = BTreeSet::new();
    let mut features = Vec::new();
    for f in raw {
        let props = f["properties"]
            .as_object()
            .ok_or_else(|| anyhow!("{}: feature without properties", meta.id))?
            .clone();
        let id = props
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("{}: feature without a string id", meta.id))?
            .to_string();
        let ctx = format!("{}/{}", meta.id, id);
        if !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            bail!("{ctx}: id is not lower-case ascii");
        }
        if !ids.insert(id.clone()) {
            bail!("{ctx}: duplicate id");
        }
        for key in ["name_zh", "name_en", "source", "note"] {
            if props.get(key).and_then(Value::as_str).is_none() {
                bail!("{ctx}: property {key} missing or not a string");
            }
        }
        for key in ["name_zh", "name_en", "source"] {
            if props[key].as_str().is_some_and(str::is_empty) {
                bail!("{ctx}: property {key} empty");
            }
        }
        let accuracy = props.get("accuracy").and_then(Value::as_str).unwrap_or("");
        if !["source", "approximate", "illustrative"].contains(&accuracy) {
            bail!("{ctx}: bad accuracy {accuracy:?}");
        }
        if accuracy != "source" && props["note"].as_str().is_some_and(str::is_empty) {
            bail!("{ctx}: a non-source feature needs a note");
        }
        check_positions(&ctx, &f["geometry"]["coordinates"])?;
        check_rings_closed(&ctx, &f["geometry"])?;
        let gj: geojson::Geometry = serde_json::from_value(f["geometry"].clone())?;
        let geometry = Geometry::try_from(gj).with_context(|| ctx.clone())?;
        check_geometry(&ctx, meta.geometry, &geometry)?;
        features.push(ReadFeature { props, geometry });
    }
    Ok(ReadLayer {
        id: meta.id,
        features,
    })
}

/// Every position: two numbers, in bounds, at most 6 decimals.
fn check_positions(ctx: &str, v: &Value) -> Result<()> {
    let arr = v
        .as_array()
        .ok_or_else(|| anyhow!("{ctx}: bad coordinates"))?;
    if arr.first().is_some_and(Value::is_number) {
        let (Some(x), Some(y), 2) = (arr[0].as_f64(), arr[1].as_f64(), arr.len()) else {
            bail!("{ctx}: bad position {v}");
        };
        if !(LON_RANGE.0..=LON_RANGE.1).contains(&x) || !(LAT_RANGE.0..=LAT_RANGE.1).contains(&y) {
            bail!("{ctx}: position {x},{y} out of bounds");
        }
        for n in [x, y] {
            if ((n * 1e6).round() - n * 1e6).abs() > 1e-6 {
                bail!("{ctx}: {n} has more than 6 decimals");
            }
        }
        return Ok(());
    }
    arr.iter().try_for_each(|a| check_positions(ctx, a))
}

/// Every ring closed, in the JSON as written.
fn check_rings_closed(ctx: &str, g: &Value) -> Result<()> {
    let rings: Vec<&Value> = match g["type"].as_str() {
        Some("Polygon") => g["coordinates"].as_array().into_iter().flatten().collect(),
        Some("MultiPolygon") => g["coordinates"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .collect(),
        _ => return Ok(()),
    };
    for r in rings {
        let r = r.as_array().ok_or_else(|| anyhow!("{ctx}: bad ring"))?;
        if r.len() < 4 || r.first() != r.last() {
            bail!("{ctx}: ring not closed or too short");
        }
    }
    Ok(())
}

/// Geometry kind matches the layer, polygons valid and RFC 7946-wound,
/// vertex counts modest.
fn check_geometry(ctx: &str, kind: &str, g: &Geometry) -> Result<()> {
    let ok_kind = matches!(
        (kind, g),
        ("point", Geometry::Point(_) | Geometry::MultiPoint(_))
            | (
                "line",
                Geometry::LineString(_) | Geometry::MultiLineString(_)
            )
            | ("polygon", Geometry::Polygon(_) | Geometry::MultiPolygon(_))
            | ("any", _)
    );
    if !ok_kind {
        bail!("{ctx}: geometry kind does not match the layer's {kind}");
    }
    if !g.is_valid() {
        bail!("{ctx}: invalid geometry: {:?}", g.validation_errors());
    }
    if let Some(mp) = as_mp(g) {
        for p in &mp.0 {
            if !p.exterior().is_ccw() || p.interiors().iter().any(|h| !h.is_cw()) {
                bail!("{ctx}: rings not wound the RFC 7946 way");
            }
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                if r.0.len() > MAX_VERTICES {
                    bail!("{ctx}: ring of {} vertices", r.0.len());
                }
            }
        }
    }
    if let Geometry::LineString(l) = g {
        if l.0.len() > MAX_VERTICES || l.0.len() < 2 {
            bail!("{ctx}: line of {} vertices", l.0.len());
        }
    }
    Ok(())
}

/// A polygonal geometry as a multipolygon.
pub fn as_mp(g: &Geometry) -> Option<MultiPolygon> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(mp) => Some(mp.clone()),
        _ => None,
    }
}

fn layer<'a>(layers: &'a [ReadLayer], id: &str) -> Result<&'a ReadLayer> {
    layers
        .iter()
        .find(|l| l.id == id)
        .ok_or_else(|| anyhow!("no layer {id}"))
}

fn feature<'a>(l: &'a ReadLayer, id: &str) -> Result<&'a ReadFeature> {
    l.features
        .iter()
        .find(|f| f.str("id") == id)
        .ok_or_else(|| anyhow!("{}: no feature {id}", l.id))
}

fn polygon_of(l: &ReadLayer, id: &str) -> Result<MultiPolygon> {
    as_mp(&feature(l, id)?.geometry).ok_or_else(|| anyhow!("{}/{id}: not a polygon", l.id))
}

/// Area (ha) of the part of `a` that is not in `b`.
fn area_outside(a: &MultiPolygon, b: &MultiPolygon) -> f64 {
    area_ha(&a.difference(b))
}

/// Area (ha) shared by `a` and `b`.
fn overlap(a: &MultiPolygon, b: &MultiPolygon) -> f64 {
    area_ha(&a.intersection(b))
}

/// The cross-layer rules.
pub fn check_all(layers: &[ReadLayer]) -> Result<Report> {
    let district = polygon_of(layer(layers, "district")?, "miyun")?;
    let reservoir = polygon_of(layer(layers, "reservoir")?, "miyun-reservoir")?;
    let zones = layer(layers, "reservoir_zones")?;
    let zone1 = polygon_of(zones, "zone-1")?;
    let zone2 = polygon_of(zones, "zone-2")?;

    // Zones.
    if area_outside(&reservoir, &zone1) > NO_AREA_HA || !zone1.contains(&reservoir) {
        bail!("zone-1 does not contain the reservoir");
    }
    let o = overlap(&zone1, &zone2);
    if o > NO_AREA_HA {
        bail!("zone-2 overlaps zone-1 by {o} ha");
    }
    for (id, z) in [("zone-1", &zone1), ("zone-2", &zone2)] {
        let out = area_outside(z, &district);
        if out > NO_AREA_HA {
            bail!("{id} leaves the district by {out} ha");
        }
    }

    // Reserves.
    let reserves = layer(layers, "nature_reserves")?;
    let mut shapes = Vec::new();
    let mut total = 0.0;
    for f in &reserves.features {
        let id = f.str("id");
        let shape = as_mp(&f.geometry).ok_or_else(|| anyhow!("{id}: not a polygon"))?;
        let official = f.props["area_ha"]
            .as_f64()
            .ok_or_else(|| anyhow!("{id}: no area_ha"))?;
        let a = area_ha(&shape);
        if (a / official - 1.0).abs() > 0.01 {
            bail!("{id}: {a:.1} ha against official {official} ha");
        }
        if area_outside(&shape, &district) > NO_AREA_HA {
            bail!("{id} leaves the district");
        }
        if overlap(&shape, &reservoir) > NO_AREA_HA {
            bail!("{id} overlaps the reservoir");
        }
        for (other, s) in &shapes {
            if overlap(&shape, s) > NO_AREA_HA {
                bail!("{id} overlaps {other}");
            }
        }
        total += official;
        shapes.push((id.to_string(), shape));
    }
    if shapes.len() != 3 || (total - 10_773.4).abs() > 0.05 {
        bail!(
            "expected 3 reserves totalling 10,773.4 ha, got {} / {total}",
            shapes.len()
        );
    }

    // Villages.
    let villages = layer(layers, "villages")?;
    let sourced = villages
        .features
        .iter()
        .filter(|f| f.str("accuracy") == "source")
        .count();
    let placed = villages
        .features
        .iter()
        .filter(|f| f.str("accuracy") == "approximate")
        .count();
    if sourced < 170 || placed < 3 {
        bail!("villages: {sourced} from the source and {placed} placed by hand");
    }
    for f in &villages.features {
        if !["town", "village"].contains(&f.str("level")) || f.str("town").is_empty() {
            bail!("village {}: bad level or town", f.str("id"));
        }
    }

    // Everything lies in the district.
    for l in layers.iter().filter(|l| l.id != "district") {
        for f in &l.features {
            let inside = match as_mp(&f.geometry) {
                Some(mp) => area_outside(&mp, &district) <= NO_AREA_HA,
                None => district.contains(&f.geometry),
            };
            if !inside {
                bail!("{}/{} leaves the district", l.id, f.str("id"));
            }
        }
    }

    // Belts stay off the water.
    for f in &layer(layers, "tourism_belts")?.features {
        if f.geometry.intersects(&reservoir) {
            bail!("belt {} crosses the reservoir", f.str("id"));
        }
        if f.str("places").is_empty() {
            bail!("belt {} has no places", f.str("id"));
        }
    }

    // Projects.
    let projects = layer(layers, "projects")?;
    if projects.features.len() < 40 {
        bail!("only {} projects", projects.features.len());
    }
    for (cat, key) in SEED_KEYS {
        if !projects
            .features
            .iter()
            .any(|f| f.str("seed_key") == *key && f.str("category") == *cat)
        {
            bail!("no project for seed key {key} ({cat})");
        }
    }
    let mut report = Report {
        inside_zone1: vec![],
        crossing_zone1: vec![],
        outside_zone1: 0,
    };
    let mut sewage_inside = 0;
    for f in &projects.features {
        let id = f.str("id");
        if !SEED_KEYS.iter().any(|(_, k)| *k == f.str("seed_key")) {
            bail!("{id}: unknown seed_key");
        }
        if !["economy", "politics", "culture", "society", "ecology"].contains(&f.str("category")) {
            bail!("{id}: bad category");
        }
        if !["planned", "under_construction", "completed", "existing"].contains(&f.str("status")) {
            bail!("{id}: bad status");
        }
        if f.str("lead_unit").is_empty() || !f.props.get("start_year").is_some_and(Value::is_i64) {
            bail!("{id}: lead_unit or start_year missing");
        }
        if !f.str("note").contains("illustrative assignments") {
            bail!("{id}: note does not flag lead_unit/start_year as illustrative");
        }
        // Off the water (the monitoring platform may sit on the dam).
        let wet = match as_mp(&f.geometry) {
            Some(mp) => overlap(&mp, &reservoir) > NO_AREA_HA,
            None => f.geometry.relate(&reservoir).is_intersects(),
        };
        if wet && f.str("seed_key") != "reservoir-monitoring-platform" {
            bail!("{id} lies in the reservoir water");
        }
        if zone1.contains(&f.geometry) {
            report.inside_zone1.push(id.to_string());
            if f.str("seed_key") == "zone1-village-sewage" {
                sewage_inside += 1;
            }
        } else if f.geometry.intersects(&zone1) {
            report.crossing_zone1.push(id.to_string());
        } else {
            report.outside_zone1 += 1;
        }
    }
    if sewage_inside < MIN_SEWAGE_INSIDE
        || report.inside_zone1.len() < 4
        || report.crossing_zone1.len() < 3
        || report.outside_zone1 * 2 <= projects.features.len()
    {
        bail!(
            "zone one answer too thin: {} inside ({} sewage), {} crossing, {} outside",
            report.inside_zone1.len(),
            sewage_inside,
            report.crossing_zone1.len(),
            report.outside_zone1
        );
    }
    for id in [
        "p-wetland-inlet-chao",
        "p-wetland-inlet-bai",
        "p-g101-greening",
    ] {
        if !report.crossing_zone1.iter().any(|c| c == id) {
            bail!(
                "{id} should straddle zone one's edge; inside: {:?}; crossing: {:?}",
                report.inside_zone1,
                report.crossing_zone1
            );
        }
    }
    if !report
        .inside_zone1
        .iter()
        .any(|c| c == "p-reservoir-monitoring-platform")
    {
        bail!("the monitoring platform is not inside zone one");
    }

    // Projects that must sit in or on another feature.
    let science = polygon_of(projects, "p-science-city-east")?;
    for f in &projects.features {
        let key = f.str("seed_key");
        if (key == "earth-system-simulator" || key == "cross-platforms")
            && !science.contains(&f.geometry)
        {
            bail!("{} is not inside the science city east", f.str("id"));
        }
    }
    let ymx = polygon_of(projects, "p-yunmengshan-upgrade")?;
    let ymr = polygon_of(reserves, "yunmengshan")?;
    if overlap(&ymx, &ymr) <= NO_AREA_HA {
        bail!("the Yunmengshan upgrade does not overlap the reserve");
    }
    Ok(report)
}
