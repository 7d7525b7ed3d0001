//! Hand-registered plugins for the host's end-to-end tests (written without the attribute
//! macros, through `pipeplug::registry` and `pipeplug::config::Decoder`).
//!
//! - `service_counter`: emits `n = 0, 1, 2, ...` (`Count` events, 0 for no end; `Interval`
//!   between events; every `MarkEvery`th event also carries `boom = 1`); with `Metric`,
//!   metrics of that name instead, of value `n` at time [`METRIC_BASE_NS`]` + n` (V1 in
//!   iLogtail's metric form: `__name__`, `__labels__`, `__value__`, `__time_nano__`), so
//!   that each has a time of its own in a time-series database;
//! - `metric_counter`: emits `PerCollect` events on every collection;
//! - `service_checkpoint`: counts its runs in a checkpoint and emits `run = <n>` once;
//! - `processor_tag`: adds `Key: Value` to every event;
//! - `processor_panic`: panics on a batch holding an event with `boom`;
//! - `aggregator_refusing` (V1): refuses every `RefuseEvery`th `add` (the runner retries
//!   the log), keeps the others in one group until its flush;
//! - `flusher_never_ready`: never ready;
//! - `flusher_lines`: prints each event's contents as one `k=v k=v` line on stdout;
//! - `flusher_count`: a null flusher that counts the events it gets under its `Name`, and
//!   keeps them when `Keep` is set ([`count`], [`kept`]);
//! - `flusher_faulty`: counts under its `Name` as `flusher_count` does (and sums the events'
//!   `n`, [`sum_n`]), after faults: its first `FailFirst` calls fail (with a
//!   [`pipeplug::PermanentError`] when `Permanent` is set; every call fails when
//!   `FailFirst` is 0 and `Permanent` set), it is unready for `UnreadyFor` after `init`, and
//!   its call after `BlockAfter` calls never returns (a write blocked for good); its calls
//!   are counted ([`calls`]);
//! - `flusher_reserved_key`: declares a parameter `Delivery`, which the engine reserves.
//!
//! Call [`register`] once before using them (idempotent).

use pipeplug::config::{Decoder, DurationUnit};
use pipeplug::models::{GroupInfo, LogValue, PipelineEvent, PipelineGroupEvents};
use pipeplug::plugin::{
    Aggregator, AggregatorV1, Flusher, FlusherV1, FlusherV2, MetricInput, MetricInputV1, Plugin,
    Processor, ProcessorV1, ProcessorV2, ServiceInput, ServiceInputV1, ServiceInputV2,
};
use pipeplug::protocol::{Log, LogGroup};
use pipeplug::registry::{
    self, Both, ConfigField, Factories, Native, PluginDescriptor, SourceLocation, V1Only,
};
use pipeplug::{BoxError, Collector, ConfigError, Context, PipelineContext, Worker};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Once, PoisonError};
use std::time::Duration;

/// What a flusher_count flusher saw: per `Name`, the count and (with `Keep`) the events.
#[derive(Default)]
struct Seen {
    count: Arc<AtomicU64>,
    kept: Vec<Value>,
    /// `flusher_faulty`: the sum of the events' `n`, and its calls.
    sum_n: Arc<AtomicU64>,
    calls: Arc<AtomicU64>,
}

static SEEN: LazyLock<Mutex<HashMap<String, Seen>>> = LazyLock::new(Mutex::default);

fn seen<R>(name: &str, f: impl FnOnce(&mut Seen) -> R) -> R {
    let mut map = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    f(map.entry(name.to_owned()).or_default())
}

/// Events the `flusher_count` flushers called `name` got so far.
#[must_use]
pub fn count(name: &str) -> u64 {
    seen(name, |s| s.count.load(Ordering::SeqCst))
}

/// The sum of the `n` of the events the `flusher_faulty` flushers called `name` took: with
/// [`count`], it tells a duplicate or a loss (events `0..count` sum to `count * (count - 1) / 2`).
#[must_use]
pub fn sum_n(name: &str) -> u64 {
    seen(name, |s| s.sum_n.load(Ordering::SeqCst))
}

