//! The stop sequence's shared state and time limits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long each step of a pipeline's stop may take before the engine moves on (and
/// reports what overstayed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopTimeouts {
    /// Inputs: service inputs' `start` returning and `stop`, metric inputs' last `collect`.
    pub inputs: Duration,
    /// Draining the input queue through processors and aggregators (final flush).
    pub drain: Duration,
    /// Flushing what is queued for flushers, waiting for `is_ready` (iLogtail: about 5 s).
    pub flush: Duration,
    /// Flushers' and extensions' `stop`.
    pub stop: Duration,
}

impl Default for StopTimeouts {
    fn default() -> Self {
        Self {
            inputs: Duration::from_secs(5),
            drain: Duration::from_secs(10),
            flush: Duration::from_secs(5),
            stop: Duration::from_secs(5),
        }
    }
}

/// How long past the drain step's deadline the processing thread has to count what it
/// gives up on (a blocked flusher's batches).
pub(crate) const DRAIN_GRACE: Duration = Duration::from_secs(1);

impl StopTimeouts {
    /// The longest a pipeline's stop takes, whatever its plugins do: every step's limit,
    /// `stop` twice (flushers', then extensions'), and 1 s for the processing thread to
    /// count what it gives up on. A plugin still running then is left behind and named in
    /// the report.
    #[must_use]
    pub fn worst_case(&self) -> Duration {
        self.inputs + self.drain + DRAIN_GRACE + self.flush + self.stop * 2
    }
}

/// What the stopping thread tells the pipeline's threads.
#[derive(Debug, Default)]
pub(crate) struct StopState {
    urgent: AtomicBool,
    drain_deadline: OnceLock<Instant>,
    flush_deadline: OnceLock<Instant>,
}

impl StopState {
    pub(crate) fn set_urgent(&self) {
        self.urgent.store(true, Ordering::SeqCst);
    }
    pub(crate) fn is_urgent(&self) -> bool {
        self.urgent.load(Ordering::SeqCst)
    }
    pub(crate) fn set_drain_deadline(&self, at: Instant) {
        let _ = self.drain_deadline.set(at);
    }
    pub(crate) fn set_flush_deadline(&self, at: Instant) {
        let _ = self.flush_deadline.set(at);
    }
    /// The drain step's time is up.
    pub(crate) fn drain_overdue(&self) -> bool {
        self.drain_deadline
            .get()
            .is_some_and(|d| Instant::now() >= *d)
    }
    /// The drain step's time is up and half of [`DRAIN_GRACE`] with it: the processing
    /// thread stops processing (what a blocked flusher held up has gone through by then,
    /// dropped for that flusher only) and counts what is left as dropped.
    pub(crate) fn drain_gave_up(&self) -> bool {
        self.drain_deadline
            .get()
            .is_some_and(|d| Instant::now() >= *d + DRAIN_GRACE / 2)
    }
    /// The flush step's deadline comes within `wait` (a retry after `wait` would pass it).
    pub(crate) fn flush_due_before(&self, wait: Duration) -> bool {
        self.flush_deadline
            .get()
            .is_some_and(|d| Instant::now() + wait >= *d)
    }
    /// The flush step's time is up: unready flushers give up.
    pub(crate) fn flush_overdue(&self) -> bool {
        self.flush_deadline
            .get()
            .is_some_and(|d| Instant::now() >= *d)
    }
}
