//! What the engine counts per plugin while a pipeline runs: events in and out, errors,
//! panics, events lost, the time of its calls ([`PluginStats`]), and how full a queue is
//! ([`QueueDepth`]). Read through the [`MetricsHub`](super::MetricsHub).
//!
//! The hot path takes no lock and no atomic read-modify-write: each plugin has its own
//! [`PluginStats`], relaxed atomics written with plain stores by the one thread that calls
//! the plugin (the processing thread, its flusher thread; an input's events under the input
//! queue's lock, taken anyway) and read only when a snapshot is taken.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Records one call's time. Only the thread calling the plugin records: plain stores.
    fn observe(&self, d: Duration) {
        self.observe_as(d, 1);
    }

    /// Records one call's time as `weight` calls of that time (a call timed for a sample
    /// of `weight`).
    fn observe_as(&self, d: Duration, weight: u64) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let i = BUCKETS_NS
            .iter()
            .position(|&b| ns <= b)
            .unwrap_or(BUCKETS_NS.len());
        let b = &self.buckets[i];
        b.store(b.load(Ordering::Relaxed) + weight, Ordering::Relaxed);
        let sum = self.sum_ns.load(Ordering::Relaxed);
        self.sum_ns.store(
            sum.saturating_add(ns.saturating_mul(weight)),
            Ordering::Relaxed,
        );
    }

    /// The histogram as read now.
    pub(crate) fn snapshot(&self) -> CallHistogram {
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
/// one) and the pipeline's entry in the [`MetricsHub`](super::MetricsHub).
#[derive(Debug)]
pub(crate) struct PluginStats {
    /// Counting is on (`EngineOptions::count_plugin_stats`); off, nothing is counted but
    /// panics.
    enabled: AtomicBool,
    pub(crate) events_in: AtomicU64,
    pub(crate) events_out: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) panics: AtomicU64,
    /// Events lost inside a call that panicked (processors, aggregators).
    pub(crate) lost_in_panics: AtomicU64,
    /// Events an aggregator kept refusing.
    pub(crate) refused: AtomicU64,
    pub(crate) calls: CallTimes,
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

    /// Records the time since `*since` as a call's, counted `weight` times (the call
    /// stands for a sample of that many), and restarts it; nothing when `since` is `None`
    /// (counting off, or a call not in the sample). Stages called one after the other share
    /// their clock reads.
    #[inline]
    pub(crate) fn lap(&self, since: &mut Option<Instant>, weight: u64) {
        if let Some(t) = since {
            let now = Instant::now();
            self.calls
                .observe_as(now.saturating_duration_since(*t), weight);
            *t = now;
        }
    }

    /// `n` events handed to the plugin. Called only by the one thread that calls the
    /// plugin (the processing thread, a flusher's thread): a plain store, no atomic add.
    #[inline]
    pub(crate) fn add_in(&self, n: u64) {
        if self.on() {
            let v = self.events_in.load(Ordering::Relaxed);
            self.events_in.store(v + n, Ordering::Relaxed);
        }
    }

    /// `n` events a processor or an aggregator gave out, or a flusher flushed; as
    /// [`Self::add_in`], by the one thread that calls the plugin.
    #[inline]
    pub(crate) fn add_out(&self, n: u64) {
        if self.on() {
            let v = self.events_out.load(Ordering::Relaxed);
            self.events_out.store(v + n, Ordering::Relaxed);
        }
    }

    /// `n` events an input sent: from any of its threads (a service input may send from
    /// several), under the input queue's lock (which orders the plain store).
    #[inline]
    pub(crate) fn add_out_locked(&self, n: u64) {
        let v = self.events_out.load(Ordering::Relaxed);
        self.events_out.store(v + n, Ordering::Relaxed);
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
