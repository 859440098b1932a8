//! OGC API Features Part 4 (Create, Replace, Update, Delete) on the layers
//! that take edits: `POST /collections/{id}/items`, and `PUT`, `PATCH`
//! (JSON Merge Patch) and `DELETE` on `/collections/{id}/items/{fid}`,
//! with `OPTIONS` on both saying which methods a resource takes (QGIS
//! decides from `Allow` whether a layer is editable). Each write needs a
//! key ([`crate::keys`]) and goes through the one writer
//! ([`crate::edit::Writer`]); it is answered only once it is durable.
//! Spec: <https://docs.ogc.org/DRAFTS/20-002r1.html>.

use super::error::ApiPath;
use super::features::{GEOJSON, JSON};
use super::tilejson::base_url;
use super::{ApiError, AppState};
use crate::edit::{Applied, Change, Edit};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// `Allow` of a resource that takes no edits.
pub const READ_ONLY: &str = "GET, HEAD, OPTIONS";
/// `Allow` of an editable layer's items.
const ITEMS_EDITABLE: &str = "GET, HEAD, POST, OPTIONS";
/// `Allow` of a feature of an editable layer.
const ITEM_EDITABLE: &str = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS";

/// JSON Merge Patch (RFC 7396).
pub const MERGE_PATCH: &str = "application/merge-patch+json";

/// Whether the layer `id` exists and takes edits here.
fn editable(state: &AppState, id: &str) -> Result<bool, ApiError> {
    let catalog = state.catalog();
    let layer = catalog.layer(id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no collection `{id}`; the collections are: {}",
            catalog.layer_ids()
        ))
    })?;
    Ok(layer.meta.edit.is_some() && state.editing().is_some())
}

fn allow(value: &'static str) -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::ALLOW, HeaderValue::from_static(value))],
    )
        .into_response()
}

/// `OPTIONS /collections/{id}/items`.
pub async fn options_items(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    Ok(allow(if editable(&state, &id)? {
        ITEMS_EDITABLE
    } else {
        READ_ONLY
    }))
}

/// `OPTIONS /collections/{id}/items/{fid}`.
pub async fn options_item(
    State(state): State<AppState>,
    ApiPath((id, fid)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let editable = editable(&state, &id)?;
    if state
        .catalog()
        .layer(&id)
        .and_then(|l| l.feature(&fid))
        .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "collection `{id}` has no feature `{fid}`"
        )));
    }
    Ok(allow(if editable { ITEM_EDITABLE } else { READ_ONLY }))
}

