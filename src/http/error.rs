//! Errors as HTTP responses, in one place: a client's mistake is a 4xx
//! with a JSON body that says what to fix; a server fault is logged once
//! and answered 500 without internals.

use crate::limits::Stopped;
use crate::query::{CqlError, QueryError};
use crate::tile::TileError;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Path parameters, like axum's `Path`, but a path that cannot be read (bad
/// percent-encoding, text that is not UTF-8) is answered as every other
/// client error: 400 with a JSON body.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(t)) => Ok(ApiPath(t)),
            Err(e) => Err(ApiError::BadRequest(format!(
                "{}; percent-encode the path as UTF-8",
                e.body_text()
            ))),
        }
    }
}

/// Marks a response refused at a limit, for the metrics: the flag that
/// sets the limit.
#[derive(Debug, Clone, Copy)]
pub struct RefusedAt(pub &'static str);

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400: the request is malformed or out of range.
    BadRequest(String),
    /// 404: no such resource.
    NotFound(String),
    /// 400 at one of the server's limits (a filter too long or too deep).
    OverLimit {
        /// The flag that sets the limit.
        limit: &'static str,
        /// What limit, and how to get under it.
        message: String,
    },
    /// 413: the request body, or the geometry in it, is larger than the
    /// server takes.
    TooLarge {
        /// The flag that sets the limit.
        limit: &'static str,
        /// What limit, and how to get under it.
        message: String,
    },
    /// 503: the server is at a limit (busy, or the request ran past its
    /// deadline); `retry_after` seconds, when trying again soon can help.
    Unavailable {
        /// The flag that sets the limit.
        limit: &'static str,
        /// What limit, and how to get past it.
        message: String,
        /// Seconds for the `Retry-After` header.
        retry_after: Option<u32>,
    },
    /// 500: our fault; the detail is logged, not sent.
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::OverLimit { .. } => StatusCode::BAD_REQUEST,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (mut retry, mut refused) = (None, None);
        let message = match self {
            ApiError::BadRequest(m) | ApiError::NotFound(m) => m,
            ApiError::OverLimit { limit, message } | ApiError::TooLarge { limit, message } => {
                refused = Some(limit);
                message
            }
            ApiError::Unavailable {
                limit,
                message,
                retry_after,
            } => {
                (retry, refused) = (retry_after, Some(limit));
                message
            }
            ApiError::Internal(detail) => {
                tracing::error!("internal error: {detail}");
                "internal error; the server's log has the detail".to_string()
            }
        };
        let body = json!({
            "status": status.as_u16(),
            "error": status.canonical_reason().unwrap_or("error"),
            "message": message,
        });
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(limit) = refused {
            response.extensions_mut().insert(RefusedAt(limit));
        }
        response
    }
}

impl From<TileError> for ApiError {
    fn from(e: TileError) -> Self {
        match e {
            TileError::Malformed(_)
            | TileError::NotANumber { .. }
            | TileError::ZoomTooHigh { .. }
            | TileError::OutOfGrid { .. } => ApiError::BadRequest(e.to_string()),
            TileError::UnknownLayer { .. } => ApiError::NotFound(e.to_string()),
            TileError::Busy { .. } => ApiError::Unavailable {
                limit: "max-renders",
                message: e.to_string(),
                retry_after: Some(1),
            },
            TileError::Stopped(s) => s.into(),
            TileError::Encode(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<Stopped> for ApiError {
    fn from(e: Stopped) -> Self {
        let message = match e {
            Stopped::Deadline(_) => format!(
                "{e} (--request-timeout); ask for less: a smaller zone or distance, a narrower filter, a bbox"
            ),
            Stopped::Cancelled => e.to_string(),
        };
        ApiError::Unavailable {
            limit: match e {
                Stopped::Deadline(_) => "request-timeout",
                Stopped::Cancelled => "client-gone",
            },
            message,
            retry_after: None,
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::UnknownLayer { .. } | QueryError::UnknownFeature { .. } => {
                ApiError::NotFound(e.to_string())
            }
            QueryError::Stopped(s) => s.into(),
            _ => ApiError::BadRequest(e.to_string()),
        }
    }
}

impl From<CqlError> for ApiError {
    fn from(e: CqlError) -> Self {
        let limit = match e {
            CqlError::TooLong { .. } => "max-filter-bytes",
            CqlError::TooDeep { .. } => "max-filter-depth",
            _ => return ApiError::BadRequest(e.to_string()),
        };
        ApiError::OverLimit {
            limit,
            message: e.to_string(),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Internal(format!("a rendering task failed: {e}"))
    }
}

/// The answer for a path no route serves.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no resource at {}; see /catalog for the layers, /tiles.json for tiles",
        uri.path()
    ))
}
