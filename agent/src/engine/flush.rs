//! The flusher stage: one bounded queue and one thread per flusher, and the fan-out that
//! feeds them.
//!
//! iLogtail's runner (`plugin_runner_v1.go`) waits until *every* flusher is ready before it
//! flushes to any, so one unready flusher stalls them all. Here each flusher has its own queue and
//! thread. The fan-out blocks on a full queue (back-pressure: a slow but working flusher slows
//! the pipeline down) unless that flusher has been waiting for `is_ready` longer than the
//! stall grace: then the batch is dropped *for that flusher only*, counted and reported, and
//! the others go on.

use super::guard::{self, PluginLabel};
use super::stop::StopState;
use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender, TrySendError};
use pipeplug::models::PipelineGroupEvents;
use pipeplug::plugin::{FlusherV1, FlusherV2};
use pipeplug::protocol::LogGroup;
use pipeplug::{BoxError, PipelineCollector, PipelineContext};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often an unready flusher is asked again (iLogtail: 10 ms).
const READY_POLL: Duration = Duration::from_millis(10);
/// How often a blocked fan-out looks again at the flusher's state.
const BLOCKED_POLL: Duration = Duration::from_millis(10);
/// How often an idle flusher thread looks at the urgent flag.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// At most this many queued batches go into one `flush`/`export` call.
const MAX_BATCHES_PER_FLUSH: usize = 64;

/// What flows to flushers: V1 log groups or V2 event groups.
pub(crate) trait Group: Clone + Send + 'static {
    /// Events (logs) in the group.
    fn events(&self) -> u64;
}

impl Group for LogGroup {
    fn events(&self) -> u64 {
        self.logs.len() as u64
    }
}

impl Group for PipelineGroupEvents {
    fn events(&self) -> u64 {
        self.events.len() as u64
    }
}

fn count<G: Group>(groups: &[G]) -> u64 {
    groups.iter().map(Group::events).sum()
}

/// A flusher of either version, seen by its thread.
pub(crate) trait FlushTarget<G>: Send + 'static {
    fn is_ready(&self, project: &str, logstore: &str, key: i64) -> bool;
    fn set_urgent(&mut self, urgent: bool);
    fn flush(&mut self, groups: Vec<G>) -> Result<(), BoxError>;
    fn stop(&mut self) -> Result<(), BoxError>;
}

/// Who the pipeline is, as flushers are told.
#[derive(Debug, Clone)]
pub(crate) struct Ident {
    pub project: String,
    pub logstore: String,
    pub config_name: String,
    pub logstore_key: i64,
}

pub(crate) struct V1Target {
    pub plugin: Box<dyn FlusherV1>,
    pub ident: Ident,
}

impl FlushTarget<LogGroup> for V1Target {
    fn is_ready(&self, project: &str, logstore: &str, key: i64) -> bool {
        self.plugin.is_ready(project, logstore, key)
    }
    fn set_urgent(&mut self, urgent: bool) {
        self.plugin.set_urgent(urgent);
    }
    fn flush(&mut self, groups: Vec<LogGroup>) -> Result<(), BoxError> {
        let i = &self.ident;
        self.plugin
            .flush(&i.project, &i.logstore, &i.config_name, groups)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.plugin.stop()
    }
}

pub(crate) struct V2Target {
    pub plugin: Box<dyn FlusherV2>,
}

impl FlushTarget<PipelineGroupEvents> for V2Target {
    fn is_ready(&self, project: &str, logstore: &str, key: i64) -> bool {
        self.plugin.is_ready(project, logstore, key)
    }
    fn set_urgent(&mut self, urgent: bool) {
        self.plugin.set_urgent(urgent);
    }
    fn flush(&mut self, groups: Vec<PipelineGroupEvents>) -> Result<(), BoxError> {
        // iLogtail hands flushers a no-op context.
        self.plugin
            .export(groups, &PipelineContext::new(PipelineCollector::noop()))
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.plugin.stop()
    }
}

/// A flusher's counters and state, shared by its thread, the fan-out and the report.
#[derive(Debug)]
pub(crate) struct FlusherState {
    pub label: PluginLabel,
    /// Milliseconds since `epoch` at which it started waiting for `is_ready`; 0 when not
    /// waiting.
    waiting_since_ms: AtomicU64,
    epoch: Instant,
    /// Events handed to `flush`/`export` that returned `Ok`.
    pub flushed: AtomicU64,
    /// Events dropped for this flusher (full queue while stalled, errors, panics, stop).
    pub dropped: AtomicU64,
    /// How many times a batch was dropped because the flusher stalled (for rate-limiting
    /// warnings).
    stall_drops: AtomicU64,
}