/// `POST /collections/{id}/items`: a new feature; `201` with its URL in
/// `Location`.
pub async fn create(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(&state, &headers, body, &[GEOJSON, JSON])?;
    let applied = write(&state, &headers, &id, Change::Create(body)).await?;
    let location = format!(
        "{}/collections/{id}/items/{}",
        base_url(&state, &headers),
        super::features::params::encode_component(&applied.id)
    );
    let mut r = answer(StatusCode::CREATED, &applied);
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// `PUT /collections/{id}/items/{fid}`: the feature replaced whole.
pub async fn replace(
    State(state): State<AppState>,
    ApiPath((id, fid)): ApiPath<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let feature = json_body(&state, &headers, body, &[GEOJSON, JSON])?;
    let applied = write(&state, &headers, &id, Change::Replace { id: fid, feature }).await?;
    Ok(answer(StatusCode::OK, &applied))
}

/// `PATCH /collections/{id}/items/{fid}`: the members a JSON Merge Patch
/// gives set, those it gives as `null` removed.
pub async fn update(
    State(state): State<AppState>,
    ApiPath((id, fid)): ApiPath<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let patch = json_body(&state, &headers, body, &[MERGE_PATCH, JSON])?;
    let applied = write(&state, &headers, &id, Change::Update { id: fid, patch }).await?;
    Ok(answer(StatusCode::OK, &applied))
}

/// `DELETE /collections/{id}/items/{fid}`: `204`.
pub async fn delete(
    State(state): State<AppState>,
    ApiPath((id, fid)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let applied = write(&state, &headers, &id, Change::Delete { id: fid }).await?;
    Ok(answer(StatusCode::NO_CONTENT, &applied))
}

/// `GET /collections/{id}/items/{fid}/history`: the feature's versions,
/// oldest first: time, key, what the edit did and changed, and the
/// feature after it. A deleted feature's history is still there.
pub async fn history(
    State(state): State<AppState>,
    ApiPath((id, fid)): ApiPath<(String, String)>,
    query: Result<
        axum::extract::Query<Vec<(String, String)>>,
        axum::extract::rejection::QueryRejection,
    >,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = super::features::Params::new(query, &["f"])?;
    let media = params.format(&[("json", JSON)], JSON)?;
    let catalog = state.catalog();
    let layer = catalog.layer(&id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no collection `{id}`; the collections are: {}",
            catalog.layer_ids()
        ))
    })?;
    let current = layer.feature(&fid).map(|f| f.to_geojson());
    let records = match state.live().dir() {
        Some(dir) => {
            let file = crate::edit::data_root(dir).join(&layer.meta.file);
            let live = std::sync::Arc::clone(state.live());
            super::work::blocking(&state, move || {
                let _writing = live.writing();
                crate::edit::history::records(&file).map_err(|e| {
                    ApiError::Internal(format!("the history of {}: {e}", file.display()))
                })
            })
            .await?
        }
        None => Vec::new(),
    };
    let mut versions = crate::edit::history::versions(&records, &fid);
    if versions.is_empty() {
        let Some(f) = current else {
            return Err(ApiError::NotFound(format!(
                "collection `{id}` has no feature `{fid}`, and never had"
            )));
        };
        versions.push(crate::edit::history::Version {
            seq: None,
            time: None,
            key: None,
            op: "loaded".into(),
            changed: Vec::new(),
            etag: Some(crate::catalog::etag_of(&f)),
            feature: Some(f),
        });
    }
    let base = base_url(&state, &headers);
    let item = format!(
        "{base}/collections/{id}/items/{}",
        super::features::params::encode_component(&fid)
    );
    let links = vec![
        super::features::link(
            &format!("{item}/history"),
            "self",
            JSON,
            "This feature's versions",
        ),
        super::features::link(&item, "related", GEOJSON, "The feature now"),
    ];
    let body = serde_json::json!({
        "collection": id,
        "id": fid,
        "versions": versions,
        "links": links,
    });
    Ok(super::features::respond(media, &body, Some(&links)))
}

/// Checks the key and applies the change, off the async threads (the
/// journal's fsync and, for a key not seen before, Argon2 take
/// milliseconds). Once started it runs to the end even if the client
/// leaves: an edit is never left half made.
async fn write(
    state: &AppState,
    headers: &HeaderMap,
    layer: &str,
    change: Change,
) -> Result<Applied, ApiError> {
    if !editable(state, layer)? {
        return Err(ApiError::MethodNotAllowed {
            message: format!(
                "collection `{layer}` takes no edits (layers.toml gives it no `[layers.edit]` table)"
            ),
            allow: READ_ONLY,
        });
    }
    let Some((writer, keys)) = state.editing() else {
        return Err(crate::edit::EditError::NoFolder.into());
    };
    let (writer, keys) = (writer.clone(), keys.clone());
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (authorization, if_match) = (text(header::AUTHORIZATION), text(header::IF_MATCH));
    let layer = layer.to_string();
    tokio::task::spawn_blocking(move || {
        let key = keys.authorize(authorization.as_deref(), &layer)?;
        Ok(writer.apply(Edit {
            layer,
            change,
            if_match,
            key,
        })?)
    })
    .await?
}

/// The answer to an applied edit: the feature as it now stands with its
/// ETag, or nothing after a delete.
fn answer(status: StatusCode, applied: &Applied) -> Response {
    let mut r = match &applied.feature {
        Some(f) if status != StatusCode::NO_CONTENT => (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))],
            f.to_string(),
        )
            .into_response(),
        _ => status.into_response(),
    };
    if let Some(v) = applied
        .etag
        .as_deref()
        .and_then(|e| HeaderValue::from_str(e).ok())
    {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// The request's body as JSON, of one of the media types `takes`.
fn json_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    takes: &[&str],
) -> Result<Value, ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match media {
        Some(m) if takes.contains(&m.as_str()) => {}
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "the body's Content-Type is {}; send one of: {}",
                other.map_or("missing".to_string(), |m| format!("`{m}`")),
                takes.join(", ")
            )))
        }
    }
    let value = super::query::body_json(state, body, "the feature as GeoJSON")?;
    let vertices = super::query::positions(&value);
    let limit = state.config().max_vertices;
    if vertices > limit {
        return Err(ApiError::TooLarge {
            limit: "max-vertices",
            message: format!(
                "the feature has {vertices} vertices; the server takes at most {limit} (--max-vertices): simplify it first"
            ),
        });
    }
    Ok(value)
}
