//! Self-metrics of a plugin: counters, gauges, averages and latencies (iLogtail's
//! `MetricsRecord`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A monotonically increasing count. Cheap to clone; clones share the value.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// The current count.
    #[must_use]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down. Cheap to clone; clones share the value.
#[derive(Debug, Clone, Default)]
pub struct Gauge(Arc<AtomicU64>);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }
    /// The current value.
    #[must_use]
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// The mean of the values added since it was last read (iLogtail's `AvgMetric`): reading
/// starts a new interval; an interval with no value reads as the previous mean. Cheap to
/// clone; clones share the value. Get one registered with
/// [`Context::average`](crate::Context::average).
///
/// ```
/// use pipeplug::AverageMetric;
/// let cost = AverageMetric::default();
/// cost.add(10.0);
/// cost.add(20.0);
/// assert_eq!(cost.mean(), 15.0);
/// assert_eq!(cost.mean(), 15.0); // nothing added since: the previous mean
/// cost.add(1.0);
/// assert_eq!(cost.mean(), 1.0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct AverageMetric(Arc<Mutex<AverageState>>);

#[derive(Debug, Default)]
struct AverageState {
    sum: f64,
    count: u64,
    previous: f64,
}

impl AverageMetric {
    /// Adds one value.
    pub fn add(&self, v: f64) {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        s.sum += v;
        s.count += 1;
    }
    /// The mean of the values added since the last read (the previous mean when none, 0
    /// at first), and starts a new interval (`GetAvg`).
    #[must_use]
    pub fn mean(&self) -> f64 {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if s.count > 0 {
            // Precision: a count past 2^53 loses ulps, which a mean does not mind.
            #[allow(clippy::cast_precision_loss)]
            let mean = s.sum / s.count as f64;
            s.previous = mean;
            s.sum = 0.0;
            s.count = 0;
        }
        s.previous
    }
    /// Forgets every value and the previous mean (`Clear`).
    pub fn clear(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = AverageState::default();
    }
}

/// Durations of an operation: how many and their total. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    count: Arc<AtomicU64>,
    total_ns: Arc<AtomicU64>,
}

impl Latency {
    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.total_ns.fetch_add(ns, Ordering::Relaxed);
    }
    /// Runs `f` and records how long it took.
    pub fn time<R>(&self, f: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let r = f();
        self.observe(start.elapsed());
        r
    }
    /// How many durations were recorded.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
    /// The mean duration, zero when none.
    #[must_use]
    pub fn mean(&self) -> Duration {
        let n = self.count();
        if n == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.total_ns.load(Ordering::Relaxed) / n)
    }
}

/// The kind and current value of one self-metric.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum SelfMetricValue {
    /// A counter's count.
    Counter(u64),
    /// A gauge's value.
    Gauge(f64),
    /// An average's mean over the interval that the export ended.
    Average(f64),
    /// A latency's count and mean in nanoseconds.
    Latency {
        /// How many durations.
        count: u64,
        /// Their mean, in nanoseconds.
        mean_ns: u64,
    },
}

/// One self-metric as exported: its name, its labels and its value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SelfMetric {
    /// The metric name.
    pub name: String,
    /// Labels: the pipeline's config name and the plugin, plus those given.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: SelfMetricValue,
}

#[derive(Debug, Clone)]
enum Cell {
    Counter(Counter),
    Gauge(Gauge),
    Average(AverageMetric),
    Latency(Latency),
}

type Labels = Vec<(String, String)>;

/// The self-metrics registered in a pipeline (`MetricsRecord`).
#[derive(Debug, Default)]
pub(crate) struct MetricsRecord {
    cells: Mutex<Vec<(String, Labels, Cell)>>,
}

impl MetricsRecord {
    fn get_or_add(
        &self,
        name: &str,
        labels: Vec<(String, String)>,
        make: impl FnOnce() -> Cell,
    ) -> Cell {
        let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, cell)) = cells.iter().find(|(n, l, _)| n == name && *l == labels) {
            return cell.clone();
        }
        let cell = make();
        cells.push((name.to_owned(), labels, cell.clone()));
        cell
    }

    pub(crate) fn counter(&self, name: &str, labels: Vec<(String, String)>) -> Counter {
        match self.get_or_add(name, labels, || Cell::Counter(Counter::default())) {
            Cell::Counter(c) => c,
            // A name registered as another kind gets a detached metric, not a panic.
            _ => Counter::default(),
        }
    }

    pub(crate) fn gauge(&self, name: &str, labels: Vec<(String, String)>) -> Gauge {
        match self.get_or_add(name, labels, || Cell::Gauge(Gauge::default())) {
            Cell::Gauge(g) => g,
            _ => Gauge::default(),
        }
    }

    pub(crate) fn average(&self, name: &str, labels: Vec<(String, String)>) -> AverageMetric {
        match self.get_or_add(name, labels, || Cell::Average(AverageMetric::default())) {
            Cell::Average(a) => a,
            _ => AverageMetric::default(),
        }
    }

    pub(crate) fn latency(&self, name: &str, labels: Vec<(String, String)>) -> Latency {
        match self.get_or_add(name, labels, || Cell::Latency(Latency::default())) {
            Cell::Latency(l) => l,
            _ => Latency::default(),
        }
    }

    pub(crate) fn export(&self) -> Vec<SelfMetric> {
        let cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        cells
            .iter()
            .map(|(name, labels, cell)| SelfMetric {
                name: name.clone(),
                labels: labels.clone(),
                value: match cell {
                    Cell::Counter(c) => SelfMetricValue::Counter(c.get()),
                    Cell::Gauge(g) => SelfMetricValue::Gauge(g.get()),
                    Cell::Average(a) => SelfMetricValue::Average(a.mean()),
                    Cell::Latency(l) => SelfMetricValue::Latency {
                        count: l.count(),
                        mean_ns: u64::try_from(l.mean().as_nanos()).unwrap_or(u64::MAX),
                    },
                },
            })
            .collect()
    }
}
