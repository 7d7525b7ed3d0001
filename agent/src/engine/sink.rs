//! Where inputs put data: a bounded queue that blocks a fast input (back-pressure) and, once
//! the inputs are stopped, drops (and counts) what a stray input thread still sends.
//!
//! When the stop begins, an input blocked on the full queue is released (what it was
//! sending is refused and counted, not accepted) once the queue has stayed full for
//! [`RELEASE_AFTER`]: a pipeline held back by a blocked flusher would otherwise keep the
//! input's thread, and the stop, waiting.

use crossbeam_channel::{SendTimeoutError, Sender, TrySendError};
use pipeplug::models::PipelineGroupEvents;
use pipeplug::{GroupSink, LogSink, LogWithContext};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How often a blocked input looks at whether the inputs were stopped.
const CLOSED_POLL: Duration = Duration::from_millis(50);
/// How long after the stop began a push blocked on the full queue gives up.
pub(crate) const RELEASE_AFTER: Duration = Duration::from_millis(500);

/// The input end of a pipeline's input queue.
#[derive(Debug)]
pub(crate) struct InputSink<T> {
    tx: Sender<T>,
    closed: AtomicBool,
    /// When the pipeline's stop began.
    stopping_since: OnceLock<Instant>,
    /// Events that entered the queue.
    pub accepted: AtomicU64,
    /// Events refused because the pipeline was stopping.
    pub dropped: AtomicU64,
}

impl<T> InputSink<T> {
    pub(crate) fn new(tx: Sender<T>) -> Self {
        Self {
            tx,
            closed: AtomicBool::new(false),
            stopping_since: OnceLock::new(),
            accepted: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// The stop began: a push blocked on the full queue gives up after [`RELEASE_AFTER`].
    pub(crate) fn begin_stop(&self) {
        let _ = self.stopping_since.set(Instant::now());
    }

    fn released(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
            || self
                .stopping_since
                .get()
                .is_some_and(|t| t.elapsed() >= RELEASE_AFTER)
    }

    /// Refuses everything from now on.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    fn push(&self, item: T, events: u64) {
        if self.closed.load(Ordering::SeqCst) {
            self.dropped.fetch_add(events, Ordering::Relaxed);
            return;
        }
        // The common case first: room in the queue, so no clock read for a timeout.
        let mut item = match self.tx.try_send(item) {
            Ok(()) => {
                self.accepted.fetch_add(events, Ordering::Relaxed);
                return;
            }
            Err(TrySendError::Full(back)) => back,
            Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(events, Ordering::Relaxed);
                return;
            }
        };
        loop {
            if self.released() {
                self.dropped.fetch_add(events, Ordering::Relaxed);
                return;
            }
            match self.tx.send_timeout(item, CLOSED_POLL) {
                Ok(()) => {
                    self.accepted.fetch_add(events, Ordering::Relaxed);
                    return;
                }
                Err(SendTimeoutError::Timeout(back)) => item = back,
                Err(SendTimeoutError::Disconnected(_)) => {
                    self.dropped.fetch_add(events, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}

impl LogSink for InputSink<LogWithContext> {
    fn send(&self, log: LogWithContext) {
        self.push(log, 1);
    }
}

impl GroupSink for InputSink<PipelineGroupEvents> {
    fn send(&self, group: PipelineGroupEvents) {
        let n = group.events.len() as u64;
        self.push(group, n);
    }
}
