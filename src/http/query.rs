//! `/query/...`: the planner's questions over HTTP — the same core
//! functions as the command line, answered as GeoJSON (the default) or CSV
//! (`f=csv` or `Accept: text/csv`), with `limit`/`offset` paging.
//!
//! - `GET /query/within?layer=L&zone=layer/id[&partly=true]`, or `POST`
//!   with a GeoJSON geometry (or feature) as the zone in the body;
//! - `GET /query/at?lon=X&lat=Y[&layers=a,b][&tolerance=M]`;
//! - `GET /query/nearest?layer=L&lon=X&lat=Y[&k=5]`;
//! - `GET /query/near?layer=L&distance=M&(lon=X&lat=Y|of=layer/id)`, or
//!   `POST` with a GeoJSON geometry in the body.

use super::{ApiError, AppState};
use crate::catalog::Catalog;
use crate::query::{self, output, Hit, Target};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Answers per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 1_000;

type Params = HashMap<String, String>;

/// `GET /query/within`.
pub async fn within_get(
    State(state): State<AppState>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    allow(&p, &["layer", "zone", "partly"])?;
    let zone = required(&p, "zone")?.to_string();
    answer(state, p, headers, move |c, p| {
        let zone = Target::parse(c, &zone)?;
        Ok(query::within(
            c,
            required(p, "layer")?,
            &zone,
            flag(p, "partly")?,
        )?)
    })
    .await
}

/// `POST /query/within` with the zone as GeoJSON in the body.
pub async fn within_post(
    State(state): State<AppState>,
    Query(p): Query<Params>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    allow(&p, &["layer", "partly"])?;
    let zone = body_target(&state, body)?;
    answer(state, p, headers, move |c, p| {
        Ok(query::within(
            c,
            required(p, "layer")?,
            &zone,
            flag(p, "partly")?,
        )?)
    })
    .await
}

/// `GET /query/at`.
pub async fn at(
    State(state): State<AppState>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    allow(&p, &["lon", "lat", "layers", "tolerance"])?;
    answer(state, p, headers, |c, p| {
        let layers: Vec<String> = p
            .get("layers")
            .map(|l| {
                l.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let tolerance = optional_number(p, "tolerance")?.unwrap_or(0.0);
        Ok(query::at(
            c,
            number(p, "lon")?,
            number(p, "lat")?,
            &layers,
            tolerance,
        )?)
    })
    .await
}

/// `GET /query/nearest`.
pub async fn nearest(
    State(state): State<AppState>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    allow(&p, &["layer", "lon", "lat", "k"])?;
    answer(state, p, headers, |c, p| {
        let k = match p.get("k") {
            None => 5,
            Some(v) => v.parse::<usize>().map_err(|_| {
                ApiError::BadRequest(format!("k must be a whole number of features, not `{v}`"))
            })?,
        };
        Ok(query::nearest(
            c,
            required(p, "layer")?,
            number(p, "lon")?,
            number(p, "lat")?,
            k,
        )?)
    })
    .await
}

/// `GET /query/near`.
pub async fn near_get(
    State(state): State<AppState>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    allow(&p, &["layer", "distance", "lon", "lat", "of"])?;
    answer(state, p, headers, |c, p| {
        let from = match (p.get("of"), p.contains_key("lon") || p.contains_key("lat")) {
            (Some(_), true) => {
                return Err(ApiError::BadRequest(
                    "give either `of` or `lon` and `lat`, not both".into(),
                ))
            }
            (Some(of), false) => Target::parse(c, of)?,
            (None, true) => Target::point(number(p, "lon")?, number(p, "lat")?)?,
            (None, false) => {
                return Err(ApiError::BadRequest(
                    "say where from: `lon` and `lat`, or `of=layer/id`".into(),
                ))
            }
        };
        Ok(query::near(
            c,
            required(p, "layer")?,
            &from,
            number(p, "distance")?,
        )?)
    })
    .await
}

/// `POST /query/near` with the target as GeoJSON in the body.
pub async fn near_post(
    State(state): State<AppState>,
    Query(p): Query<Params>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    allow(&p, &["layer", "distance"])?;
    let from = body_target(&state, body)?;
    answer(state, p, headers, move |c, p| {
        Ok(query::near(
            c,
            required(p, "layer")?,
            &from,
            number(p, "distance")?,
        )?)
    })
    .await
}

/// Runs a question off the executor, pages it and writes it out.
async fn answer<F>(
    state: AppState,
    p: Params,
    headers: HeaderMap,
    ask: F,
) -> Result<Response, ApiError>
where
    F: for<'c> FnOnce(&'c Catalog, &Params) -> Result<Vec<Hit<'c>>, ApiError> + Send + 'static,
{
    let csv = wants_csv(&p, &headers)?;
    let (limit, offset) = paging(&p, state.config().max_features)?;
    let task_state = state.clone();
    let body = super::work::blocking(
        &state,
        move || -> Result<(String, &'static str), ApiError> {
            let catalog = task_state.catalog_at(p.get("as-of").map(String::as_str))?;
            let mut page = ask(&catalog, &p)?;
            let matched = page.len();
            page.drain(..offset.min(matched));
            page.truncate(limit);
            if csv {
                // A byte-order mark, so that spreadsheet programs read the
                // Chinese names as UTF-8.
                let mut text = String::from("\u{feff}");
                output::csv_into(&mut text, &page);
                Ok((text, "text/csv; charset=utf-8"))
            } else {
                let mut fc = serde_json::to_value(output::geojson(&page))
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                if let Value::Object(m) = &mut fc {
                    m.insert("numberMatched".into(), json!(matched));
                    m.insert("numberReturned".into(), json!(page.len()));
                    if offset + page.len() < matched {
                        m.insert("next_offset".into(), json!(offset + page.len()));
                    }
                }
                Ok((fc.to_string(), "application/geo+json"))
            }
        },
    )
    .await?;
    let mut r = body.0.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(body.1));
    Ok(r)
}

