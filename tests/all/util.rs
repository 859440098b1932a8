//! Helpers shared by the test modules.

use shanshui::Catalog;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The bundled data folder.
pub fn geodata_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

/// The bundled catalog, loaded once per test run.
pub fn bundled() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::load(&geodata_dir()).expect("bundled data loads"))
}

/// A scratch dataset: a manifest with one layer `l` of `kind`, whose file
/// holds `geojson`.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn one_layer(kind: &str, geojson: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("layers.toml"),
            format!(
                r#"[dataset]
id = "scratch"
title = {{ zh = "测试", en = "Scratch" }}

[[layers]]
id = "l"
title = {{ zh = "层", en = "Layer" }}
file = "l.geojson"
geometry = "{kind}"
id_property = "id"
"#
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("l.geojson"), geojson).unwrap();
        Scratch { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The load error's text; panics if the data loads.
    pub fn error(&self) -> String {
        match Catalog::load(self.path()) {
            Ok(_) => panic!("expected the scratch data to be rejected"),
            Err(e) => e.to_string(),
        }
    }
}

/// A FeatureCollection of the given features (JSON texts).
pub fn collection(features: &[String]) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

/// A feature with id `id` and the given geometry JSON.
pub fn feature(id: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{{"id":"{id}"}},"geometry":{geometry}}}"#)
}

/// A square polygon geometry JSON, side `s` degrees, corner at (x, y).
pub fn square(x: f64, y: f64, s: f64) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]}}"#,
        x1 = x + s,
        y1 = y + s
    )
}

/// Server state over the bundled data, with the given settings.
pub fn fresh_state(config: shanshui::http::ServerConfig) -> shanshui::http::AppState {
    shanshui::http::AppState::new(
        Catalog::load(&geodata_dir()).unwrap(),
        config,
        shanshui::tile::TileOptions::default(),
        64 << 20,
    )
}

/// A router over one state that every in-process HTTP test shares (the
/// bundled catalog loaded once per run).
pub fn router() -> axum::Router {
    static STATE: OnceLock<shanshui::http::AppState> = OnceLock::new();
    shanshui::http::app(
        STATE
            .get_or_init(|| fresh_state(Default::default()))
            .clone(),
    )
}

/// A layer built in memory from geometries (ids `{id}-000`, …), zooms 0
/// to 14, past the loader's validation; geometries with no coordinates
/// are left out.
pub fn layer(
    id: &str,
    kind: shanshui::catalog::GeometryKind,
    geoms: Vec<geo::Geometry<f64>>,
) -> shanshui::Layer {
    let meta = shanshui::catalog::LayerMeta {
        id: id.into(),
        title: title(id),
        description: String::new(),
        file: format!("{id}.geojson"),
        geometry: kind,
        id_property: Some("id".into()),
        minzoom: 0,
        maxzoom: 14,
        attribution: String::new(),
        thin: Default::default(),
        edit: None,
        fields: Default::default(),
    };
    let features = geoms
        .into_iter()
        .enumerate()
        .filter_map(|(i, g)| {
            shanshui::Feature::new(
                id,
                format!("{id}-{i:03}"),
                g,
                shanshui::catalog::Properties::default(),
            )
        })
        .collect();
    shanshui::Layer::new(meta, features)
}

/// A dataset's description for catalogs built in memory.
pub fn dataset(id: &str) -> shanshui::catalog::DatasetMeta {
    shanshui::catalog::DatasetMeta {
        report: None,
        id: id.into(),
        title: title(id),
        attribution: String::new(),
    }
}

fn title(id: &str) -> shanshui::catalog::Title {
    shanshui::catalog::Title {
        zh: id.into(),
        en: id.into(),
    }
}

/// A server over the data folder `dir`, as `serve` makes it: live data
/// (reloads, and edits for the layers that take them) and the router.
pub fn serve_folder(dir: &Path) -> (std::sync::Arc<shanshui::reload::LiveCatalog>, axum::Router) {
    let live = std::sync::Arc::new(shanshui::reload::LiveCatalog::new(
        Catalog::load(dir).unwrap(),
        Some(dir.to_path_buf()),
    ));
    let state = shanshui::http::AppState::serving(
        std::sync::Arc::clone(&live),
        shanshui::http::ServerConfig::default(),
        shanshui::tile::TileOptions::default(),
        16 << 20,
    );
    (live, shanshui::http::app(state))
}
