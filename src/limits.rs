//! Bounds on the work of one request: a deadline, cancellation when the
//! client leaves, and a cap on concurrent cold renders.
//!
//! The work of a request runs on one thread under a [`Budget`] installed
//! with [`scope`]; the loops that can run long (a tile's features, a
//! query's candidates, a filter over a layer) call [`check`] as they go
//! and stop with [`Stopped`] once the deadline has passed or the request
//! was abandoned. Outside a scope (the command line, benches) `check`
//! always passes, so the core's signatures carry no budget.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why work stopped before it was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    /// The request's deadline passed.
    #[error("the request took longer than the server's limit of {0:?} and was stopped")]
    Deadline(Duration),
    /// Nobody waits for the answer any more.
    #[error("the client went away and the work was stopped")]
    Cancelled,
}

/// How long one request's work may run, and whether it is still wanted.
#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Option<(Instant, Duration)>,
    cancelled: Arc<AtomicBool>,
}

impl Budget {
    /// A budget of `timeout` from now (`None`: no deadline).
    pub fn new(timeout: Option<Duration>) -> Budget {
        Budget {
            deadline: timeout.map(|t| (Instant::now() + t, t)),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A guard that cancels this budget's work when dropped, unless
    /// [`CancelOnDrop::disarm`]ed first. The HTTP layer holds one in the
    /// request's future, which is dropped when the client disconnects or
    /// the request times out.
    pub fn cancel_on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(Some(Arc::clone(&self.cancelled)))
    }

    /// Whether the work should stop now, and why.
    pub fn check(&self) -> Result<(), Stopped> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(Stopped::Cancelled);
        }
        self.check_clock()
    }

    /// Whether the deadline has passed.
    fn check_clock(&self) -> Result<(), Stopped> {
        match self.deadline {
            Some((at, limit)) if Instant::now() >= at => Err(Stopped::Deadline(limit)),
            _ => Ok(()),
        }
    }
}

/// Cancels a budget's work when dropped; see [`Budget::cancel_on_drop`].
#[derive(Debug)]
pub struct CancelOnDrop(Option<Arc<AtomicBool>>);

impl CancelOnDrop {
    /// The work finished: dropping the guard no longer cancels anything.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Budget>> = const { RefCell::new(None) };
    /// [`check`]s made in the current scope.
    static CALLS: Cell<u32> = const { Cell::new(0) };
}

/// [`check`] reads the clock on the first of its calls in a scope and on
/// every this many after: a tile's loop checks once a feature, a few
/// microseconds apart, and reading the clock each time was 2 % of a dense
/// tile. Cancellation, an atomic flag, is seen at every call.
const CLOCK_EVERY: u32 = 16;

/// Runs `work` on this thread under `budget`: every [`check`] inside it
/// asks that budget.
pub fn scope<T>(budget: &Budget, work: impl FnOnce() -> T) -> T {
    struct Restore(Option<Budget>, u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
            CALLS.set(self.1);
        }
    }
    let _restore = Restore(
        CURRENT.with(|c| c.borrow_mut().replace(budget.clone())),
        CALLS.replace(0),
    );
    work()
}

/// Whether the work running on this thread should stop (always `Ok`
/// outside a [`scope`]).
pub fn check() -> Result<(), Stopped> {
    CURRENT.with(|c| {
        let current = c.borrow();
        let Some(budget) = current.as_ref() else {
            return Ok(());
        };
        if budget.cancelled.load(Ordering::Relaxed) {
            return Err(Stopped::Cancelled);
        }
        let calls = CALLS.get();
        CALLS.set(calls.wrapping_add(1));
        if calls.is_multiple_of(CLOCK_EVERY) {
            budget.check_clock()
        } else {
            Ok(())
        }
    })
}

/// A cap on how many of something run at once, taken without waiting:
/// past the cap the caller is told no at once and can answer "busy".
#[derive(Debug)]
pub struct Slots {
    max: usize,
    in_use: Arc<AtomicUsize>,
}

impl Slots {
    /// At most `max` at once (0: no cap).
    pub fn new(max: usize) -> Slots {
        Slots {
            max,
            in_use: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The cap (0: none).
    pub fn max(&self) -> usize {
        self.max
    }

    /// How many are taken now.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Relaxed)
    }

    /// A slot, held until the guard drops; `None` when all are taken.
    pub fn try_take(&self) -> Option<SlotGuard> {
        let before = self.in_use.fetch_add(1, Ordering::AcqRel);
        if self.max > 0 && before >= self.max {
            self.in_use.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(SlotGuard(Arc::clone(&self.in_use)))
    }
}

/// A taken slot; dropping it gives the slot back.
#[derive(Debug)]
pub struct SlotGuard(Arc<AtomicUsize>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_scope_nothing_stops() {
        assert_eq!(check(), Ok(()));
    }

    #[test]
    fn a_passed_deadline_stops_the_work_in_its_scope_only() {
        let budget = Budget::new(Some(Duration::ZERO));
        assert_eq!(
            scope(&budget, check),
            Err(Stopped::Deadline(Duration::ZERO))
        );
        assert_eq!(check(), Ok(()));
        assert_eq!(
            scope(&Budget::new(Some(Duration::from_secs(60))), check),
            Ok(())
        );
    }

    #[test]
    fn dropping_the_guard_cancels_and_disarming_does_not() {
        let budget = Budget::new(None);
        budget.cancel_on_drop().disarm();
        assert_eq!(budget.check(), Ok(()));
        drop(budget.cancel_on_drop());
        assert_eq!(budget.check(), Err(Stopped::Cancelled));
        // Seen from another thread's scope, as a blocking task sees it.
        let b = budget.clone();
        let seen = std::thread::spawn(move || scope(&b, check)).join().unwrap();
        assert_eq!(seen, Err(Stopped::Cancelled));
    }

    #[test]
    fn scopes_nest_and_restore() {
        let outer = Budget::new(None);
        let inner = Budget::new(Some(Duration::ZERO));
        scope(&outer, || {
            assert!(scope(&inner, check).is_err());
            assert_eq!(check(), Ok(()));
        });
    }

    #[test]
    fn a_deadline_passing_mid_scope_is_seen_within_a_few_checks() {
        let budget = Budget::new(Some(Duration::from_millis(20)));
        let cancelled = Budget::new(None);
        let flag = cancelled.cancel_on_drop();
        scope(&budget, || {
            // Passes while the deadline is ahead, on every call.
            for _ in 0..3 * CLOCK_EVERY {
                assert_eq!(check(), Ok(()));
            }
            std::thread::sleep(Duration::from_millis(30));
            let seen = (1..=CLOCK_EVERY).find(|_| check().is_err());
            assert!(seen.is_some(), "not seen in {CLOCK_EVERY} checks");
        });
        // Cancellation is seen at the very next call, wherever the count is.
        scope(&cancelled, || {
            assert_eq!(check(), Ok(()));
            drop(flag);
            assert_eq!(check(), Err(Stopped::Cancelled));
        });
    }

    #[test]
    fn slots_refuse_past_the_cap_and_come_back() {
        let slots = Slots::new(2);
        let a = slots.try_take().unwrap();
        let _b = slots.try_take().unwrap();
        assert!(slots.try_take().is_none());
        assert_eq!(slots.in_use(), 2);
        drop(a);
        assert!(slots.try_take().is_some());
        let unlimited = Slots::new(0);
        let held: Vec<_> = (0..100).map(|_| unlimited.try_take().unwrap()).collect();
        assert_eq!(unlimited.in_use(), held.len());
    }
}
