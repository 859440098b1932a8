//! The bounds on one request's work, on the HTTP side: CPU-heavy work runs
//! off the async executor under a [`Budget`] (the request's deadline, and
//! cancellation when its future is dropped because the client left or the
//! deadline passed), and a middleware answers 503 once the deadline has
//! passed, whatever the handler was doing.

use super::{ApiError, AppState};
use crate::limits::{self, Budget};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Runs `work` on the blocking pool under this request's budget. If the
/// caller's future is dropped (the client went away, or the request timed
/// out), the work stops at its next [`limits::check`].
pub async fn blocking<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    let budget = Budget::new(state.config().request_timeout);
    let cancel = budget.cancel_on_drop();
    let out = tokio::task::spawn_blocking(move || limits::scope(&budget, work)).await;
    cancel.disarm();
    out?
}

/// Answers 503 when a request runs past `--request-timeout`; the handler's
/// future is dropped, which cancels its blocking work.
pub async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limit) = state.config().request_timeout else {
        return next.run(request).await;
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::from(limits::Stopped::Deadline(limit)).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, DatasetMeta, Title};
    use crate::http::ServerConfig;
    use crate::tile::TileOptions;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn state(timeout: Option<Duration>) -> AppState {
        let dataset = DatasetMeta {
            id: "empty".into(),
            title: Title {
                zh: "空".into(),
                en: "Empty".into(),
            },
            attribution: String::new(),
        };
        AppState::new(
            Catalog::from_layers(dataset, vec![]),
            ServerConfig {
                request_timeout: timeout,
                ..ServerConfig::default()
            },
            TileOptions::default(),
            0,
        )
    }

    /// Work that runs until told to stop, and says when it stopped.
    fn endless(stopped: Arc<AtomicBool>) -> impl FnOnce() -> Result<(), ApiError> {
        move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let why = loop {
                if let Err(why) = limits::check() {
                    break why;
                }
                assert!(Instant::now() < deadline, "never told to stop");
                std::thread::sleep(Duration::from_millis(1));
            };
            stopped.store(true, Ordering::SeqCst);
            Err(why.into())
        }
    }

    async fn until(flag: &AtomicBool) {
        let start = Instant::now();
        while !flag.load(Ordering::SeqCst) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the work went on"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn work_stops_when_its_request_is_dropped() {
        let state = state(None);
        let stopped = Arc::new(AtomicBool::new(false));
        // The client leaves after 50 ms: the request's future is dropped.
        let gone = tokio::time::timeout(
            Duration::from_millis(50),
            blocking(&state, endless(Arc::clone(&stopped))),
        )
        .await;
        assert!(gone.is_err());
        until(&stopped).await;
    }

    #[tokio::test]
    async fn work_stops_at_the_deadline_with_a_503() {
        let state = state(Some(Duration::from_millis(30)));
        let stopped = Arc::new(AtomicBool::new(false));
        let err = blocking(&state, endless(Arc::clone(&stopped)))
            .await
            .unwrap_err();
        assert!(stopped.load(Ordering::SeqCst));
        let ApiError::Unavailable { message, .. } = err else {
            panic!("{err:?}")
        };
        assert!(message.contains("--request-timeout"), "{message}");
    }
}
