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
    /// 401: a change without a good key.
    Unauthorized(String),
    /// 403: a good key without rights on the layer.
    Forbidden(String),
    /// 405: the resource does not take the method; `allow` lists those it
    /// takes.
    MethodNotAllowed {
        /// What to do instead.
        message: String,
        /// The `Allow` header.
        allow: &'static str,
    },
    /// 409: the change conflicts with what exists (an id taken).
    Conflict(String),
    /// 412: `If-Match` names a version the feature no longer has; the
    /// body shows the version it has.
    PreconditionFailed {
        /// What happened and what to do.
        message: String,
        /// The feature's ETag now.
        etag: String,
        /// The feature now.
        current: Box<serde_json::Value>,
    },
    /// 415: a body of a media type the resource does not take.
    UnsupportedMediaType(String),
    /// 422: the body is well formed but breaks the layer's rules; each
    /// problem names its field or part.
    Unprocessable {
        /// The summary.
        message: String,
        /// Each problem.
        problems: Vec<String>,
    },
    /// 428: the layer wants `If-Match` on every change.
    PreconditionRequired(String),
    /// 429: too many failed attempts; try again after `retry_after` s.
    TooManyRequests {
        /// What happened.
        message: String,
        /// Seconds for the `Retry-After` header.
        retry_after: u32,
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
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (mut retry, mut refused) = (None, None);
        let mut headers: Vec<(header::HeaderName, HeaderValue)> = Vec::new();
        let mut extra: Option<(&str, serde_json::Value)> = None;
        let message = match self {
            ApiError::BadRequest(m)
            | ApiError::NotFound(m)
            | ApiError::Forbidden(m)
            | ApiError::Conflict(m)
            | ApiError::UnsupportedMediaType(m)
            | ApiError::PreconditionRequired(m) => m,
            ApiError::Unauthorized(m) => {
                headers.push((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"shanshui\""),
                ));
                m
            }
            ApiError::MethodNotAllowed { message, allow } => {
                headers.push((header::ALLOW, HeaderValue::from_static(allow)));
                message
            }
            ApiError::PreconditionFailed {
                message,
                etag,
                current,
            } => {
                if let Ok(v) = HeaderValue::from_str(&etag) {
                    headers.push((header::ETAG, v));
                }
                extra = Some(("current", *current));
                message
            }
            ApiError::Unprocessable { message, problems } => {
                extra = Some(("problems", json!(problems)));
                message
            }
            ApiError::TooManyRequests {
                message,
                retry_after,
            } => {
                retry = Some(retry_after);
                message
            }
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
        let mut body = json!({
            "status": status.as_u16(),
            "error": status.canonical_reason().unwrap_or("error"),
            "message": message,
        });
        if let Some((name, value)) = extra {
            body[name] = value;
        }
        let mut response = (status, Json(body)).into_response();
        response.headers_mut().extend(headers);
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

impl From<crate::edit::EditError> for ApiError {
    fn from(e: crate::edit::EditError) -> Self {
        use crate::edit::EditError as E;
        let message = e.to_string();
        match e {
            E::NoLayer(_) | E::NotFound { .. } => ApiError::NotFound(message),
            E::ReadOnly(_) | E::NoFolder => ApiError::MethodNotAllowed {
                message,
                allow: super::edits::READ_ONLY,
            },
            E::Stale { etag, current, .. } => ApiError::PreconditionFailed {
                message,
                etag,
                current,
            },
            E::IfMatchRequired(_) => ApiError::PreconditionRequired(message),
            E::BadRequest(m) => ApiError::BadRequest(m),
            E::Invalid { layer, problems } => ApiError::Unprocessable {
                message: format!(
                    "the feature breaks the rules of collection `{layer}`; nothing was changed. Fix: {}",
                    problems.join("; ")
                ),
                problems,
            },
            E::Exists { .. } => ApiError::Conflict(message),
            E::Journal(crate::edit::JournalError::Locked(_)) => ApiError::Unavailable {
                limit: "one-writer",
                message: format!("{message}; nothing was changed"),
                retry_after: None,
            },
            E::Journal(_) | E::Load(_) => {
                tracing::error!("an edit could not be made durable, so it was refused: {message}");
                ApiError::Unavailable {
                    limit: "journal",
                    message: "the edit could not be written to disk, so nothing was changed; the server's log has the detail".into(),
                    retry_after: Some(5),
                }
            }
        }
    }
}

impl From<crate::keys::AuthError> for ApiError {
    fn from(e: crate::keys::AuthError) -> Self {
        use crate::keys::AuthError as A;
        match e {
            A::Missing | A::Wrong => ApiError::Unauthorized(e.to_string()),
            A::Forbidden { .. } => ApiError::Forbidden(e.to_string()),
            A::Throttled { retry_after } => ApiError::TooManyRequests {
                message: e.to_string(),
                retry_after: u32::try_from(retry_after).unwrap_or(u32::MAX),
            },
            A::Unreadable(_) => {
                tracing::error!("{e}");
                ApiError::Unavailable {
                    limit: "keys",
                    message: "the server cannot read its keys, so it takes no change now; the server's log has the detail".into(),
                    retry_after: Some(5),
                }
            }
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