/// The `flush`/`export` calls of the `flusher_faulty` flushers called `name`, failed or not.
#[must_use]
pub fn calls(name: &str) -> u64 {
    seen(name, |s| s.calls.load(Ordering::SeqCst))
}

/// Events kept by the `flusher_count` flushers called `name` (with `Keep: true`), each a
/// JSON object of its contents plus `__tags__` (the group tags).
#[must_use]
pub fn kept(name: &str) -> Vec<Value> {
    seen(name, |s| s.kept.clone())
}

// ---------------------------------------------------------------------------------------
// service_counter

const COUNTER_KEYS: &[&str] = &["Count", "Interval", "MarkEvery", "Batch", "Metric"];

/// The time of metric `n = 0` of `service_counter` with `Metric` (2023-11-14T22:13:20Z, in
/// Unix nanoseconds); metric `n` is `n` nanoseconds later.
pub const METRIC_BASE_NS: u64 = 1_700_000_000_000_000_000;

/// Emits numbered events.
#[derive(Debug)]
pub struct ServiceCounter {
    count: u64,
    interval: Duration,
    mark_every: u64,
    batch: u64,
    /// Emit metrics of this name instead of logs (empty: logs).
    metric: String,
    worker: Worker,
    ctx: Context,
}

impl ServiceCounter {
    fn from_config(c: &Value) -> Result<Self, ConfigError> {
        let mut d = Decoder::new("service_counter", COUNTER_KEYS, false, c)?;
        let count = d.value(0, "u64").unwrap_or(10);
        let interval = d.duration(1, DurationUnit::Nanos).unwrap_or(Duration::ZERO);
        let mark_every = d.value(2, "u64").unwrap_or(0);
        let batch = d.value::<u64>(3, "u64").unwrap_or(1).max(1);
        let metric = d.value(4, "String").unwrap_or_default();
        d.finish()?;
        Ok(Self {
            count,
            interval,
            mark_every,
            batch,
            metric,
            worker: Worker::new(),
            ctx: Context::default(),
        })
    }

    fn fields(&self, n: u64) -> Vec<(String, String)> {
        if !self.metric.is_empty() {
            return vec![
                ("__name__".to_owned(), self.metric.clone()),
                ("__labels__".to_owned(), String::new()),
                ("__value__".to_owned(), n.to_string()),
                ("__time_nano__".to_owned(), (METRIC_BASE_NS + n).to_string()),
            ];
        }
        let mut f = vec![("n".to_owned(), n.to_string())];
        if self.mark_every > 0 && n % self.mark_every == self.mark_every - 1 {
            f.push(("boom".to_owned(), "1".to_owned()));
        }
        f
    }

    /// Runs `emit(first, how_many)` for batches until done or stopped.
    fn spawn(
        &mut self,
        mut emit: impl FnMut(u64, u64, &Self) + Send + 'static,
    ) -> Result<(), BoxError> {
        let (count, interval, batch) = (self.count, self.interval, self.batch);
        let me = Self {
            count,
            interval,
            mark_every: self.mark_every,
            batch,
            metric: self.metric.clone(),
            worker: Worker::new(),
            ctx: self.ctx.clone(),
        };
        self.worker
            .spawn(&self.ctx, "service_counter", move |stop| {
                let mut n = 0;
                while (count == 0 || n < count) && !stop.is_signalled() {
                    let k = if count == 0 {
                        batch
                    } else {
                        batch.min(count - n)
                    };
                    emit(n, k, &me);
                    n += k;
                    if !interval.is_zero() && stop.wait_timeout(interval) {
                        break;
                    }
                }
            })?;
        Ok(())
    }
}

impl Plugin for ServiceCounter {
    fn description(&self) -> &str {
        "emits numbered events (test plugin)"
    }
}

impl ServiceInput for ServiceCounter {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.worker.stop()
    }
}

