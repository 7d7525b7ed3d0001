//! [`Worker`]: the threads of a plugin, stopped and joined together.

use crate::{Context, StopSignal};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

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
