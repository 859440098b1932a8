//! TileJSON 3.0.0 (`/tiles.json`, `/tiles/{layer}.json`), the layer
//! catalog (`/catalog`) and liveness (`/health`).
//! Spec: <https://github.com/mapbox/tilejson-spec/tree/master/3.0.0>.

use super::error::ApiPath;
use super::{ApiError, AppState};
use crate::catalog::Layer;
use crate::tile::tilejson::{bounds_array, fields, tilejson};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// TileJSON for all layers in one tileset.
pub async fn tilejson_all(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let catalog = state.catalog();
    let base = base_url(&state, &headers);
    let layers: Vec<&Layer> = catalog.layers().iter().map(|l| &**l).collect();
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
    ApiPath(file): ApiPath<String>,
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
            catalog.layer_ids()
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
    let edits = state.editing().is_some();
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
                "features": l.len(),
                "minzoom": l.meta.minzoom,
                "maxzoom": l.meta.maxzoom,
                "bounds": l.bounds().map(bounds_array),
                "attribution": l.meta.attribution,
                "fields": fields(l),
                "editable": edits && l.meta.edit.is_some(),
                "rules": l.meta.fields,
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
    let reload = state.live().status();
    Json(json!({
        // "degraded": the files on disk failed to load at the last try,
        // and the last good data is being served.
        "status": if reload.failing { "degraded" } else { "ok" },
        "dataset": catalog.dataset.id,
        "version": catalog.version(),
        "loaded_at": crate::time::rfc3339(reload.loaded_at),
        "layers": catalog.layers().len(),
        "features": catalog.layers().iter().map(|l| l.len()).sum::<usize>(),
        "reloads": reload.reloads,
        "edits": reload.edits,
        "reload_failures": reload.failures,
        "last_reload_error": reload.last_error.map(|(at, message)| json!({
            "at": crate::time::rfc3339(at),
            "message": message,
        })),
        "tile_cache": { "tiles": tiles.cache().len(), "bytes": tiles.cache().bytes() },
    }))
}

fn cached_json(doc: Value, state: &AppState) -> Response {
    let mut r = Json(doc).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, state.cache_control().clone());
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