impl ServiceInputV1 for ServiceCounter {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        self.spawn(move |first, k, me| {
            for n in first..first + k {
                collector.add_data(Vec::<(String, String)>::new(), me.fields(n), None);
            }
        })
    }
}

impl ServiceInputV2 for ServiceCounter {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        self.spawn(move |first, k, me| {
            let events = (first..first + k)
                .map(|n| {
                    if !me.metric.is_empty() {
                        return PipelineEvent::Metric(pipeplug::models::Metric::single(
                            me.metric.as_str(),
                            pipeplug::models::MetricType::Untyped,
                            pipeplug::models::Tags::default(),
                            METRIC_BASE_NS + n,
                            n,
                        ));
                    }
                    let mut log = pipeplug::models::Log::default();
                    for (key, v) in me.fields(n) {
                        log.contents.add(key, v);
                    }
                    PipelineEvent::Log(log)
                })
                .collect();
            ctx.collector().collect(GroupInfo::default(), events);
        })
    }
}

// ---------------------------------------------------------------------------------------
// metric_counter

const METRIC_KEYS: &[&str] = &["PerCollect", "IntervalMs"];

/// Emits `PerCollect` events per collection.
#[derive(Debug)]
pub struct MetricCounter {
    per_collect: u64,
    next: u64,
}

