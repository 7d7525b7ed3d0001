//! [`StopSignal`]: stopping plugin threads promptly; and the wait hold of a thread.
//!
//! A thread may hold something until it first waits: under a virtual clock, a new plugin
//! thread holds the clock (which then waits for it) until it parks on a ticker or a stop
//! signal. The hold lives here, beside the waits that release it, so that waiting needs
//! nothing of the clock; the clock installs its hold through [`install_wait_hold`].

use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

thread_local! {
    /// What the current thread holds until it first waits (dropped then).
    static WAIT_HOLD: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// Makes `hold` the current thread's wait hold (dropping any previous one).
pub(crate) fn install_wait_hold(hold: Box<dyn Any>) {
    let previous = WAIT_HOLD
        .try_with(|h| h.borrow_mut().replace(hold))
        .ok()
        .flatten();
    drop(previous);
}

/// Drops the current thread's wait hold, if it has one: the thread is about to wait.
pub(crate) fn release_wait_hold() {
    // `try_with`: nothing to release while the thread's locals are being destroyed.
    let hold = WAIT_HOLD.try_with(|h| h.borrow_mut().take()).ok().flatten();
    drop(hold);
}

/// A one-way "stop now" flag that threads can wait on (Go's `stopCh`).
///
/// Cheap to clone; every clone sees the same flag. Waiting wakes as soon as
/// [`signal`](Self::signal) is called, so a plugin stops in microseconds, not at its next
/// interval.
#[derive(Debug, Clone, Default)]
pub struct StopSignal {
    inner: Arc<(Mutex<bool>, Condvar)>,
    /// The flag, readable without the lock (plugins test it once per event).
    fired: Arc<AtomicBool>,
}

impl StopSignal {
    /// A signal that has not fired.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the signal and wakes every waiter.
    pub fn signal(&self) {
        let (lock, cvar) = &*self.inner;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.fired.store(true, Ordering::SeqCst);
        cvar.notify_all();
    }

    /// Whether the signal has fired.
    #[must_use]
    pub fn is_signalled(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Waits up to `timeout` for the signal; returns whether it fired. A timeout too large
    /// to represent (such as `Duration::MAX`, from a config) waits without limit.
    #[must_use]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            self.wait();
            return true;
        };
        // A thread waiting here is parked: a virtual clock need not wait for it.
        release_wait_hold();
        let (lock, cvar) = &*self.inner;
        let mut fired = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while !*fired {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            fired = cvar
                .wait_timeout(fired, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Waits until the signal fires.
    pub fn wait(&self) {
        release_wait_hold();
        let (lock, cvar) = &*self.inner;
        let mut fired = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while !*fired {
            fired = cvar.wait(fired).unwrap_or_else(PoisonError::into_inner);
        }
    }
}
