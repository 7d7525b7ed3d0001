//! The flusher stage: one bounded queue and one thread per flusher, and the fan-out that
//! feeds them.
//!
//! iLogtail's runner (`plugin_runner_v1.go`) waits until *every* flusher is ready before it
//! flushes to any, so one unready flusher stalls them all. Here each flusher has its own queue and
//! thread. The fan-out blocks on a full queue (back-pressure: a slow but working flusher slows
//! the pipeline down). Under the `drop_newest` policy, once that flusher has been waiting
//! for `is_ready` longer than the stall grace, the batch is dropped *for that flusher only*,
//! counted and reported, and the others go on; under `block` (the default) the fan-out
//! waits.
//!
//! A failed `flush`/`export` is retried with the same groups (flushers borrow them, so
//! nothing is copied for a retry), with exponential backoff and jitter, up to the flusher's
//! `MaxRetries` and never past the stop's flush deadline; a [`PermanentError`] is not
//! retried.

use super::counts::QueueDepth;
use super::guard::{self, PluginLabel};
use super::stop::StopState;
use crate::pipeline_config::{DeliveryConfig, DeliveryPolicy};
use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender, TrySendError};
use pipeplug::models::PipelineGroupEvents;
use pipeplug::plugin::{Flusher, FlusherV1, FlusherV2};
use pipeplug::protocol::LogGroup;
use pipeplug::{BoxError, Context, Counter, PermanentError, PipelineCollector, PipelineContext};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How often an unready flusher is asked again (iLogtail: 10 ms).
const READY_POLL: Duration = Duration::from_millis(10);
/// How often a blocked fan-out looks again at the flusher's state.
const BLOCKED_POLL: Duration = Duration::from_millis(10);
/// How often an idle flusher thread looks at the urgent flag.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// At most this many queued batches go into one `flush`/`export` call.
const MAX_BATCHES_PER_FLUSH: usize = 64;
/// A flusher's drop warnings come at most this often (each says how many so far).
const WARN_EVERY_MS: u64 = 10_000;

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

/// How a flusher of either version takes groups: `flush` (V1, with the pipeline's identity)
/// or `export` (V2). The rest (`is_ready`, `set_urgent`, `stop`) is the base [`Flusher`]
/// trait, the same in both.
pub(crate) trait Export<G>: Flusher {
    fn export_groups(&mut self, ident: &Ident, groups: &[G]) -> Result<(), BoxError>;
}

impl Export<LogGroup> for dyn FlusherV1 {
    fn export_groups(&mut self, i: &Ident, groups: &[LogGroup]) -> Result<(), BoxError> {
        self.flush(&i.project, &i.logstore, &i.config_name, groups)
    }
}

impl Export<PipelineGroupEvents> for dyn FlusherV2 {
    fn export_groups(&mut self, _: &Ident, groups: &[PipelineGroupEvents]) -> Result<(), BoxError> {
        // iLogtail hands flushers a no-op context.
        self.export(groups, &PipelineContext::new(PipelineCollector::noop()))
    }
}

/// Who the pipeline is, as flushers are told.
#[derive(Debug, Clone)]
pub(crate) struct Ident {
    pub project: String,
    pub logstore: String,
    pub config_name: String,
    pub logstore_key: i64,
}

/// Why events were dropped for a flusher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// `drop_newest`: its queue was full and it had been unready longer than the grace.
    Stalled,
    /// `flush`/`export` kept failing: retries used up, or the stop deadline came first.
    Failed,
    /// `flush`/`export` returned a [`PermanentError`].
    Permanent,
    /// `flush`/`export` panicked.
    Panicked,
    /// The stop's time was up: still unready, queued behind a blocked call, or inside a
    /// call that had not returned.
    AtStop,
}

impl DropReason {
    /// Every reason, in the order of `FlusherState::drops`.
    pub(crate) const ALL: [Self; 5] = [
        Self::Stalled,
        Self::Failed,
        Self::Permanent,
        Self::Panicked,
        Self::AtStop,
    ];

    /// The reason as the stop report and the `reason` label of the self-metric name it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Stalled => "stalled",
            Self::Failed => "failed",
            Self::Permanent => "permanent",
            Self::Panicked => "panicked",
            Self::AtStop => "at_stop",
        }
    }
}