impl Plugin for MetricCounter {
    fn description(&self) -> &str {
        "emits a few numbered events per collection (test plugin)"
    }
}
impl MetricInput for MetricCounter {}
impl MetricInputV1 for MetricCounter {
    fn collect(&mut self, collector: &Collector) -> Result<(), BoxError> {
        for _ in 0..self.per_collect {
            collector.add_data(
                Vec::<(String, String)>::new(),
                [("n", self.next.to_string())],
                None,
            );
            self.next += 1;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// service_checkpoint

/// Counts its runs in the checkpoint `runs` and emits `run = <n>` once.
#[derive(Debug, Default)]
pub struct ServiceCheckpoint {
    run: u64,
}

impl Plugin for ServiceCheckpoint {
    fn description(&self) -> &str {
        "counts its runs in a checkpoint (test plugin)"
    }
}
impl ServiceInput for ServiceCheckpoint {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        let before: u64 = ctx.get_checkpoint_object("runs")?.unwrap_or(0);
        self.run = before + 1;
        ctx.save_checkpoint_object("runs", &self.run)?;
        Ok(Duration::ZERO)
    }
}
impl ServiceInputV1 for ServiceCheckpoint {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        collector.add_data(
            Vec::<(String, String)>::new(),
            [("run", self.run.to_string())],
            None,
        );
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// processor_tag and processor_panic

const TAG_KEYS: &[&str] = &["Key", "Value"];

/// Adds `Key: Value` to every event.
#[derive(Debug)]
pub struct ProcessorTag {
    key: String,
    value: String,
}

impl Plugin for ProcessorTag {
    fn description(&self) -> &str {
        "adds a field to every event (test plugin)"
    }
}
impl Processor for ProcessorTag {}
impl ProcessorV1 for ProcessorTag {
    fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
        for l in &mut logs {
            l.push(self.key.clone(), self.value.clone());
        }
        logs
    }
}
impl ProcessorV2 for ProcessorTag {
    fn process(&mut self, mut group: PipelineGroupEvents, ctx: &PipelineContext) {
        for e in &mut group.events {
            if let PipelineEvent::Log(l) = e {
                l.contents.add(self.key.clone(), self.value.clone());
            }
        }
        ctx.collector().collect(group.group, group.events);
    }
}

/// Panics on a batch holding an event with a `boom` field.
#[derive(Debug, Default)]
pub struct ProcessorPanic;

impl Plugin for ProcessorPanic {
    fn description(&self) -> &str {
        "panics on events with `boom` (test plugin)"
    }
}
impl Processor for ProcessorPanic {}
impl ProcessorV1 for ProcessorPanic {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        assert!(
            logs.iter().all(|l| l.get("boom").is_none()),
            "boom in a V1 batch"
        );
        logs
    }
}
impl ProcessorV2 for ProcessorPanic {
    fn process(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext) {
        let boom = group
            .events
            .iter()
            .any(|e| matches!(e, PipelineEvent::Log(l) if l.contents.contains("boom")));
        assert!(!boom, "boom in a V2 group");
        ctx.collector().collect(group.group, group.events);
    }
}

// ---------------------------------------------------------------------------------------
// aggregator_refusing

const REFUSING_KEYS: &[&str] = &["RefuseEvery"];

/// Refuses every `RefuseEvery`th call of `add` ("full, try again"), keeps the other logs.
#[derive(Debug, Default)]
pub struct AggregatorRefusing {
    every: u64,
    calls: u64,
    group: LogGroup,
}

impl Plugin for AggregatorRefusing {
    fn description(&self) -> &str {
        "refuses every RefuseEvery-th add (test plugin)"
    }
}
impl Aggregator for AggregatorRefusing {}
impl AggregatorV1 for AggregatorRefusing {
    fn add(&mut self, log: Log, _ctx: Option<&pipeplug::LogContext>) -> Result<(), BoxError> {
        self.calls += 1;
        if self.calls.is_multiple_of(self.every) {
            return Err("full, try again (test plugin)".into());
        }
        self.group.logs.push(log);
        Ok(())
    }
    fn flush(&mut self) -> Vec<LogGroup> {
        if self.group.logs.is_empty() {
            Vec::new()
        } else {
            vec![std::mem::take(&mut self.group)]
        }
    }
}

// ---------------------------------------------------------------------------------------
// flushers

/// Never ready.
#[derive(Debug, Default)]
pub struct FlusherNeverReady;

impl Plugin for FlusherNeverReady {
    fn description(&self) -> &str {
        "is never ready (test plugin)"
    }
}
impl Flusher for FlusherNeverReady {
    fn is_ready(&self, _: &str, _: &str, _: i64) -> bool {
        false
    }
}
impl FlusherV1 for FlusherNeverReady {
    fn flush(&mut self, _: &str, _: &str, _: &str, _: &[LogGroup]) -> Result<(), BoxError> {
        Err("never ready, never flushed".into())
    }
}
impl FlusherV2 for FlusherNeverReady {
    fn export(&mut self, _: &[PipelineGroupEvents], _: &PipelineContext) -> Result<(), BoxError> {
        Err("never ready, never flushed".into())
    }
}

const COUNT_KEYS: &[&str] = &["Name", "Keep"];

/// Counts (and with `Keep`, keeps) what it gets.
#[derive(Debug)]
pub struct FlusherCount {
    name: String,
    keep: bool,
    counter: Arc<AtomicU64>,
}

impl FlusherCount {
    fn from_config(c: &Value) -> Result<Self, ConfigError> {
        let mut d = Decoder::new("flusher_count", COUNT_KEYS, false, c)?;
        let name: String = d.value(0, "String").unwrap_or_else(|| "default".to_owned());
        let keep = d.value(1, "bool").unwrap_or(false);
        d.finish()?;
        let counter = seen(&name, |s| Arc::clone(&s.count));
        Ok(Self {
            name,
            keep,
            counter,
        })
    }

