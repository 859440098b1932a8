//! The bounds on one request's work, on the HTTP side: CPU-heavy work runs
//! off the async executor under a [`Budget`] (the request's deadline, and
//! cancellation when its future is dropped because the client left or the
//! deadline passed), and a middleware answers 503 once the deadline has
//! passed, whatever the handler was doing.
//!
//! Cold tiles have threads of their own, [`Renderers`]: one a core, taking
//! tiles from one queue in the order they were asked for.

use super::{ApiError, AppState};
use crate::limits::{self, Budget};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// Runs `work` (a query, a page of items) under this request's budget,
/// off the async executor.
///
/// On the server's multi-thread runtime it runs in place, on the thread
/// that read the request, while tokio hands that thread's other tasks to
/// another (`block_in_place`): handing it to a thread of the blocking pool
/// and back cost two wake-ups on the way to every answer, and a third of
/// both cores stood idle with two clients asking the planner's points
/// question (1,266-1,752 -> 1,859-2,080 answers/s, alternating builds).
/// It then stops at its deadline, but not when its client leaves, since
/// nothing reads the connection meanwhile; cold tiles, the work a web map
/// abandons as it pans, keep that (see [`render`]). On a current-thread
/// runtime (tests driving the router in process) it goes to the blocking
/// pool and also stops when its future is dropped.
pub async fn blocking<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    let budget = Budget::new(state.config().request_timeout);
    if tokio::runtime::Handle::current().runtime_flavor()
        == tokio::runtime::RuntimeFlavor::MultiThread
    {
        return tokio::task::block_in_place(move || limits::scope(&budget, work));
    }
    let cancel = budget.cancel_on_drop();
    let out = tokio::task::spawn_blocking(move || limits::scope(&budget, work)).await;
    cancel.disarm();
    out?
}

/// Runs `work` on the [`Renderers`] under this request's budget, after the
/// renders asked for before it. Work whose request was dropped (or whose
/// deadline passed) while it waited is not started; once started, it
/// stops at its next [`limits::check`], as with [`blocking`].
pub async fn render<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    state
        .renderers()
        .run(state.config().request_timeout, work)
        .await
}

type Job = Box<dyn FnOnce() + Send>;

/// The threads that render cold tiles: one a core (two on a machine that
/// does not say), started with the first tile, taking work from one queue
/// first come first served.
///
/// A thread that finishes a tile takes the next one at once while any
/// wait. Handing each tile to a thread of tokio's blocking pool when a
/// semaphore's turn came free instead cost a wake-up or two between tiles,
/// and a fifth of both cores stood idle with 64 tiles queued (`wrk -t2
/// -c64` over the synthetic set's z10-z14 list, `/proc/stat`). The
/// threads end when the server's state is dropped.
pub struct Renderers {
    line: Arc<Line>,
    threads: usize,
}

struct Line {
    queue: Mutex<Queue>,
    ready: Condvar,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    started: bool,
    closed: bool,
}

impl Renderers {
    /// `threads` render threads (at least one).
    pub fn new(threads: usize) -> Renderers {
        Renderers {
            line: Arc::new(Line {
                queue: Mutex::new(Queue::default()),
                ready: Condvar::new(),
            }),
            threads: threads.max(1),
        }
    }

    /// One a core.
    pub fn per_core() -> Renderers {
        Renderers::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    /// How many threads render.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `work` on these threads under a budget of `timeout`, after the
    /// work queued before it; see [`render`].
    pub async fn run<T, F>(
        &self,
        timeout: Option<std::time::Duration>,
        work: F,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    {
        let budget = Budget::new(timeout);
        let cancel = budget.cancel_on_drop();
        let (done, answer) = tokio::sync::oneshot::channel();
        self.push(Box::new(move || {
            let out = match budget.check() {
                Ok(()) => limits::scope(&budget, work),
                Err(why) => Err(why.into()),
            };
            // The request may have gone meanwhile; then nobody reads this.
            let _ = done.send(out);
        }));
        let out = answer.await;
        cancel.disarm();
        // The sender is dropped unsent only when the work panicked.
        out.map_err(|_| {
            ApiError::Internal("the render failed (a bug: see the server's log)".into())
        })?
    }

    /// Queues `job` behind those queued before it.
    fn push(&self, job: Job) {
        let mut queue = self.line.lock();
        if !queue.started {
            queue.started = true;
            for n in 0..self.threads {
                let line = Arc::clone(&self.line);
                let spawned = std::thread::Builder::new()
                    .name(format!("render-{n}"))
                    .spawn(move || line.work());
                if let Err(e) = spawned {
                    // With no thread at all the job would wait forever.
                    tracing::error!("cannot start a render thread: {e}");
                    if n == 0 {
                        queue.started = false;
                        drop(queue);
                        job();
                        return;
                    }
                }
            }
        }
        queue.jobs.push_back(job);
        drop(queue);
        self.line.ready.notify_one();
    }
}

impl std::fmt::Debug for Renderers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderers")
            .field("threads", &self.threads)
            .field("queued", &self.line.lock().jobs.len())
            .finish()
    }
}

impl Drop for Renderers {
    fn drop(&mut self) {
        self.line.lock().closed = true;
        self.line.ready.notify_all();
    }
}

