//! The layer manifest, `layers.toml`: which GeoJSON files make up a dataset
//! and how each is to be read and shown.
//!
//! ```toml
//! [dataset]
//! id = "miyun"
//! title = { zh = "北京市密云区", en = "Miyun District, Beijing" }
//! attribution = "…"
//!
//! [[layers]]
//! id = "district"
//! title = { zh = "密云区界", en = "Miyun District boundary" }
//! description = "…"
//! file = "district.geojson"
//! geometry = "polygon"   # point | line | polygon | any
//! id_property = "id"
//! minzoom = 0
//! maxzoom = 14
//! attribution = "…"
//! ```

use serde::Deserialize;
use std::fmt;

/// The highest zoom level a layer may declare (and tiles are served to).
pub const MAX_ZOOM: u8 = 22;

/// A parsed `layers.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// What the dataset as a whole is.
    pub dataset: DatasetMeta,
    /// The layers, in drawing order (first is drawn lowest).
    pub layers: Vec<LayerMeta>,
}

/// The dataset's own description.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetMeta {
    /// Short identifier, `[a-z0-9_-]+`.
    pub id: String,
    /// Title in Chinese and English.
    pub title: Title,
    /// Attribution for the dataset as a whole.
    #[serde(default)]
    pub attribution: String,
    /// What the monthly report covers (`[dataset.report]`).
    #[serde(default)]
    pub report: Option<ReportMeta>,
}

/// The monthly report's set-up (`[dataset.report]`): the ledger layer,
/// the layers whose features it reports by, and the zone whose moves in
/// and out it lists by name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportMeta {
    /// The layer reported on (a layer that takes edits).
    pub layer: String,
    /// Layers whose every feature is a zone the report counts by.
    #[serde(default)]
    pub zones: Vec<String>,
    /// `layer/id` of the zone whose moves in and out are listed by name.
    #[serde(default)]
    pub watch: Option<String>,
    /// The statuses that mean a project is finished.
    #[serde(default)]
    pub finished: Vec<String>,
}

/// A name in Chinese and in English.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Title {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

/// One layer's entry in the manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerMeta {
    /// Identifier used in URLs and references such as `reservoir_zones/zone-1`.
    pub id: String,
    /// Title in Chinese and English.
    pub title: Title,
    /// A sentence or two on what the layer shows.
    #[serde(default)]
    pub description: String,
    /// The GeoJSON file, relative to the manifest's folder.
    pub file: String,
    /// The kind of geometry every feature must have.
    pub geometry: GeometryKind,
    /// The property that holds each feature's id; without it the GeoJSON
    /// feature's own `id` member is used.
    #[serde(default)]
    pub id_property: Option<String>,
    /// The lowest zoom at which the layer is shown.
    #[serde(default)]
    pub minzoom: u8,
    /// The highest zoom with its own detail; beyond it tiles are cut from
    /// the layer at full detail.
    #[serde(default = "default_maxzoom")]
    pub maxzoom: u8,
    /// Source and licence of the layer.
    #[serde(default)]
    pub attribution: String,
    /// Whether tiles below the layer's maxzoom may thin it to stay within
    /// the tile budget (`auto`, the default), or must always draw it whole
    /// (`never`: zones, reserves, boundaries).
    #[serde(default)]
    pub thin: Thin,
    /// Whether the layer takes edits through the API, and how
    /// (`[layers.edit]`); absent, the layer is read-only.
    #[serde(default)]
    pub edit: Option<EditMeta>,
    /// Rules the features' properties keep, checked when the file loads
    /// and on every edit (`[layers.fields]`).
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, super::fields::FieldRule>,
}

/// How an editable layer takes edits (`[layers.edit]` in the manifest).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditMeta {
    /// Whether a write must carry `If-Match` (`428` without one). QGIS
    /// never sends it, so the default takes writes without it.
    #[serde(default)]
    pub require_if_match: bool,
    /// Whether a client may choose a new feature's id in its POST; else
    /// the server assigns one.
    #[serde(default)]
    pub client_ids: bool,
    /// The journal is folded into the layer file once it passes this many
    /// bytes (default 4 MiB).
    #[serde(default)]
    pub compact_after_bytes: Option<u64>,
}

/// Whether a layer may be thinned in tiles below its maxzoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Thin {
    /// Points dropped by zoom, features smaller than a pixel dropped, and
    /// more dropped where a tile would pass its byte budget.
    #[default]
    Auto,
    /// Every feature in every tile from minzoom up.
    Never,
}

fn default_maxzoom() -> u8 {
    14
}

/// The geometry a layer holds; each kind admits its multi-part form too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GeometryKind {
    /// `Point` or `MultiPoint`.
    Point,
    /// `LineString` or `MultiLineString`.
    Line,
    /// `Polygon` or `MultiPolygon`.
    Polygon,
    /// Any of the above, mixed in one layer (a layer of projects that are
    /// sites, roads and areas).
    Any,
}

impl GeometryKind {
    /// Whether a GeoJSON geometry type name belongs to this kind.
    pub fn admits(self, geojson_type: &str) -> bool {
        matches!(
            (self, geojson_type),
            (GeometryKind::Point, "Point" | "MultiPoint")
                | (GeometryKind::Line, "LineString" | "MultiLineString")
                | (GeometryKind::Polygon, "Polygon" | "MultiPolygon")
                | (
                    GeometryKind::Any,
                    "Point"
                        | "MultiPoint"
                        | "LineString"
                        | "MultiLineString"
                        | "Polygon"
                        | "MultiPolygon"
                )
        )
    }

