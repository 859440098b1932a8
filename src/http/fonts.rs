//! `/fonts/{fontstack}/{range}.pbf`: the SDF glyphs MapLibre draws label
//! text with (the `glyphs` URL of the styles in `styles/`), rendered from
//! the bundled fonts by [`crate::glyphs`].

use super::error::ApiPath;
use super::{ApiError, AppState};
use crate::glyphs::{FontLibrary, GlyphError};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

impl From<GlyphError> for ApiError {
    fn from(e: GlyphError) -> Self {
        match e {
            GlyphError::UnknownFont { .. } => ApiError::NotFound(e.to_string()),
            GlyphError::MalformedRange(_) => ApiError::BadRequest(e.to_string()),
            GlyphError::BadFont { .. } => ApiError::Internal(e.to_string()),
        }
    }
}

/// One range of glyphs for a fontstack, as `application/x-protobuf`.
/// Ranges the fonts have no glyphs in answer a valid, empty PBF.
pub async fn glyphs(
    State(state): State<AppState>,
    ApiPath((fontstack, file)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let library = FontLibrary::bundled();
    library.check_stack(&fontstack)?;
    let Some(range) = file.strip_suffix(".pbf") else {
        return Err(GlyphError::MalformedRange(file).into());
    };
    let range = range.to_string();
    // Rendering a range takes milliseconds the first time: off the executor.
    let bytes =
        tokio::task::spawn_blocking(move || library.range_pbf(&fontstack, &range)).await??;
    let mut r = bytes.as_ref().clone().into_response();
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-protobuf"),
    );
    headers.insert(header::CACHE_CONTROL, state.cache_control().clone());
    Ok(r)
}

/// `/fonts.json`: the fontstacks served.
pub async fn list() -> Json<Value> {
    Json(json!(FontLibrary::bundled().names().collect::<Vec<_>>()))
}