impl Line {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A job runs outside the lock, so a panic never poisons it midway.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A render thread: jobs until the queue is closed and empty.
    fn work(&self) {
        loop {
            let job = {
                let mut queue = self.lock();
                loop {
                    if let Some(job) = queue.jobs.pop_front() {
                        break job;
                    }
                    if queue.closed {
                        return;
                    }
                    queue = self
                        .ready
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            };
            // A panicking job drops its answer's sender, which its request
            // reads as a failure; the thread goes on with the next.
            if panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
                tracing::error!("a render panicked; its request was answered 500");
            }
        }
    }
}

/// Answers 503 when a request runs past `--request-timeout`; the handler's
/// future is dropped, which cancels its render. (Work running in place,
/// which holds its thread, stops at the same deadline by its budget.)
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
            report: None,
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

    /// A render thread held until the returned sender is dropped or sent to.
    fn hold(renderers: &Renderers) -> std::sync::mpsc::Sender<()> {
        let (release, held) = std::sync::mpsc::channel::<()>();
        renderers.push(Box::new(move || {
            let _ = held.recv();
        }));
        release
    }

    #[tokio::test]
    async fn renders_run_in_the_order_they_were_asked_for() {
        let renderers = Renderers::new(1);
        let release = hold(&renderers);
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let runs: Vec<_> = (0..20)
            .map(|n| {
                let order = Arc::clone(&order);
                renderers.run(None, move || {
                    order.lock().unwrap().push(n);
                    Ok(n)
                })
            })
            .collect();
        // Futures do nothing until polled: queue them in order, then let
        // the thread go.
        let mut queued = Vec::new();
        for run in runs {
            let mut run = Box::pin(run);
            assert!(futures_poll_once(run.as_mut()).await.is_none());
            queued.push(run);
        }
        drop(release);
        for (n, run) in queued.into_iter().enumerate() {
            assert_eq!(run.await.unwrap(), n);
        }
        assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }

    /// Polls a future once: its output if it was ready.
    async fn futures_poll_once<F: std::future::Future + Unpin>(future: F) -> Option<F::Output> {
        let mut future = future;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut future).poll(cx) {
                std::task::Poll::Ready(out) => Some(out),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }

    #[tokio::test]
    async fn a_render_whose_request_left_while_queued_never_starts() {
        let renderers = Renderers::new(1);
        let release = hold(&renderers);
        let started = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&started);
        let gone = tokio::time::timeout(
            Duration::from_millis(20),
            renderers.run(None, move || {
                flag.store(true, Ordering::SeqCst);
                Ok(())
            }),
        )
        .await;
        assert!(gone.is_err());
        drop(release);
        // Whatever was queued after it runs: the queue went past it.
        assert_eq!(renderers.run(None, || Ok(7)).await.unwrap(), 7);
        assert!(!started.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_panicking_render_is_a_500_and_the_next_one_runs() {
        let renderers = Renderers::new(1);
        let err = renderers
            .run(None, || -> Result<(), ApiError> {
                panic!("a bug in a render")
            })
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::Internal(_)), "{err:?}");
        assert_eq!(renderers.run(None, || Ok(3)).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_render_stops_when_its_request_is_dropped_or_at_the_deadline() {
        let state = state(Some(Duration::from_millis(30)));
        let stopped = Arc::new(AtomicBool::new(false));
        let err = render(&state, endless(Arc::clone(&stopped)))
            .await
            .unwrap_err();
        assert!(stopped.load(Ordering::SeqCst));
        assert!(matches!(err, ApiError::Unavailable { .. }), "{err:?}");

        let state = self::state(None);
        let stopped = Arc::new(AtomicBool::new(false));
        let gone = tokio::time::timeout(
            Duration::from_millis(50),
            render(&state, endless(Arc::clone(&stopped))),
        )
        .await;
        assert!(gone.is_err());
        until(&stopped).await;
    }

    #[tokio::test]
    async fn render_threads_end_with_their_renderers() {
        let renderers = Renderers::new(2);
        assert_eq!(renderers.run(None, || Ok(1)).await.unwrap(), 1);
        let line = Arc::downgrade(&renderers.line);
        drop(renderers);
        let start = Instant::now();
        while line.upgrade().is_some() {
            assert!(start.elapsed() < Duration::from_secs(10), "threads went on");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn in_place_work_stops_at_the_deadline_and_the_runtime_goes_on() {
        let state = state(Some(Duration::from_millis(300)));
        let stopped = Arc::new(AtomicBool::new(false));
        // Another task on the runtime's only worker ticks while the work
        // holds the thread that was that worker.
        let ticks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let ticker = tokio::spawn({
            let ticks = Arc::clone(&ticks);
            async move {
                loop {
                    ticks.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let before = ticks.load(Ordering::SeqCst);
        // On the worker, as a request's handler runs (the test's own body
        // is not on one).
        let work = tokio::spawn({
            let stopped = Arc::clone(&stopped);
            async move { blocking(&state, endless(stopped)).await }
        });
        let err = work.await.unwrap().unwrap_err();
        assert!(stopped.load(Ordering::SeqCst));
        let ApiError::Unavailable { message, .. } = err else {
            panic!("{err:?}")
        };
        assert!(message.contains("--request-timeout"), "{message}");
        assert!(
            ticks.load(Ordering::SeqCst) > before + 5,
            "the runtime stood still while the work ran"
        );
        ticker.abort();
    }
}