    /// The GeoJSON types this kind admits, for messages.
    pub fn geojson_types(self) -> &'static str {
        match self {
            GeometryKind::Point => "Point or MultiPoint",
            GeometryKind::Line => "LineString or MultiLineString",
            GeometryKind::Polygon => "Polygon or MultiPolygon",
            GeometryKind::Any => "Point, LineString, Polygon or their Multi",
        }
    }
}

impl fmt::Display for GeometryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GeometryKind::Point => "point",
            GeometryKind::Line => "line",
            GeometryKind::Polygon => "polygon",
            GeometryKind::Any => "any",
        })
    }
}

/// Whether `s` is usable as a dataset or layer id: non-empty lower-case
/// ASCII letters, digits, `_` and `-`.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Manifest {
    /// Parses the text of a manifest and checks what TOML alone cannot:
    /// ids, uniqueness, zoom ranges. Returns every problem found.
    pub fn parse(text: &str) -> Result<Manifest, Vec<String>> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
        let mut problems = Vec::new();
        if !is_valid_id(&manifest.dataset.id) {
            problems.push(format!(
                "dataset id `{}` must be lower-case letters, digits, `_` or `-`",
                manifest.dataset.id
            ));
        }
        if manifest.layers.is_empty() {
            problems.push("the manifest names no layers; add at least one [[layers]] table".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for layer in &manifest.layers {
            if !is_valid_id(&layer.id) {
                problems.push(format!(
                    "layer id `{}` must be lower-case letters, digits, `_` or `-`",
                    layer.id
                ));
            }
            if !seen.insert(layer.id.as_str()) {
                problems.push(format!("layer id `{}` appears more than once", layer.id));
            }
            if layer.minzoom > layer.maxzoom {
                problems.push(format!(
                    "layer `{}`: minzoom {} is above maxzoom {}",
                    layer.id, layer.minzoom, layer.maxzoom
                ));
            }
            if layer.maxzoom > MAX_ZOOM {
                problems.push(format!(
                    "layer `{}`: maxzoom {} is above the highest zoom, {MAX_ZOOM}",
                    layer.id, layer.maxzoom
                ));
            }
            if layer.file.trim().is_empty() {
                problems.push(format!("layer `{}`: `file` is empty", layer.id));
            }
            for (name, rule) in &layer.fields {
                if let Err(why) = rule.check_rule() {
                    problems.push(format!("layer `{}`, field `{name}`: {why}", layer.id));
                }
            }
            if layer.edit.is_some() && layer.id_property.is_none() {
                problems.push(format!(
                    "layer `{}` takes edits, so its ids must live in a property: set `id_property`",
                    layer.id
                ));
            }
        }
        if let Some(r) = &manifest.dataset.report {
            let layer = |id: &str| manifest.layers.iter().find(|l| l.id == id);
            match layer(&r.layer) {
                None => problems.push(format!(
                    "[dataset.report] layer `{}` is not a layer of the manifest",
                    r.layer
                )),
                Some(l) if l.edit.is_none() => problems.push(format!(
                    "[dataset.report] layer `{}` takes no edits, so it has no journal to report on; give it a [layers.edit] table",
                    r.layer
                )),
                Some(_) => {}
            }
            for z in &r.zones {
                if layer(z).is_none() {
                    problems.push(format!(
                        "[dataset.report] zones: `{z}` is not a layer of the manifest"
                    ));
                }
            }
            if let Some(w) = &r.watch {
                match w.split_once('/') {
                    Some((l, id)) if r.zones.iter().any(|z| z == l) && !id.is_empty() => {}
                    _ => problems.push(format!(
                        "[dataset.report] watch `{w}` must be `layer/id` of a feature of one of the report's zones"
                    )),
                }
            }
        }
        if problems.is_empty() {
            Ok(manifest)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_LAYER: &str = r#"
[dataset]
id = "t"
title = { zh = "测", en = "Test" }

[[layers]]
id = "a"
title = { zh = "甲", en = "A" }
file = "a.geojson"
geometry = "polygon"
"#;

    #[test]
    fn parses_with_defaults() {
        let m = Manifest::parse(ONE_LAYER).unwrap();
        assert_eq!(m.layers[0].maxzoom, 14);
        assert_eq!(m.layers[0].minzoom, 0);
        assert_eq!(m.layers[0].geometry, GeometryKind::Polygon);
        assert!(m.layers[0].id_property.is_none());
    }

    #[test]
    fn rejects_duplicate_layers_and_bad_zooms() {
        let text = format!(
            "{ONE_LAYER}\n[[layers]]\nid = \"a\"\ntitle = {{ zh = \"乙\", en = \"B\" }}\nfile = \"b.geojson\"\ngeometry = \"line\"\nminzoom = 9\nmaxzoom = 3\n"
        );
        let problems = Manifest::parse(&text).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("appears more than once")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("minzoom 9 is above maxzoom 3")),
            "{problems:?}"
        );
    }

    #[test]
    fn rejects_unknown_geometry_kind() {
        let text = ONE_LAYER.replace("\"polygon\"", "\"blob\"");
        let problems = Manifest::parse(&text).unwrap_err();
        assert!(
            problems[0].contains("unknown variant `blob`"),
            "{problems:?}"
        );
    }

    #[test]
    fn kinds_admit_their_multi_forms() {
        assert!(GeometryKind::Line.admits("MultiLineString"));
        assert!(!GeometryKind::Line.admits("Polygon"));
        assert!(GeometryKind::Point.admits("MultiPoint"));
        assert!(GeometryKind::Any.admits("LineString") && GeometryKind::Any.admits("Point"));
        assert!(!GeometryKind::Any.admits("GeometryCollection"));
    }
}
