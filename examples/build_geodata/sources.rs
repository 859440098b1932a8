//! Reading the raw public files in `geodata/sources/`, unchanged.

use std::fs;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use geo::{Coord, MultiPolygon, Point, Polygon};
use serde_json::Value;

/// File names inside `geodata/sources/`.
pub const DISTRICT_FILE: &str = "miyun_district_tianditu.geojson";
pub const RESERVOIR_FILE: &str = "miyun_reservoir_gshhg_wgs84.geojson";
pub const ADMIN_POINTS_FILE: &str = "miyun_admin_points_wgs84.csv";
pub const GEONAMES_FILE: &str = "geonames_cities1000_miyun_region.csv";
pub const FACTS_FILE: &str = "miyun_reserves_reservoir_facts.json";

/// One row of the Vonng/adcode points (district, town or village committee).
#[derive(Clone, Debug)]
pub struct AdminPoint {
    pub code: String,
    pub name: String,
    pub level: String,
    pub town: String,
    pub point: Point,
}

/// One GeoNames populated place (only its spelling is used).
#[derive(Clone, Debug)]
pub struct GeoName {
    pub name: String,
}

/// The official figures of one nature reserve, from the facts file.
#[derive(Clone, Debug)]
pub struct ReserveFacts {
    pub name_zh: String,
    pub name_en: String,
    pub kind: String,
    pub area_ha: f64,
    pub approval: String,
    pub established: String,
    pub protects: String,
}

/// Everything read from `geodata/sources/`.
pub struct Sources {
    pub district: MultiPolygon,
    pub reservoir: Polygon,
    pub admin_points: Vec<AdminPoint>,
    pub geonames: Vec<GeoName>,
    pub reserves: Vec<ReserveFacts>,
    pub zone_one_definition: String,
    pub simatai_wall: Point,
}

impl Sources {
    /// Read all source files from `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let district = first_geometry(&dir.join(DISTRICT_FILE))?;
        let district: MultiPolygon = match district {
            geo::Geometry::MultiPolygon(mp) => mp,
            geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
            _ => bail!("{DISTRICT_FILE}: expected a (multi)polygon"),
        };
        let reservoir = match first_geometry(&dir.join(RESERVOIR_FILE))? {
            geo::Geometry::Polygon(p) => p,
            _ => bail!("{RESERVOIR_FILE}: expected a polygon"),
        };
        let admin_points = read_admin_points(&dir.join(ADMIN_POINTS_FILE))?;
        let geonames = read_geonames(&dir.join(GEONAMES_FILE))?;
        let facts: Value = serde_json::from_str(&read(&dir.join(FACTS_FILE))?)
            .with_context(|| format!("parsing {FACTS_FILE}"))?;
        let reserves = read_reserve_facts(&facts)?;
        let zone_one_definition = str_at(&facts["reservoir"], "zone_one_definition")?;
        let wall = &facts["landmarks"]["Simatai Great Wall"]["wgs84"];
        let simatai_wall = match (wall[0].as_f64(), wall[1].as_f64()) {
            (Some(x), Some(y)) => Point::new(x, y),
            _ => bail!("{FACTS_FILE}: no Simatai Great Wall landmark"),
        };
        Ok(Sources {
            district,
            reservoir,
            admin_points,
            geonames,
            reserves,
            zone_one_definition,
            simatai_wall,
        })
    }

    /// The admin point with this 12-digit code.
    pub fn admin(&self, code: &str) -> Result<&AdminPoint> {
        self.admin_points
            .iter()
            .find(|p| p.code == code)
            .ok_or_else(|| anyhow!("no admin point with code {code}"))
    }

    /// The GeoNames spelling of a place, if the file has it.
    pub fn geoname(&self, name: &str) -> Option<&GeoName> {
        self.geonames.iter().find(|g| g.name == name)
    }

    /// The facts of the reserve whose English name starts with `prefix`.
    pub fn reserve(&self, prefix: &str) -> Result<&ReserveFacts> {
        self.reserves
            .iter()
            .find(|r| r.name_en.starts_with(prefix))
            .ok_or_else(|| anyhow!("no reserve facts for {prefix}"))
    }
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn first_geometry(path: &Path) -> Result<geo::Geometry> {
    let gj: geojson::GeoJson = read(path)?
        .parse()
        .with_context(|| format!("parsing {}", path.display()))?;
    let geometry = match gj {
        geojson::GeoJson::FeatureCollection(fc) => fc
            .features
            .into_iter()
            .next()
            .and_then(|f| f.geometry)
            .ok_or_else(|| anyhow!("{}: no feature geometry", path.display()))?,
        geojson::GeoJson::Feature(f) => f
            .geometry
            .ok_or_else(|| anyhow!("{}: no geometry", path.display()))?,
        geojson::GeoJson::Geometry(g) => g,
    };
    geo::Geometry::try_from(geometry).with_context(|| format!("converting {}", path.display()))
}

fn read_admin_points(path: &Path) -> Result<Vec<AdminPoint>> {
    let text = read(path)?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 7 {
            bail!("{}:{}: expected 7 fields", path.display(), i + 1);
        }
        let lon: f64 = f[5].parse().with_context(|| format!("line {}", i + 1))?;
        let lat: f64 = f[6].parse().with_context(|| format!("line {}", i + 1))?;
        rows.push(AdminPoint {
            code: f[0].to_string(),
            name: f[2].to_string(),
            level: f[3].to_string(),
            town: f[4].to_string(),
            point: Point(Coord { x: lon, y: lat }),
        });
    }
    Ok(rows)
}

fn read_geonames(path: &Path) -> Result<Vec<GeoName>> {
    let text = read(path)?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 3 {
            continue;
        }
        if f[0].parse::<f64>().is_err() || f[1].parse::<f64>().is_err() {
            bail!("{}:{}: bad lat/lon", path.display(), i + 1);
        }
        rows.push(GeoName {
            name: f[2].to_string(),
        });
    }
    Ok(rows)
}

fn str_at(v: &Value, key: &str) -> Result<String> {
    v[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("facts: missing string {key}"))
}

fn read_reserve_facts(facts: &Value) -> Result<Vec<ReserveFacts>> {
    let list = facts["reserves"]
        .as_array()
        .ok_or_else(|| anyhow!("facts: no reserves"))?;
    list.iter()
        .map(|r| {
            Ok(ReserveFacts {
                name_zh: str_at(r, "name")?,
                name_en: str_at(r, "name_en")?,
                kind: str_at(r, "type")?,
                area_ha: r["area_ha"]
                    .as_f64()
                    .ok_or_else(|| anyhow!("facts: reserve without area_ha"))?,
                approval: str_at(r, "approval")?,
                established: str_at(r, "established")?,
                protects: str_at(r, "protects")?,
            })
        })
        .collect()
}
