//! Watching the requests: one log line each (tower-http's trace layer,
//! through `tracing`, level set by `RUST_LOG`), the Prometheus metrics fed
//! from each answer, and `/metrics` to read them.

use super::error::RefusedAt;
use super::{ApiError, AppState};
use axum::body::HttpBody;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnRequest, TraceLayer};
use tracing::Span;

/// The route a request matched, as its pattern (`/tiles/{z}/{x}/{y}`), so
/// that metrics' labels stay few; `unmatched` for a 404 of no route.
fn route(request: &Request) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_string()
}

/// Counts each answer by route and status, its time, and the limit it was
/// refused at.
pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (route, method) = (route(&request), request.method().clone());
    let started = Instant::now();
    let response = next.run(request).await;
    let limit = response.extensions().get::<RefusedAt>().map(|r| r.0);
    state.metrics().request(
        &route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
        limit,
    );
    response
}

/// The trace layer as [`log_layer`] sets it up.
pub type LogLayer = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    DefaultOnRequest,
    fn(&Response, Duration, &Span),
>;

/// One `INFO` line per request when it is answered: method, route, path,
/// status, milliseconds and body bytes.
pub fn log_layer() -> LogLayer {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_request(DefaultOnRequest::new().level(tracing::Level::TRACE))
        .on_response(log_response as fn(&Response, Duration, &Span))
}

fn request_span(request: &Request) -> Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route(request),
        path = %request.uri().path(),
    )
}

/// The log of a tile answered before the router (`fast.rs`): the same
/// span and lines the trace layer makes.
pub fn log_tile(response: &Response, path: &str, took: Duration) {
    let span = tracing::info_span!(
        "request",
        method = "GET",
        route = super::tiles::TILE_ROUTE,
        path = path,
    );
    let _in = span.enter();
    tracing::trace!("started processing request");
    log_response(response, took, &span);
}

fn log_response(response: &Response, took: Duration, _span: &Span) {
    let bytes = response.body().size_hint().exact();
    tracing::info!(
        status = response.status().as_u16(),
        ms = format_args!("{:.2}", took.as_secs_f64() * 1e3),
        bytes,
        "answered"
    );
}

/// `GET /metrics`: the OpenMetrics text exposition, as Prometheus scrapes.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = state
        .metrics()
        .encode()
        .map_err(|e| ApiError::Internal(format!("encoding the metrics: {e}")))?;
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        // What prometheus-client writes: OpenMetrics text (counters'
        // samples end in `_total`, the exposition in `# EOF`), which
        // Prometheus reads when told so.
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    Ok(r)
}