    fn record(&self, events: Vec<Value>, n: u64) {
        if self.keep {
            seen(&self.name, |s| s.kept.extend(events));
        }
        self.counter.fetch_add(n, Ordering::SeqCst);
    }
}

impl Plugin for FlusherCount {
    fn description(&self) -> &str {
        "counts what it gets (a null flusher for tests)"
    }
}
impl Flusher for FlusherCount {}
impl FlusherV1 for FlusherCount {
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
        let n = groups.iter().map(|g| g.logs.len() as u64).sum();
        let mut events = Vec::new();
        if self.keep {
            for g in groups {
                let tags: Map<String, Value> = g
                    .log_tags
                    .iter()
                    .map(|t| (t.key.to_string(), json!(t.value)))
                    .collect();
                for l in &g.logs {
                    let mut m: Map<String, Value> = l
                        .contents
                        .iter()
                        .map(|c| (c.key.to_string(), json!(c.value)))
                        .collect();
                    m.insert("__tags__".to_owned(), Value::Object(tags.clone()));
                    events.push(Value::Object(m));
                }
            }
        }
        self.record(events, n);
        Ok(())
    }
}
impl FlusherV2 for FlusherCount {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _: &PipelineContext,
    ) -> Result<(), BoxError> {
        let n = groups.iter().map(|g| g.events.len() as u64).sum();
        let mut events = Vec::new();
        if self.keep {
            for g in groups {
                let tags: Map<String, Value> = g
                    .group
                    .tags
                    .iter()
                    .map(|(k, v)| (k.to_owned(), json!(v)))
                    .collect();
                for e in &g.events {
                    let mut m = Map::new();
                    if let PipelineEvent::Log(l) = e {
                        for (k, v) in l.contents.iter() {
                            let v = match v {
                                LogValue::String(s) => json!(s),
                                other => json!(other.to_string()),
                            };
                            m.insert(k.to_owned(), v);
                        }
                    }
                    m.insert("__tags__".to_owned(), Value::Object(tags.clone()));
                    events.push(Value::Object(m));
                }
            }
        }
        self.record(events, n);
        Ok(())
    }
}

const FAULTY_KEYS: &[&str] = &["Name", "FailFirst", "Permanent", "UnreadyFor", "BlockAfter"];

/// Counts what it gets, after the faults it is configured with.
#[derive(Debug)]
pub struct FlusherFaulty {
    fail_first: u64,
    permanent: bool,
    unready_for: Duration,
    block_after: Option<u64>,
    ready_at: std::time::Instant,
    calls: Arc<AtomicU64>,
    count: Arc<AtomicU64>,
    sum_n: Arc<AtomicU64>,
}

impl FlusherFaulty {
    fn from_config(c: &Value) -> Result<Self, ConfigError> {
        let mut d = Decoder::new("flusher_faulty", FAULTY_KEYS, false, c)?;
        let name: String = d.value(0, "String").unwrap_or_else(|| "default".to_owned());
        let fail_first = d.value(1, "u64").unwrap_or(0);
        let permanent = d.value(2, "bool").unwrap_or(false);
        let unready_for = d
            .duration(3, DurationUnit::Millis)
            .unwrap_or(Duration::ZERO);
        let block_after = d.value(4, "u64");
        d.finish()?;
        let (calls, count, sum_n) = seen(&name, |s| {
            (
                Arc::clone(&s.calls),
                Arc::clone(&s.count),
                Arc::clone(&s.sum_n),
            )
        });
        Ok(Self {
            fail_first,
            permanent,
            unready_for,
            block_after,
            ready_at: std::time::Instant::now(),
            calls,
            count,
            sum_n,
        })
    }

    /// One call taking `ns` (the events' `n`): a fault, or the events counted.
    fn take(&mut self, ns: impl Iterator<Item = u64>) -> Result<(), BoxError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.block_after.is_some_and(|b| call >= b) {
            // A write that never returns (stdout piped to a reader that never reads).
            loop {
                std::thread::park();
            }
        }
        let always = self.permanent && self.fail_first == 0;
        if always || call < self.fail_first {
            let e = format!("fault {} of flusher_faulty", call + 1);
            return Err(if self.permanent {
                pipeplug::PermanentError::new(e).into()
            } else {
                e.into()
            });
        }
        let (mut n, mut sum) = (0, 0);
        for v in ns {
            n += 1;
            sum += v;
        }
        self.sum_n.fetch_add(sum, Ordering::SeqCst);
        self.count.fetch_add(n, Ordering::SeqCst);
        Ok(())
    }
}