impl FlusherState {
    pub(crate) fn new(label: PluginLabel) -> Self {
        Self {
            label,
            waiting_since_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            flushed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            stall_drops: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// Marks the start (keeping the first one) or the end of a wait for `is_ready`.
    fn set_waiting(&self, waiting: bool) {
        if waiting {
            let _ = self.waiting_since_ms.compare_exchange(
                0,
                self.now_ms(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
        } else {
            self.waiting_since_ms.store(0, Ordering::SeqCst);
        }
    }

    /// Whether it has been waiting for `is_ready` for longer than `grace`.
    fn stalled(&self, grace: Duration) -> bool {
        let since = self.waiting_since_ms.load(Ordering::SeqCst);
        since != 0
            && self.now_ms().saturating_sub(since)
                >= u64::try_from(grace.as_millis()).unwrap_or(u64::MAX)
    }

    fn drop_events(&self, n: u64, why: &str) {
        if n == 0 {
            return;
        }
        self.dropped.fetch_add(n, Ordering::Relaxed);
        let times = self.stall_drops.fetch_add(1, Ordering::Relaxed) + 1;
        if times <= 10 || times.is_multiple_of(1000) {
            tracing::warn!(
                config = %self.label.config,
                plugin = %self.label.type_with_id,
                "flusher {}: {n} events dropped: {why}",
                self.label
            );
        }
    }
}

/// The sending side of one flusher's queue.
pub(crate) struct FlusherOut<G> {
    pub tx: Sender<Vec<G>>,
    pub state: Arc<FlusherState>,
}

/// Sends each batch to every flusher's queue.
pub(crate) struct FanOut<G> {
    pub outs: Vec<FlusherOut<G>>,
    pub stall_grace: Duration,
    pub stop: Arc<StopState>,
}

impl<G: Group> FanOut<G> {
    /// Sends `batch` to every flusher (a clone to each but the last).
    pub(crate) fn send(&self, batch: Vec<G>) {
        if batch.is_empty() {
            return;
        }
        let Some((last, rest)) = self.outs.split_last() else {
            return;
        };
        for out in rest {
            self.deliver(out, batch.clone());
        }
        self.deliver(last, batch);
    }

    fn deliver(&self, out: &FlusherOut<G>, batch: Vec<G>) {
        let mut batch = match out.tx.try_send(batch) {
            Ok(()) => return,
            Err(TrySendError::Disconnected(b)) => {
                out.state.drop_events(count(&b), "its thread has ended");
                return;
            }
            Err(TrySendError::Full(b)) => b,
        };
        loop {
            if out.state.stalled(self.stall_grace) {
                out.state.drop_events(
                    count(&batch),
                    "its queue is full and it has not been ready for a while (the other flushers go on)",
                );
                return;
            }
            if self.stop.drain_overdue() {
                out.state.drop_events(
                    count(&batch),
                    "its queue is full and the pipeline's stop is overdue",
                );
                return;
            }
            match out.tx.send_timeout(batch, BLOCKED_POLL) {
                Ok(()) => return,
                Err(SendTimeoutError::Timeout(b)) => batch = b,
                Err(SendTimeoutError::Disconnected(b)) => {
                    out.state.drop_events(count(&b), "its thread has ended");
                    return;
                }
            }
        }
    }
}

/// The body of a flusher's thread: take a batch, wait until the flusher is ready, flush it
/// together with what else is queued; at the end (the fan-out is gone and the queue empty),
/// stop the flusher.
pub(crate) fn run_flusher<G: Group, T: FlushTarget<G>>(
    mut target: T,
    rx: Receiver<Vec<G>>,
    state: Arc<FlusherState>,
    stop: Arc<StopState>,
    ident: Ident,
) {
    let label = state.label.clone();
    let mut urgent_told = false;
    let mut tell_urgent = |target: &mut T| {
        if !urgent_told && stop.is_urgent() {
            urgent_told = true;
            guard::call(&label, "set_urgent", || target.set_urgent(true));
        }
    };
    loop {
        tell_urgent(&mut target);
        let first = match rx.recv_timeout(IDLE_POLL) {
            Ok(b) => b,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Wait for readiness before taking more, so that an unready flusher holds one batch
        // beside its queue, not more.
        let mut ready = false;
        loop {
            let r = guard::call(&label, "is_ready", || {
                target.is_ready(&ident.project, &ident.logstore, ident.logstore_key)
            })
            .unwrap_or(false);
            if r {
                state.set_waiting(false);
                ready = true;
                break;
            }
            state.set_waiting(true);
            if stop.flush_overdue() {
                break;
            }
            tell_urgent(&mut target);
            std::thread::sleep(READY_POLL);
        }
        if !ready {
            state.set_waiting(false);
            let mut n = count(&first);
            while let Ok(b) = rx.try_recv() {
                n += count(&b);
            }
            state.drop_events(
                n,
                "it was still not ready when the pipeline's stop time was up",
            );
            continue;
        }
        let mut groups = first;
        for _ in 1..MAX_BATCHES_PER_FLUSH {
            match rx.try_recv() {
                Ok(b) => groups.extend(b),
                Err(_) => break,
            }
        }
        let n = count(&groups);
        match guard::call(&label, "flush", || target.flush(groups)) {
            Some(Ok(())) => {
                state.flushed.fetch_add(n, Ordering::Relaxed);
            }
            Some(Err(e)) => {
                guard::report_error(&label, "flush", &e);
                state.dropped.fetch_add(n, Ordering::Relaxed);
            }
            None => {
                state.dropped.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
    tell_urgent(&mut target);
    if let Some(Err(e)) = guard::call(&label, "stop", || target.stop()) {
        guard::report_error(&label, "stop", &e);
    }
}
