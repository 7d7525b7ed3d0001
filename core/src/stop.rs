//! [`StopSignal`] and [`Worker`]: stopping plugin threads promptly.

use crate::Context;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A one-way "stop now" flag that threads can wait on (Go's `stopCh`).
///
/// Cheap to clone; every clone sees the same flag. Waiting wakes as soon as
/// [`signal`](Self::signal) is called, so a plugin stops in microseconds, not at its next
/// interval.
#[derive(Debug, Clone, Default)]
pub struct StopSignal {
    inner: Arc<(Mutex<bool>, Condvar)>,
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
        cvar.notify_all();
    }

    /// Whether the signal has fired.
    #[must_use]
    pub fn is_signalled(&self) -> bool {
        *self.inner.0.lock().unwrap_or_else(PoisonError::into_inner)
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
        crate::clock::release_thread_hold();
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
        crate::clock::release_thread_hold();
        let (lock, cvar) = &*self.inner;
        let mut fired = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while !*fired {
            fired = cvar.wait(fired).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Threads a plugin runs, stopped and joined together: the usual runtime state of an input.
///
/// [`spawn`](Self::spawn) starts a named thread that receives a [`StopSignal`];
/// [`stop`](Self::stop) fires it and joins every thread, so that nothing is left behind. The
/// threads are counted in the [`Context`] they were started from, which the test harness
/// checks after `stop`. Under a virtual clock, a new thread is waited for by
/// [`VirtualClock::advance`](crate::VirtualClock::advance) until it first waits (see
/// [`Clock`](crate::Clock)).
///
/// ```
/// use pipeplug::{Context, Worker};
/// let ctx = Context::default();
/// let mut worker = Worker::default();
/// worker.spawn(&ctx, "loop", |stop| { stop.wait(); }).unwrap();
/// assert_eq!(ctx.live_threads(), 1);
/// worker.stop().unwrap();
/// assert_eq!(ctx.live_threads(), 0);
/// ```
#[derive(Debug, Default)]
pub struct Worker {
    stop: StopSignal,
    threads: Vec<JoinHandle<()>>,
}

struct LiveGuard(Arc<AtomicUsize>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Worker {
    /// No threads yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts `body` on a new thread named `name`; `body` should return soon after its
    /// [`StopSignal`] fires.
    ///
    /// # Errors
    /// The OS refused to start a thread.
    pub fn spawn<F>(&mut self, ctx: &Context, name: &str, body: F) -> std::io::Result<()>
    where
        F: FnOnce(StopSignal) + Send + 'static,
    {
        let stop = self.stop.clone();
        let live = ctx.live_thread_counter();
        live.fetch_add(1, Ordering::SeqCst);
        let guard = LiveGuard(live);
        // Under a virtual clock, `advance` waits for the new thread until it first waits,
        // so a ticker made inside the thread misses no tick (see `clock`).
        let hold = ctx.clock().hold_new_thread(name);
        let handle = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _guard = guard;
                let _hold = hold.map(crate::clock::ThreadHold::enter);
                body(stop);
            })?;
        self.threads.push(handle);
        Ok(())
    }

    /// Whether any thread was started and not yet joined.
    #[must_use]
    pub fn is_running(&self) -> bool {
        !self.threads.is_empty()
    }

    /// Fires the stop signal and joins every thread. The worker can be used again afterwards.
    ///
    /// # Errors
    /// A thread panicked; the message names the thread.
    pub fn stop(&mut self) -> Result<(), crate::BoxError> {
        self.stop.signal();
        let mut panicked = Vec::new();
        for handle in self.threads.drain(..) {
            let name = handle.thread().name().unwrap_or("?").to_owned();
            if handle.join().is_err() {
                panicked.push(name);
            }
        }
        self.stop = StopSignal::new();
        if panicked.is_empty() {
            Ok(())
        } else {
            Err(format!("worker thread(s) panicked: {}", panicked.join(", ")).into())
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.stop();
        }
    }
}
