//! A fence round geometry algorithms that can panic.
//!
//! geo's relate builds a topology graph and panics ("topology position
//! conflict") when it meets a geometry it cannot label consistently:
//! invalid rings, or nearly degenerate ones where floating point puts a
//! node on the wrong side. Everything the service loads or is sent is
//! validated first, so this is rare, but a server must answer every
//! request, so each such call runs inside [`caught`]: a panic becomes an
//! error the caller reports, and the process goes on. The default panic
//! message is not printed for a panic caught here (it is part of the
//! error instead); every other panic is reported as before.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Set while this thread runs inside [`caught`].
    static FENCED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`; a panic inside it comes back as `Err` with its message.
///
/// Only for pure computations on values the caller owns or borrows
/// immutably: nothing `work` touches is left half-changed by a panic.
pub fn caught<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let report = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !FENCED.with(Cell::get) {
                report(info);
            }
        }));
    });
    let outer = FENCED.with(|f| f.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(work));
    FENCED.with(|f| f.set(outer));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an unexplained failure".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_comes_back_as_its_message() {
        assert_eq!(caught(|| 2 + 2), Ok(4));
        let err = caught(|| -> u8 { panic!("the ring crosses itself at {}", 3) }).unwrap_err();
        assert_eq!(err, "the ring crosses itself at 3");
        assert_eq!(
            caught(|| -> u8 { std::panic::panic_any(7u32) }).unwrap_err(),
            "an unexplained failure"
        );
        // Nested fences restore the outer one.
        let inner = caught(|| caught(|| -> u8 { panic!("inner") }).unwrap_err());
        assert_eq!(inner.as_deref(), Ok("inner"));
        assert!(!FENCED.with(Cell::get));
    }
}
