//! What the engine counts per plugin while a pipeline runs (events in and out, errors,
//! panics, events lost, time per call), and the [`MetricsHub`] where running pipelines can
//! be read from another thread (the `/metrics` endpoint of `pipeplug run --metrics-listen`).
//!
//! The hot path takes no lock: each plugin has its own [`PluginStats`], relaxed atomics
//! written by the one thread that calls the plugin (its input thread, the processing thread,
//! its flusher thread) and read only when a snapshot is taken. Counts are per call, not per
//! event: a processor's call takes a batch, and an aggregator's per-log `add` calls are
//! timed together, as one call per batch.

use super::flush::{DropReason, FlusherState};
use super::InputControl;
use pipeplug::registry::PluginKind;
use pipeplug::{Context, PluginMeta, SelfMetric};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Upper bounds of the call-time histogram's buckets, in nanoseconds (1 µs to 10 s).
const BUCKETS_NS: [u64; 15] = [
    1_000,
    5_000,
    10_000,
    50_000,
    100_000,
    500_000,
    1_000_000,
    5_000_000,
    10_000_000,
    50_000_000,
    100_000_000,
    500_000_000,
    1_000_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// Durations of calls, in fixed buckets (the last counts those past every bound).
#[derive(Debug, Default)]
pub(crate) struct CallTimes {
    buckets: [AtomicU64; BUCKETS_NS.len() + 1],
    sum_ns: AtomicU64,
}

impl CallTimes {
    fn observe(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let i = BUCKETS_NS
            .iter()
            .position(|&b| ns <= b)
            .unwrap_or(BUCKETS_NS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    fn snapshot(&self) -> CallHistogram {
        let mut total = 0;
        let mut buckets = Vec::with_capacity(BUCKETS_NS.len() + 1);
        for (i, b) in self.buckets.iter().enumerate() {
            total += b.load(Ordering::Relaxed);
            // Nanoseconds to seconds: the bounds are exact in an f64.
            #[allow(clippy::cast_precision_loss)]
            let bound = BUCKETS_NS
                .get(i)
                .map_or(f64::INFINITY, |&ns| ns as f64 / 1e9);
            buckets.push((bound, total));
        }
        #[allow(clippy::cast_precision_loss)]
        let sum_seconds = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        CallHistogram {
            count: total,
            sum_seconds,
            buckets,
        }
    }
}

/// The engine's counts of one plugin instance. Shared by its label (every call site has
/// one) and the pipeline's entry in the [`MetricsHub`].
#[derive(Debug)]
pub(crate) struct PluginStats {
    /// Counting is on (`EngineOptions::count_plugin_stats`); off, nothing is counted but
    /// panics.
    enabled: AtomicBool,
    events_in: AtomicU64,
    events_out: AtomicU64,
    errors: AtomicU64,
    panics: AtomicU64,
    /// Events lost inside a call that panicked (processors, aggregators).
    lost_in_panics: AtomicU64,
    /// Events an aggregator kept refusing.
    refused: AtomicU64,
    calls: CallTimes,
}

impl Default for PluginStats {
    fn default() -> Self {
        Self {
            enabled: AtomicBool::new(true),
            events_in: AtomicU64::new(0),
            events_out: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            lost_in_panics: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            calls: CallTimes::default(),
        }
    }
}

impl PluginStats {
    /// Turns counting on or off (before the pipeline's threads start).
    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    /// Whether counting is on.
    #[inline]
    pub(crate) fn on(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// When counting is on: now, the start of a call to time with [`Self::end_call`].
    #[inline]
    pub(crate) fn begin_call(&self) -> Option<Instant> {
        self.on().then(Instant::now)
    }

    /// Records the time of a call begun with [`Self::begin_call`].
    #[inline]
    pub(crate) fn end_call(&self, began: Option<Instant>) {
        if let Some(t) = began {
            self.calls.observe(t.elapsed());
        }
    }

    /// `n` events handed to the plugin.
    #[inline]
    pub(crate) fn add_in(&self, n: u64) {
        if self.on() {
            self.events_in.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// `n` events the plugin gave out (inputs, processors, aggregators) or flushed.
    #[inline]
    pub(crate) fn add_out(&self, n: u64) {
        if self.on() {
            self.events_out.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// A call returned an error.
    pub(crate) fn add_error(&self) {
        if self.on() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A call panicked (counted even with counting off: it is rare and reported anyway).
    pub(crate) fn add_panic(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` events lost in a call that panicked.
    pub(crate) fn add_lost_in_panic(&self, n: u64) {
        self.lost_in_panics.fetch_add(n, Ordering::Relaxed);
    }

    /// `n` events an aggregator kept refusing.
    pub(crate) fn add_refused(&self, n: u64) {
        self.refused.fetch_add(n, Ordering::Relaxed);
    }
}

/// A plugin's call-time histogram as read: cumulative buckets, as Prometheus has them.
#[derive(Debug, Clone, PartialEq)]
pub struct CallHistogram {
    /// Calls timed.
    pub count: u64,
    /// Their total time, in seconds.
    pub sum_seconds: f64,
    /// `(upper bound in seconds, calls that took at most that)`, ascending; the last bound
    /// is infinite and counts every call.
    pub buckets: Vec<(f64, u64)>,
}

/// How full a queue is, in batches (a flusher's queue holds `DefaultLogGroupQueueSize`
/// batches; the input queue about `DefaultLogQueueSize` events in batches of up to 1024 logs
/// or 64 groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    /// Batches queued.
    pub len: usize,
    /// Batches it holds at most.
    pub capacity: usize,
}

/// One plugin instance's engine counts, read at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSnapshot {
    /// Its type (`processor_add_fields`).
    pub plugin_type: String,
    /// Its id: the one the config gave, else its number in the pipeline (empty for the
    /// engine's pass-through aggregator).
    pub plugin_id: String,
    /// Events handed to it: a processor's or an aggregator's input, what went into a
    /// flusher's `flush`/`export` calls (once per batch, not per retry); 0 for inputs.
    pub events_in: u64,
    /// Events it gave out: an input's, a processor's output, what an aggregator's flushes
    /// returned, what a flusher flushed (its call returned `Ok`).
    pub events_out: u64,
    /// Events lost at this plugin, by reason: a flusher's drop reasons (`stalled`,
    /// `failed`, `permanent`, `panicked`, `at_stop`), `panicked` for the data of a
    /// processor's or aggregator's call that panicked, `refused` for the logs an
    /// aggregator kept refusing. Every reason of its kind is listed, with 0 when none;
    /// none for inputs.
    pub dropped: Vec<(&'static str, u64)>,
    /// Calls that returned an error (`collect`, `start`, `stop`, an aggregator's refused
    /// `add`/`record`, a flusher's failed `flush`/`export`, each retry counting).
    pub errors: u64,
    /// Calls that panicked.
    pub panics: u64,
    /// The time of its work calls: `collect`/`read`, `process_logs`/`process`,
    /// an aggregator's adds or records of one batch, `flush`/`get_result`, a flusher's
    /// `flush`/`export`.
    pub calls: CallHistogram,
    /// A flusher's queue.
    pub queue: Option<QueueDepth>,
}

/// One pipeline read at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSnapshot {
    /// The config name.
    pub name: String,
    /// Running: started and not stopping.
    pub running: bool,
    /// Events accepted from its inputs.
    pub events_in: u64,
    /// Its input queue.
    pub input_queue: QueueDepth,
    /// Its plugins, in config order by kind: inputs, processors, aggregators, flushers.
    pub plugins: Vec<PluginSnapshot>,
    /// The self-metrics its plugins registered in their `Context`
    /// ([`Context::export_metrics`]).
    pub self_metrics: Vec<SelfMetric>,
}

/// A running pipeline as the hub sees it.
pub(crate) struct PipelineEntry {
    pub name: String,
    pub ctx: Context,
    pub running: AtomicBool,
    pub input: Arc<dyn InputControl>,
    pub plugins: Vec<PluginEntry>,
    pub flushers: Vec<Arc<FlusherState>>,
}

/// Turns each plugin's counting on or off (before the pipeline's threads start); returns
/// them.
pub(crate) fn enable(plugins: Vec<PluginEntry>, on: bool) -> Vec<PluginEntry> {
    for (_, _, s) in &plugins {
        s.set_enabled(on);
    }
    plugins
}

/// A plugin as the hub knows it: its kind, identity and counts.
pub(crate) type PluginEntry = (PluginKind, PluginMeta, Arc<PluginStats>);

impl PipelineEntry {
    /// The entry of the running pipeline `name`.
    pub(crate) fn new(
        name: &str,
        ctx: &Context,
        input: &Arc<dyn InputControl>,
        plugins: Vec<PluginEntry>,
        flushers: &[Arc<FlusherState>],
    ) -> Self {
        Self {
            name: name.to_owned(),
            ctx: ctx.clone(),
            running: AtomicBool::new(true),
            input: Arc::clone(input),
            plugins,
            flushers: flushers.to_vec(),
        }
    }

    fn snapshot(&self) -> PipelineSnapshot {
        let plugins = self
            .plugins
            .iter()
            .map(|(kind, meta, stats)| {
                let flusher = self
                    .flushers
                    .iter()
                    .find(|f| Arc::ptr_eq(&f.label.stats, stats));
                let dropped = match flusher {
                    Some(f) => DropReason::ALL
                        .iter()
                        .map(|&r| (r.as_str(), f.dropped(r)))
                        .collect(),
                    None => {
                        let panicked = ("panicked", stats.lost_in_panics.load(Ordering::Relaxed));
                        match kind {
                            PluginKind::Processor => vec![panicked],
                            PluginKind::Aggregator => {
                                vec![panicked, ("refused", stats.refused.load(Ordering::Relaxed))]
                            }
                            // What an input's panicking call held is not known.
                            _ => Vec::new(),
                        }
                    }
                };
                PluginSnapshot {
                    plugin_type: meta.plugin_type.clone(),
                    plugin_id: meta.plugin_id.clone(),
                    events_in: stats.events_in.load(Ordering::Relaxed),
                    events_out: stats.events_out.load(Ordering::Relaxed),
                    dropped,
                    errors: stats.errors.load(Ordering::Relaxed),
                    panics: stats.panics.load(Ordering::Relaxed),
                    calls: stats.calls.snapshot(),
                    queue: flusher.map(|f| f.queue_depth()),
                }
            })
            .collect();
        PipelineSnapshot {
            name: self.name.clone(),
            running: self.running.load(Ordering::SeqCst),
            events_in: self.input.accepted(),
            input_queue: self.input.queue_depth(),
            plugins,
            self_metrics: self.ctx.export_metrics(),
        }
    }
}

/// Where running pipelines can be read from another thread: each pipeline started with
/// [`EngineOptions::metrics`](super::EngineOptions::metrics) set registers here, is marked
/// not running when its stop begins, and leaves once stopped. Reading takes a lock only
/// on the list of pipelines, never one the pipelines' threads take.
#[derive(Debug, Default)]
pub struct MetricsHub {
    pipelines: Mutex<Vec<Arc<PipelineEntry>>>,
}

impl std::fmt::Debug for PipelineEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineEntry")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl MetricsHub {
    /// An empty hub.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a pipeline; returns its entry (to [`Self::unregister`] it by).
    pub(crate) fn register(&self, entry: PipelineEntry) -> Arc<PipelineEntry> {
        let entry = Arc::new(entry);
        self.pipelines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&entry));
        entry
    }

    pub(crate) fn unregister(&self, entry: &Arc<PipelineEntry>) {
        self.pipelines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|e| !Arc::ptr_eq(e, entry));
    }

    /// Every registered pipeline, read now (in start order). Reading a plugin's averages
    /// ([`pipeplug::AverageMetric`]) starts their next interval, as iLogtail's export does.
    #[must_use]
    pub fn snapshot(&self) -> Vec<PipelineSnapshot> {
        let entries: Vec<Arc<PipelineEntry>> = self
            .pipelines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        entries.iter().map(|e| e.snapshot()).collect()
    }

    /// Whether every pipeline is running (and there is at least one), with a line per
    /// pipeline saying so: what `/health` answers.
    #[must_use]
    pub fn health(&self) -> (bool, String) {
        let pipelines = self
            .pipelines
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pipelines.is_empty() {
            return (false, "no pipeline is running\n".to_owned());
        }
        let mut ok = true;
        let mut text = String::new();
        for p in pipelines.iter() {
            let running = p.running.load(Ordering::SeqCst);
            ok &= running;
            let state = if running { "running" } else { "stopping" };
            text.push_str(&format!("{}: {state}\n", p.name));
        }
        (ok, text)
    }
}
