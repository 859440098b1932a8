//! TileJSON 3.0.0 (`/tiles.json`, `/tiles/{layer}.json`), the layer
//! catalog (`/catalog`) and liveness (`/health`).
//! Spec: <https://github.com/mapbox/tilejson-spec/tree/master/3.0.0>.

use super::{ApiError, AppState};
use crate::catalog::{rect_union, Catalog, Layer};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo::Rect;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// TileJSON for all layers in one tileset.
pub async fn tilejson_all(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let catalog = state.catalog();
    let base = base_url(&state, &headers);
    let layers: Vec<&Layer> = catalog.layers().iter().collect();
    let doc = tilejson(
        &catalog,
        &layers,
        &format!("{base}/tiles/{{z}}/{{x}}/{{y}}.mvt"),
        &catalog.dataset.title.en,
    );
    cached_json(doc, &state)
}

/// TileJSON for one layer: `/tiles/{layer}.json`.
pub async fn tilejson_layer(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(id) = file.strip_suffix(".json") else {
        return Err(ApiError::NotFound(format!(
            "no resource /tiles/{file}; a layer's TileJSON is /tiles/{{layer}}.json"
        )));
    };
    let catalog = state.catalog();
    let layer = catalog.layer(id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no layer `{id}`; the layers are: {}",
            layer_ids(&catalog)
        ))
    })?;
    let base = base_url(&state, &headers);
    let doc = tilejson(
        &catalog,
        &[layer],
        &format!("{base}/tiles/{id}/{{z}}/{{x}}/{{y}}.mvt"),
        &layer.meta.title.en,
    );
    Ok(cached_json(doc, &state))
}

/// The layers: ids, titles, geometry, counts, zooms, bounds, fields, links.
pub async fn catalog(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let catalog = state.catalog();
    let base = base_url(&state, &headers);
    let layers: Vec<Value> = catalog
        .layers()
        .iter()
        .map(|l| {
            json!({
                "id": l.id(),
                "title": l.meta.title,
                "description": l.meta.description,
                "geometry": l.meta.geometry,
                "features": l.features.len(),
                "minzoom": l.meta.minzoom,
                "maxzoom": l.meta.maxzoom,
                "bounds": l.bounds().map(bounds_array),
                "attribution": l.meta.attribution,
                "fields": fields(l),
                "tilejson": format!("{base}/tiles/{}.json", l.id()),
                "tiles": format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", l.id()),
            })
        })
        .collect();
    Json(json!({
        "dataset": {
            "id": catalog.dataset.id,
            "title": catalog.dataset.title,
            "attribution": catalog.dataset.attribution,
        },
        "version": catalog.version(),
        "tilejson": format!("{base}/tiles.json"),
        "layers": layers,
    }))
}

/// Liveness, with the data's version.
pub async fn health(State(state): State<AppState>) -> Json<Value> {
    let catalog = state.catalog();
    let tiles = state.tiles();
    Json(json!({
        "status": "ok",
        "dataset": catalog.dataset.id,
        "version": catalog.version(),
        "layers": catalog.layers().len(),
        "features": catalog.layers().iter().map(|l| l.features.len()).sum::<usize>(),
        "tile_cache": { "tiles": tiles.cache().len(), "bytes": tiles.cache().bytes() },
    }))
}

fn tilejson(catalog: &Catalog, layers: &[&Layer], tiles_url: &str, name: &str) -> Value {
    let bounds = layers
        .iter()
        .filter_map(|l| l.bounds())
        .reduce(rect_union)
        .map(bounds_array)
        .unwrap_or([-180.0, -85.051_128_78, 180.0, 85.051_128_78]);
    let minzoom = layers.iter().map(|l| l.meta.minzoom).min().unwrap_or(0);
    let maxzoom = layers.iter().map(|l| l.meta.maxzoom).max().unwrap_or(14);
    let width = (bounds[2] - bounds[0]).max(bounds[3] - bounds[1]).max(1e-6);
    let fit = (360.0 / width).log2().floor().clamp(0.0, 22.0) as u8 + 1;
    let center = [
        round6((bounds[0] + bounds[2]) / 2.0),
        round6((bounds[1] + bounds[3]) / 2.0),
        f64::from(fit.clamp(minzoom, maxzoom)),
    ];
    // Each source named once, though several layers share it.
    let mut attribution: Vec<&str> = Vec::new();
    for part in layers.iter().flat_map(|l| l.meta.attribution.split("; ")) {
        let part = part.trim();
        if !part.is_empty() && !attribution.contains(&part) {
            attribution.push(part);
        }
    }
    let vector_layers: Vec<Value> = layers
        .iter()
        .map(|l| {
            json!({
                "id": l.id(),
                "description": l.meta.description,
                "minzoom": l.meta.minzoom,
                "maxzoom": l.meta.maxzoom,
                "fields": fields(l),
            })
        })
        .collect();
    json!({
        "tilejson": "3.0.0",
        "name": name,
        "description": catalog.dataset.title.zh,
        "version": "1.0.0",
        "attribution": attribution.join("; "),
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": center,
        "vector_layers": vector_layers,
    })
}

/// Each property a layer's features carry, with its type as TileJSON
/// tools expect: `String`, `Number`, `Boolean`, or `Mixed`.
fn fields(layer: &Layer) -> Map<String, Value> {
    let mut types: BTreeMap<&str, &str> = BTreeMap::new();
    for f in &layer.features {
        for (k, v) in &f.properties {
            let t = match v {
                Value::Null => continue,
                Value::Bool(_) => "Boolean",
                Value::Number(_) => "Number",
                _ => "String",
            };
            types
                .entry(k)
                .and_modify(|seen| {
                    if *seen != t {
                        *seen = "Mixed";
                    }
                })
                .or_insert(t);
        }
    }
    types
        .into_iter()
        .map(|(k, t)| (k.to_string(), Value::from(t)))
        .collect()
}

fn cached_json(doc: Value, state: &AppState) -> Response {
    let mut r = Json(doc).into_response();
    if let Ok(v) = HeaderValue::from_str(&state.config().cache_control) {
        r.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    r
}

/// The URL clients reach us at: `--public-url`, else the request's host
/// (and `X-Forwarded-Proto`, when a proxy sets it).
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config().public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

fn layer_ids(catalog: &Catalog) -> String {
    catalog
        .layers()
        .iter()
        .map(|l| l.id())
        .collect::<Vec<_>>()
        .join(", ")
}

fn bounds_array(r: Rect<f64>) -> [f64; 4] {
    [
        round6(r.min().x),
        round6(r.min().y),
        round6(r.max().x),
        round6(r.max().y),
    ]
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