/// Self-metric names of a flusher's deliveries, counted under the flusher's `Context`
/// (labels `config_name` and `plugin`, plus `reason` for drops).
pub const FLUSHED_EVENTS_METRIC: &str = "flusher_flushed_events";
/// See [`FLUSHED_EVENTS_METRIC`].
pub const DROPPED_EVENTS_METRIC: &str = "flusher_dropped_events";

/// The self-metrics a flusher's deliveries are counted in, beside the stop report.
struct DeliveryMetrics {
    flushed: Counter,
    dropped: [Counter; 5],
}

impl DeliveryMetrics {
    fn new(ctx: &Context) -> Self {
        Self {
            flushed: ctx.counter(FLUSHED_EVENTS_METRIC),
            dropped: DropReason::ALL
                .map(|r| ctx.counter_with_labels(DROPPED_EVENTS_METRIC, &[("reason", r.as_str())])),
        }
    }
}

/// A flusher's counters and state, shared by its thread, the fan-out and the report.
pub(crate) struct FlusherState {
    pub label: PluginLabel,
    pub delivery: DeliveryConfig,
    /// Milliseconds since `epoch` at which it started waiting for `is_ready`; 0 when not
    /// waiting.
    waiting_since_ms: AtomicU64,
    epoch: Instant,
    /// Events handed to `flush`/`export` that returned `Ok`.
    pub flushed: AtomicU64,
    /// Events dropped, per [`DropReason`] (in its order).
    drops: [AtomicU64; 5],
    /// Events inside a `flush`/`export` call that has not returned yet (taken by the stop
    /// when it gives up on the thread, so that they are counted once).
    in_flight: AtomicU64,
    /// Batches put in its queue whose outcome (flushed or dropped) is not known yet: a test
    /// waits for it to come down to zero ([`FlusherState::is_idle`]).
    unfinished: AtomicU64,
    /// When a drop was last warned about (ms since `epoch`; 0: never).
    last_warn_ms: AtomicU64,
    /// When a retried `flush`/`export` failure was last warned about (0: never).
    last_retry_warn_ms: AtomicU64,
    /// Takes what is left in its queue and counts the events (set once the queue exists).
    queued: OnceLock<Box<dyn Fn() -> u64 + Send + Sync>>,
    /// How full its queue is (set once the queue exists).
    depth: OnceLock<Box<dyn Fn() -> QueueDepth + Send + Sync>>,
    /// The same counts as self-metrics of the flusher's context.
    metrics: DeliveryMetrics,
}

impl std::fmt::Debug for FlusherState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlusherState")
            .field("label", &self.label)
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}

impl FlusherState {
    /// The state of the flusher `label`; its deliveries are also counted in `ctx`'s
    /// self-metrics (the flusher's own context).
    pub(crate) fn new(label: PluginLabel, delivery: DeliveryConfig, ctx: &Context) -> Self {
        Self {
            metrics: DeliveryMetrics::new(ctx),
            label,
            delivery,
            waiting_since_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            flushed: AtomicU64::new(0),
            drops: Default::default(),
            in_flight: AtomicU64::new(0),
            unfinished: AtomicU64::new(0),
            last_warn_ms: AtomicU64::new(0),
            last_retry_warn_ms: AtomicU64::new(0),
            queued: OnceLock::new(),
            depth: OnceLock::new(),
        }
    }

    /// Lets the stop take what is left in the queue of `rx` (see [`Self::settle`]).
    pub(crate) fn watch_queue<G: Group>(&self, rx: Receiver<Vec<G>>) {
        let r = rx.clone();
        let _ = self.depth.set(Box::new(move || QueueDepth {
            len: r.len(),
            capacity: r.capacity().unwrap_or(0),
        }));
        let _ = self
            .queued
            .set(Box::new(move || rx.try_iter().map(|b| count(&b)).sum()));
    }

    /// How full its queue is, in batches.
    pub(crate) fn queue_depth(&self) -> QueueDepth {
        self.depth.get().map_or(
            QueueDepth {
                len: 0,
                capacity: 0,
            },
            |depth| depth(),
        )
    }