/// The names a question takes besides `f`, `limit` and `offset`; anything
/// else is a mistake worth telling.
fn allow(p: &Params, names: &[&str]) -> Result<(), ApiError> {
    for key in p.keys() {
        if !names.contains(&key.as_str())
            && !["f", "limit", "offset", "as-of"].contains(&key.as_str())
        {
            return Err(ApiError::BadRequest(format!(
                "unknown parameter `{key}`; this question takes: {}, f, limit, offset, as-of",
                names.join(", ")
            )));
        }
    }
    Ok(())
}

fn required<'p>(p: &'p Params, name: &str) -> Result<&'p str, ApiError> {
    p.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::BadRequest(format!("parameter `{name}` is required")))
}

fn number(p: &Params, name: &str) -> Result<f64, ApiError> {
    optional_number(p, name)?
        .ok_or_else(|| ApiError::BadRequest(format!("parameter `{name}` is required")))
}

fn optional_number(p: &Params, name: &str) -> Result<Option<f64>, ApiError> {
    match p.get(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest(format!("`{name}` must be a number, not `{v}`"))),
    }
}

fn flag(p: &Params, name: &str) -> Result<bool, ApiError> {
    match p.get(name).map(String::as_str) {
        None | Some("false") | Some("0") => Ok(false),
        Some("") | Some("true") | Some("1") => Ok(true),
        Some(v) => Err(ApiError::BadRequest(format!(
            "`{name}` must be true or false, not `{v}`"
        ))),
    }
}

fn paging(p: &Params, max: usize) -> Result<(usize, usize), ApiError> {
    let whole = |name: &str, default: usize| -> Result<usize, ApiError> {
        match p.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<usize>().map_err(|_| {
                ApiError::BadRequest(format!(
                    "`{name}` must be a whole number 0 or more, not `{v}`"
                ))
            }),
        }
    };
    let limit = whole("limit", DEFAULT_LIMIT)?;
    if limit == 0 || limit > max {
        return Err(ApiError::OverLimit {
            limit: "max-features",
            message: format!(
                "`limit` must be between 1 and {max} (--max-features); page with `offset`"
            ),
        });
    }
    Ok((limit, whole("offset", 0)?))
}

/// CSV when `f=csv` or when `Accept` names `text/csv` (and `f` is absent).
fn wants_csv(p: &Params, headers: &HeaderMap) -> Result<bool, ApiError> {
    match p.get("f").map(String::as_str) {
        Some("csv") => Ok(true),
        Some("json") | Some("geojson") => Ok(false),
        Some(other) => Err(ApiError::BadRequest(format!(
            "`f` must be geojson, json or csv, not `{other}`"
        ))),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"))),
    }
}

/// The POSTed geometry, within the server's limits on bytes and vertices.
fn body_target(state: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Target, ApiError> {
    let limits = state.config();
    let value = body_json(state, body, "the geometry as GeoJSON")?;
    // Counted before the geometry is built and validated, which cost more
    // with every vertex.
    let vertices = positions(&value);
    if vertices > limits.max_vertices {
        return Err(ApiError::TooLarge {
            limit: "max-vertices",
            message: format!(
                "the geometry has {vertices} vertices; the server takes at most {} \
                 (--max-vertices): simplify it first",
                limits.max_vertices
            ),
        });
    }
    Ok(Target::from_geojson(&value)?)
}

/// A request's body as JSON, within the server's limit on bytes; `what`
/// says what the body should hold.
pub(super) fn body_json(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
    what: &str,
) -> Result<Value, ApiError> {
    let limits = state.config();
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge {
                limit: "max-body-bytes",
                message: format!(
                    "the body is larger than the server takes, {} bytes (--max-body-bytes); \
                     simplify the geometry or send fewer vertices",
                    limits.max_body_bytes
                ),
            }
        } else {
            ApiError::BadRequest(format!("the body could not be read: {}", e.body_text()))
        }
    })?;
    if body.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "the body is empty; send {what}"
        )));
    }
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))
}

/// The positions (arrays of numbers) anywhere in a JSON document: the
/// vertices of any GeoJSON in it.
pub(super) fn positions(v: &Value) -> usize {
    match v {
        Value::Array(items) if items.first().is_some_and(Value::is_number) => 1,
        Value::Array(items) => items.iter().map(positions).sum(),
        Value::Object(m) => m.values().map(positions).sum(),
        _ => 0,
    }
}