impl Plugin for FlusherFaulty {
    fn description(&self) -> &str {
        "counts what it gets after configured faults (test plugin)"
    }
}
impl Flusher for FlusherFaulty {
    fn init(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        self.ready_at = std::time::Instant::now() + self.unready_for;
        Ok(())
    }
    fn is_ready(&self, _: &str, _: &str, _: i64) -> bool {
        std::time::Instant::now() >= self.ready_at
    }
}
impl FlusherV1 for FlusherFaulty {
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
        let ns = groups.iter().flat_map(|g| &g.logs).map(|l| {
            l.contents
                .iter()
                .find(|c| c.key == "n")
                .and_then(|c| c.value.parse().ok())
                .unwrap_or(0)
        });
        self.take(ns)
    }
}
impl FlusherV2 for FlusherFaulty {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _: &PipelineContext,
    ) -> Result<(), BoxError> {
        let ns = groups.iter().flat_map(|g| &g.events).map(|e| match e {
            PipelineEvent::Log(l) => l
                .contents
                .iter()
                .find(|(k, _)| *k == "n")
                .and_then(|(_, v)| v.to_string().parse().ok())
                .unwrap_or(0),
            _ => 0,
        });
        self.take(ns)
    }
}

/// Prints one line per event: its contents as `k=v` pairs.
#[derive(Debug, Default)]
pub struct FlusherLines;