    /// Whether every batch put in its queue so far has been flushed or dropped.
    pub(crate) fn is_idle(&self) -> bool {
        self.unfinished.load(Ordering::SeqCst) == 0
    }

    /// `n` batches taken from its queue have an outcome.
    fn finished(&self, n: u64) {
        self.unfinished.fetch_sub(n, Ordering::SeqCst);
    }

    /// Events dropped for `reason` so far.
    pub(crate) fn dropped(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize].load(Ordering::Relaxed)
    }

    /// Events dropped so far, whatever the reason.
    pub(crate) fn dropped_total(&self) -> u64 {
        self.drops.iter().map(|d| d.load(Ordering::Relaxed)).sum()
    }

    /// Once its thread has ended or been given up on: the events still queued for it, and
    /// those inside a call that has not returned, are dropped for [`DropReason::AtStop`].
    pub(crate) fn settle(&self) {
        let inside = self.in_flight.swap(0, Ordering::SeqCst);
        let queued = self.queued.get().map_or(0, |take| take());
        self.drop_events(
            inside + queued,
            DropReason::AtStop,
            "its thread did not finish within the stop's deadline (blocked in a call, or behind one)",
        );
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

    /// Whether a warning guarded by `last` is due (the first time, then at most every
    /// [`WARN_EVERY_MS`]); when it is, `last` takes the time now.
    fn warn_due(&self, last: &AtomicU64) -> bool {
        let now = self.now_ms();
        let before = last.load(Ordering::Relaxed);
        (before == 0 || now.saturating_sub(before) >= WARN_EVERY_MS)
            && last
                .compare_exchange(before, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Says that a failed `flush`/`export` will be retried: a warning the first time, then at
    /// most every [`WARN_EVERY_MS`] (a destination that fails for a while is seen without
    /// flooding the log); the other times at debug level.
    fn retrying(&self, chain: &str, retry: u32, wait: Duration) {
        if self.warn_due(&self.last_retry_warn_ms) {
            tracing::warn!(
                config = %self.label.config,
                plugin = %self.label.type_with_id,
                "flusher {}: `flush` failed ({chain}); retry {retry} in {wait:?} (the next \
                 failures are logged at debug level for {} s)",
                self.label,
                WARN_EVERY_MS / 1000
            );
        } else {
            tracing::debug!(
                config = %self.label.config,
                plugin = %self.label.type_with_id,
                "flusher {}: `flush` failed ({chain}); retry {retry} in {wait:?}",
                self.label
            );
        }
    }

    /// Counts `n` events dropped for `reason`, and warns about it: the first time, then at
    /// most every [`WARN_EVERY_MS`], each warning with the totals so far.
    pub(crate) fn drop_events(&self, n: u64, reason: DropReason, why: &str) {
        if n == 0 {
            return;
        }
        self.drops[reason as usize].fetch_add(n, Ordering::Relaxed);
        self.metrics.dropped[reason as usize].add(n);
        if self.warn_due(&self.last_warn_ms) {
            tracing::warn!(
                config = %self.label.config,
                plugin = %self.label.type_with_id,
                reason = ?reason,
                "flusher {}: {n} events dropped: {why} ({} dropped for it so far)",
                self.label,
                self.dropped_total()
            );
        }
    }
}

/// The sending side of one flusher's queue.
pub(crate) struct FlusherOut<G> {
    pub tx: Sender<Vec<G>>,
    pub state: Arc<FlusherState>,
    /// Its queue stayed full past the drain deadline.
    pub held_up: AtomicBool,
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

    /// Counts `n` events that never reached the flushers, because the stop's time was up,
    /// as dropped for every flusher.
    pub(crate) fn drop_for_all(&self, n: u64) {
        for out in &self.outs {
            out.state.drop_events(
                n,
                DropReason::AtStop,
                "still queued for processing when the pipeline's stop was overdue",
            );
        }
    }

    fn deliver(&self, out: &FlusherOut<G>, batch: Vec<G>) {
        // Counted before it is sent (the flusher thread may finish it at once); a batch that
        // is not sent is counted off again.
        out.state.unfinished.fetch_add(1, Ordering::SeqCst);
        if !self.try_deliver(out, batch) {
            out.state.finished(1);
        }
    }

    /// Sends `batch` to `out`'s queue (`true`), or drops it for the reason it says (`false`).
    fn try_deliver(&self, out: &FlusherOut<G>, batch: Vec<G>) -> bool {
        let mut batch = match out.tx.try_send(batch) {
            Ok(()) => return true,
            Err(TrySendError::Disconnected(b)) => {
                out.state
                    .drop_events(count(&b), DropReason::AtStop, "its thread has ended");
                return false;
            }
            Err(TrySendError::Full(b)) => b,
        };
        let drop_newest = out.state.delivery.policy == DeliveryPolicy::DropNewest;
        // Past the drain deadline a flusher gets one more poll for room, unless it already
        // let one pass (then it is held up: its batches are dropped at once, so that the
        // others still get theirs before the processing thread gives up).
        let mut last_chance = !out.held_up.load(Ordering::Relaxed);
        loop {
            if drop_newest && out.state.stalled(self.stall_grace) {
                out.state.drop_events(
                    count(&batch),
                    DropReason::Stalled,
                    "policy drop_newest: its queue is full and it has not been ready for a while (the other flushers go on)",
                );
                return false;
            }
            if self.stop.drain_overdue() && !std::mem::take(&mut last_chance) {
                out.held_up.store(true, Ordering::Relaxed);
                out.state.drop_events(
                    count(&batch),
                    DropReason::AtStop,
                    "its queue is full and the pipeline's stop is overdue",
                );
                return false;
            }
            match out.tx.send_timeout(batch, BLOCKED_POLL) {
                Ok(()) => return true,
                Err(SendTimeoutError::Timeout(b)) => batch = b,
                Err(SendTimeoutError::Disconnected(b)) => {
                    out.state
                        .drop_events(count(&b), DropReason::AtStop, "its thread has ended");
                    return false;
                }
            }
        }
    }
}

/// A random factor in 0.75 ..= 1.25 (retry jitter), from the standard library's
/// randomly keyed hasher.
fn jitter(d: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let r = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    // r % 501 is 0..=500: a factor of 750..=1250 thousandths.
    let factor = 750 + u32::try_from(r % 501).unwrap_or(0);
    d * factor / 1000
}

/// A flusher's thread: its plugin, its queue and what it shares with the others.
struct FlusherThread<G, F: ?Sized> {
    plugin: Box<F>,
    rx: Receiver<Vec<G>>,
    state: Arc<FlusherState>,
    stop: Arc<StopState>,
    ident: Ident,
    urgent_told: bool,
}

impl<G: Group, F: ?Sized + Export<G>> FlusherThread<G, F> {
    fn tell_urgent(&mut self) {
        if !self.urgent_told && self.stop.is_urgent() {
            self.urgent_told = true;
            let plugin = &mut self.plugin;
            guard::call(&self.state.label, "set_urgent", || plugin.set_urgent(true));
        }
    }

    /// Waits until the flusher is ready; `false` when the stop's flush time ran out first.
    fn wait_ready(&mut self) -> bool {
        loop {
            let (plugin, ident) = (&self.plugin, &self.ident);
            let r = guard::call(&self.state.label, "is_ready", || {
                plugin.is_ready(&ident.project, &ident.logstore, ident.logstore_key)
            })
            .unwrap_or(false);
            if r {
                self.state.set_waiting(false);
                return true;
            }
            self.state.set_waiting(true);
            if self.stop.flush_overdue() {
                self.state.set_waiting(false);
                return false;
            }
            self.tell_urgent();
            std::thread::sleep(READY_POLL);
        }
    }

    fn run(mut self) {
        loop {
            self.tell_urgent();
            let first = match self.rx.recv_timeout(IDLE_POLL) {
                Ok(b) => b,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let taken = self.handle(first);
            self.state.finished(taken);
        }
        self.tell_urgent();
        let plugin = &mut self.plugin;
        if let Some(Err(e)) = guard::call(&self.state.label, "stop", || plugin.stop()) {
            guard::report_error(&self.state.label, "stop", &e);
        }
    }

    /// Flushes `first` with what else is queued, or drops it; returns how many batches it
    /// took from the queue.
    fn handle(&mut self, first: Vec<G>) -> u64 {
        let mut taken = 1;
        // Wait for readiness before taking more, so that an unready flusher holds one
        // batch beside its queue, not more. The batch held counts as in flight: a stop
        // that gives up on a thread blocked in `is_ready` counts it dropped.
        self.state.in_flight.store(count(&first), Ordering::SeqCst);
        if !self.wait_ready() {
            if self.state.in_flight.swap(0, Ordering::SeqCst) == 0 {
                return taken;
            }
            let mut n = count(&first);
            for b in self.rx.try_iter() {
                n += count(&b);
                taken += 1;
            }
            self.state.drop_events(
                n,
                DropReason::AtStop,
                "it was still not ready when the pipeline's stop time was up",
            );
            return taken;
        }
        let held = count(&first);
        let mut groups = first;
        for _ in 1..MAX_BATCHES_PER_FLUSH {
            match self.rx.try_recv() {
                Ok(b) => {
                    groups.extend(b);
                    taken += 1;
                }
                Err(_) => break,
            }
        }
        let n = count(&groups);
        let swapped =
            self.state
                .in_flight
                .compare_exchange(held, n, Ordering::SeqCst, Ordering::SeqCst);
        if swapped.is_err() {
            // The stop gave up on this thread and counted the batch held.
            return taken;
        }
        self.deliver(groups, n);
        taken
    }

    /// One `flush`/`export` of `groups` (`n` events, counted in flight until the outcome is
    /// known), retried as the flusher's delivery settings say.
    fn deliver(&mut self, groups: Vec<G>, n: u64) {
        let d = self.state.delivery;
        let mut retries = 0;
        let mut delay = d.retry_initial_delay;
        self.state.label.stats.add_in(n);
        loop {
            let plugin = &mut self.plugin;
            let result = guard::timed_call(&self.state.label, "flush", || {
                plugin.export_groups(&self.ident, &groups)
            });
            let e = match result {
                Some(Ok(())) => {
                    if self.owns_outcome() {
                        self.state.flushed.fetch_add(n, Ordering::Relaxed);
                        self.state.metrics.flushed.add(n);
                        self.state.label.stats.add_out(n);
                    }
                    return;
                }
                None => {
                    if self.owns_outcome() {
                        let why = "`flush` panicked";
                        self.state.drop_events(n, DropReason::Panicked, why);
                    }
                    return;
                }
                Some(Err(e)) => e,
            };
            self.state.label.stats.add_error();
            let chain = pipeplug::error_chain(&*e);
            let wait = jitter(delay);
            let (reason, why) = if PermanentError::is_permanent(&*e) {
                let why = format!("`flush` failed with a permanent error (not retried): {chain}");
                (DropReason::Permanent, why)
            } else if retries >= d.max_retries || self.stop.flush_due_before(wait) {
                let why = format!("`flush` failed after {retries} retries: {chain}");
                (DropReason::Failed, why)
            } else {
                self.state.retrying(&chain, retries + 1, wait);
                std::thread::sleep(wait);
                if self.state.in_flight.load(Ordering::SeqCst) == 0 {
                    return; // given up on by the stop, and counted
                }
                retries += 1;
                delay = (delay * 2).min(d.retry_max_delay);
                continue;
            };
            if self.owns_outcome() {
                self.state.drop_events(n, reason, &why);
            }
            return;
        }
    }

    /// Takes the events in flight back from the stop: `false` when the stop already gave
    /// up on this thread and counted them as dropped.
    fn owns_outcome(&self) -> bool {
        self.state.in_flight.swap(0, Ordering::SeqCst) != 0
    }
}

/// The body of a flusher's thread: take a batch, wait until the flusher is ready, flush it
/// together with what else is queued (retrying a failure); at the end (the fan-out is gone
/// and the queue empty), stop the flusher.
pub(crate) fn run_flusher<G: Group, F: ?Sized + Export<G>>(
    plugin: Box<F>,
    rx: Receiver<Vec<G>>,
    state: Arc<FlusherState>,
    stop: Arc<StopState>,
    ident: Ident,
) {
    FlusherThread {
        plugin,
        rx,
        state,
        stop,
        ident,
        urgent_told: false,
    }
    .run();
}
