//! `/tiles/{z}/{x}/{y}.mvt` and `/tiles/{layer}/{z}/{x}/{y}.mvt`: vector
//! tiles with gzip, strong ETags and 304s, 204 for an empty tile.

use super::error::ApiPath;
use super::{ApiError, AppState};
use crate::cache::CachedTile;
use crate::tile::{TileCoord, TileError};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// The composite tile route, as the router and the metrics name it.
pub(super) const TILE_ROUTE: &str = "/tiles/{z}/{x}/{y}";
/// The media type of Mapbox Vector Tiles.
pub const MVT_MEDIA_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// All layers, or those named by `?layers=a,b`.
pub async fn tile_all(
    State(state): State<AppState>,
    ApiPath((z, x, y)): ApiPath<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let layers = query.get("layers").map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    });
    if layers.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::BadRequest(
            "`layers` is empty; name one or more layers, comma-separated, or leave it out for all"
                .into(),
        ));
    }
    serve(state, &z, &x, &y, layers, &headers).await
}

/// One layer.
pub async fn tile_layer(
    State(state): State<AppState>,
    ApiPath((layer, z, x, y)): ApiPath<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(state, &z, &x, &y, Some(vec![layer]), &headers).await
}

async fn serve(
    state: AppState,
    z: &str,
    x: &str,
    y: &str,
    layers: Option<Vec<String>>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let y = strip_extension(y)?;
    let coord = TileCoord::from_parts(z.trim(), x.trim(), y.trim())?;
    let catalog = state.catalog();
    let tiles = state.tiles();
    // A cached tile is answered here; only a miss goes to the blocking
    // pool to be rendered.
    if let Some(tile) = tiles.cached(&catalog, coord, layers.as_deref())? {
        return Ok(respond(&tile, headers, state.cache_control()));
    }
    // A miss takes a render slot at once (past `--max-renders` it is a
    // 503), then waits its turn for a render thread, first come first
    // served: 64 cold requests are then 64 futures queued, not 64 threads
    // sharing two cores, so tiles come out in order and each takes its
    // own time.
    let slot = tiles.renders().try_take().ok_or(TileError::Busy {
        max: tiles.renders().max(),
    })?;
    let takes_gzip = accepts_gzip(headers);
    let fetched = super::work::render(&state, move || {
        let _slot = slot;
        Ok(tiles.fetch_in_slot(&catalog, coord, layers.as_deref(), takes_gzip)?)
    })
    .await?;
    if let Some(took) = fetched.rendered {
        state.metrics().rendered(took);
    }
    let tile = fetched.tile;
    Ok(respond(&tile, headers, state.cache_control()))
}

/// The row without its `.mvt`; any other extension is a 404.
fn strip_extension(y: &str) -> Result<&str, ApiError> {
    match y.rsplit_once('.') {
        Some((row, "mvt")) => Ok(row),
        Some((_, ext)) => Err(ApiError::NotFound(format!(
            "unknown tile format `.{ext}`; tiles are served as .mvt (Mapbox Vector Tile)"
        ))),
        None => Err(ApiError::NotFound(format!(
            "tile paths end in .mvt: /tiles/{{z}}/{{x}}/{y}.mvt"
        ))),
    }
}

pub(super) fn respond(
    tile: &CachedTile,
    headers: &HeaderMap,
    cache_control: &HeaderValue,
) -> Response {
    let cache_control = cache_control.clone();
    if tile.raw.is_empty() {
        return (
            StatusCode::NO_CONTENT,
            [(header::CACHE_CONTROL, cache_control)],
        )
            .into_response();
    }
    // A tile made without gzip (cache off, for a client that did not take
    // it) answers plainly whoever comes to share it.
    let gzip = accepts_gzip(headers) && !tile.gzip.is_empty();
    // Made once, with the tile: no formatting or copying per request.
    let quoted = if gzip { &tile.etag_gzip } else { &tile.etag };
    let etag = HeaderValue::from_maybe_shared(quoted.clone())
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let vary = HeaderValue::from_static("Accept-Encoding");
    if none_match(headers, &etag) {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache_control),
                (header::VARY, vary),
            ],
        )
            .into_response();
    }
    let mut response = if gzip {
        let mut r = Body::from(tile.gzip.clone()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        Body::from(tile.raw.clone()).into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(MVT_MEDIA_TYPE),
    );
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, cache_control);
    h.insert(header::VARY, vary);
    response
}

/// Whether `Accept-Encoding` admits gzip (with a non-zero q).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && q > 0.0
        })
}

/// Whether `If-None-Match` names this entity tag (weak comparison, as
/// RFC 9110 §13.1.2 asks for this header) or is `*`.
fn none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or("");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip(&headers(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br"
        )));
        assert!(accepts_gzip(&headers(
            header::ACCEPT_ENCODING,
            "br;q=1.0, gzip;q=0.8"
        )));
        assert!(!accepts_gzip(&headers(header::ACCEPT_ENCODING, "gzip;q=0")));
        assert!(!accepts_gzip(&headers(header::ACCEPT_ENCODING, "identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let tag = HeaderValue::from_static("\"abc\"");
        assert!(none_match(
            &headers(header::IF_NONE_MATCH, "\"x\", \"abc\""),
            &tag
        ));
        assert!(none_match(
            &headers(header::IF_NONE_MATCH, "W/\"abc\""),
            &tag
        ));
        assert!(none_match(&headers(header::IF_NONE_MATCH, "*"), &tag));
        assert!(!none_match(
            &headers(header::IF_NONE_MATCH, "\"abd\""),
            &tag
        ));
    }
}
