//! `GET /report?month=2026-11`: the monthly report over HTTP, as JSON or,
//! with `f=csv` (or `Accept: text/csv`), as CSV for a spreadsheet; the
//! month defaults to the current one (UTC). See [`crate::edit::report`].

use super::features::{respond, Params, JSON};
use super::{ApiError, AppState};
use crate::edit::report::{monthly, ReportError};
use crate::time::Month;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

/// `GET /report`.
pub async fn report(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::new(query, &["month", "f"])?;
    let csv = match params.get("f") {
        Some("csv") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "`f` must be json or csv, not `{other}`"
            )))
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
    };
    let month = match params.get("month") {
        Some(m) => Month::parse(m).map_err(ApiError::BadRequest)?,
        None => Month::of(std::time::SystemTime::now()),
    };
    let Some(dir) = state.live().dir().map(std::path::Path::to_path_buf) else {
        return Err(ApiError::NotFound(
            "this server's data was not loaded from a folder, so it has no journal to report on"
                .into(),
        ));
    };
    let live = std::sync::Arc::clone(state.live());
    let report = super::work::blocking(&state, move || {
        let _writing = live.writing();
        let catalog = live.catalog();
        monthly(&catalog, &dir, month).map_err(|e| match e {
            ReportError::NotSetUp | ReportError::NoLayer(_) => ApiError::NotFound(e.to_string()),
            ReportError::Journal(_) => ApiError::Internal(e.to_string()),
        })
    })
    .await?;
    if csv {
        let mut r = report.csv().into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!(
            "attachment; filename=\"{}-{}.csv\"",
            report.layer, report.month
        )) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(r);
    }
    let body = serde_json::to_value(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(respond(JSON, &body, None))
}