impl Plugin for FlusherLines {
    fn description(&self) -> &str {
        "prints each event's contents as a line on stdout (test plugin)"
    }
}
impl Flusher for FlusherLines {}
impl FlusherV1 for FlusherLines {
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        for l in groups.iter().flat_map(|g| &g.logs) {
            let line: Vec<String> = l
                .contents
                .iter()
                .map(|c| format!("{}={}", c.key, c.value))
                .collect();
            writeln!(out, "{}", line.join(" "))?;
        }
        out.flush()?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// registration

const COUNTER_FIELDS: &[ConfigField] = &[
    ConfigField {
        key: "Count",
        type_name: "u64",
        default: Some("10"),
        doc: "How many events to emit; 0 for no end.",
        unit: None,
        required: false,
    },
    ConfigField {
        key: "Interval",
        type_name: "Duration",
        default: Some("0s"),
        doc: "Pause between batches.",
        unit: Some("ns"),
        required: false,
    },
    ConfigField {
        key: "MarkEvery",
        type_name: "u64",
        default: Some("0"),
        doc: "Every n-th event also carries `boom = 1` (0: none).",
        unit: None,
        required: false,
    },
    ConfigField {
        key: "Batch",
        type_name: "u64",
        default: Some("1"),
        doc: "Events per emission (V2: per group).",
        unit: None,
        required: false,
    },
    ConfigField {
        key: "Metric",
        type_name: "String",
        default: Some(""),
        doc: "Emit metrics of this name (value n, time METRIC_BASE_NS + n ns) instead of logs.",
        unit: None,
        required: false,
    },
];

const RESERVED_FIELDS: &[ConfigField] = &[ConfigField {
    key: "Delivery",
    type_name: "String",
    default: None,
    doc: "A parameter of the name the engine reserves for its delivery settings.",
    unit: None,
    required: false,
}];

fn no_config<T>(name: &'static str, c: &Value, make: impl FnOnce() -> T) -> Result<T, ConfigError> {
    Decoder::new(name, &[], false, c)?.finish()?;
    Ok(make())
}

/// Registers the test plugins (once per process).
pub fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        registry::register(PluginDescriptor {
            name: "service_counter",
            description: "emits numbered events (test plugin)",
            config_fields: COUNTER_FIELDS,
            source: SourceLocation {
                crate_name: env!("CARGO_PKG_NAME"),
                file: file!(),
                line: line!(),
            },
            native: Native { v1: true, v2: true },
            factories: Factories::ServiceInput {
                v1: Box::leak(Box::new(|c: &Value| {
                    ServiceCounter::from_config(c).map(|p| Box::new(p) as Box<dyn ServiceInputV1>)
                })),
                v2: Box::leak(Box::new(|c: &Value| {
                    ServiceCounter::from_config(c).map(|p| Box::new(p) as Box<dyn ServiceInputV2>)
                })),
            },
            defaults: || {
                Ok(json!({"Count": 10, "Interval": "0s", "MarkEvery": 0, "Batch": 1, "Metric": ""}))
            },
            example: None,
        });
        registry::add_metric_creator(
            "metric_counter",
            "emits a few numbered events per collection (test plugin)",
            |c| {
                let mut d = Decoder::new("metric_counter", METRIC_KEYS, false, c)?;
                let per_collect = d.value(0, "u64").unwrap_or(1);
                let _interval_ms: Option<u64> = d.value(1, "u64");
                d.finish()?;
                Ok(V1Only(MetricCounter {
                    per_collect,
                    next: 0,
                }))
            },
        );
        registry::add_service_creator(
            "service_checkpoint",
            "counts its runs in a checkpoint (test plugin)",
            |c| {
                no_config("service_checkpoint", c, || {
                    V1Only(ServiceCheckpoint::default())
                })
            },
        );
        registry::add_processor_creator(
            "processor_tag",
            "adds a field to every event (test plugin)",
            |c| {
                let mut d = Decoder::new("processor_tag", TAG_KEYS, false, c)?;
                let key = d.value(0, "String").unwrap_or_else(|| "tag".to_owned());
                let value = d.value(1, "String").unwrap_or_default();
                d.finish()?;
                Ok(Both(ProcessorTag { key, value }))
            },
        );
        registry::add_processor_creator(
            "processor_panic",
            "panics on events with `boom` (test plugin)",
            |c| no_config("processor_panic", c, || Both(ProcessorPanic)),
        );
        registry::add_aggregator_creator(
            "aggregator_refusing",
            "refuses every RefuseEvery-th add (test plugin)",
            |c| {
                let mut d = Decoder::new("aggregator_refusing", REFUSING_KEYS, false, c)?;
                let every = d.value::<u64>(0, "u64").unwrap_or(2).max(2);
                d.finish()?;
                Ok(V1Only(AggregatorRefusing {
                    every,
                    ..AggregatorRefusing::default()
                }))
            },
        );
        registry::add_flusher_creator("flusher_never_ready", "is never ready (test plugin)", |c| {
            no_config("flusher_never_ready", c, || Both(FlusherNeverReady))
        });
        registry::add_flusher_creator(
            "flusher_lines",
            "prints each event's contents as a line on stdout (test plugin)",
            |c| no_config("flusher_lines", c, || V1Only(FlusherLines)),
        );
        registry::add_flusher_creator(
            "flusher_faulty",
            "counts what it gets after configured faults (test plugin)",
            |c| FlusherFaulty::from_config(c).map(Both),
        );
        registry::register(PluginDescriptor {
            name: "flusher_reserved_key",
            description: "declares a parameter the engine reserves (test plugin)",
            config_fields: RESERVED_FIELDS,
            source: SourceLocation {
                crate_name: env!("CARGO_PKG_NAME"),
                file: file!(),
                line: line!(),
            },
            native: Native { v1: true, v2: true },
            factories: Factories::Flusher {
                v1: Box::leak(Box::new(|c: &Value| {
                    no_config("flusher_reserved_key", c, || {
                        Box::new(FlusherNeverReady) as Box<dyn FlusherV1>
                    })
                })),
                v2: Box::leak(Box::new(|c: &Value| {
                    no_config("flusher_reserved_key", c, || {
                        Box::new(FlusherNeverReady) as Box<dyn FlusherV2>
                    })
                })),
            },
            defaults: || Ok(json!({})),
            example: None,
        });
        registry::add_flusher_creator(
            "flusher_count",
            "counts what it gets (a null flusher for tests)",
            |c| FlusherCount::from_config(c).map(Both),
        );
    });
}
