//! The V1 [`Collector`]: how V1 inputs hand logs to the pipeline.

use crate::models::Str;
use crate::protocol::{Log, LogContent};
use crate::Clock;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// Extra context travelling with a V1 log (Go's `map[string]interface{}`): source, topic,
/// tags, ... Aggregators receive it in `add`.
pub type LogContext = serde_json::Map<String, serde_json::Value>;

/// A log and its context (`pipeline.LogWithContext`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogWithContext {
    /// The log.
    pub log: Log,
    /// Its context, if any.
    pub context: Option<LogContext>,
}

/// Where a [`Collector`] sends logs. The host sends into a bounded queue (blocking when it is
/// full, so a fast input is slowed down); the harness keeps them in memory.
pub trait LogSink: Send + Sync {
    /// Takes one log. May block to push back on the input.
    fn send(&self, log: LogWithContext);
}

impl<F: Fn(LogWithContext) + Send + Sync> LogSink for F {
    fn send(&self, log: LogWithContext) {
        self(log);
    }
}

/// How V1 inputs emit logs (Go's `pipeline.Collector`).
///
/// Cheap to clone and `Send + Sync`: move a clone into a worker thread. Every method builds a
/// [`Log`] and hands it on; a log without a time gets the clock's current time.
///
/// ```
/// use pipeplug::{Collector, LogWithContext};
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = Arc::clone(&seen);
/// let collector = Collector::new(Arc::new(move |l: LogWithContext| sink.lock().unwrap().push(l.log)));
/// collector.add_data([("source", "a")], [("host", "1.1.1.1")], None);
/// let logs = seen.lock().unwrap();
/// assert_eq!(logs[0].get("host"), Some("1.1.1.1"));
/// assert_eq!(logs[0].get("source"), Some("a"));
/// ```
#[derive(Clone)]
pub struct Collector {
    sink: Arc<dyn LogSink>,
    clock: Clock,
    config_tags: Arc<Vec<(Str, Str)>>,
}

impl fmt::Debug for Collector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("config_tags", &self.config_tags)
            .finish_non_exhaustive()
    }
}

impl Collector {
    /// A collector sending into `sink`, timing logs with the system clock.
    #[must_use]
    pub fn new(sink: Arc<dyn LogSink>) -> Self {
        Self {
            sink,
            clock: Clock::Real,
            config_tags: Arc::new(Vec::new()),
        }
    }

    /// The same collector timing logs with `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The same collector adding `tags` (the pipeline's global tags) to every log.
    #[must_use]
    pub fn with_config_tags(mut self, tags: Vec<(String, String)>) -> Self {
        self.config_tags = Arc::new(
            tags.into_iter()
                .map(|(k, v)| (Str::from(k), Str::from(v)))
                .collect(),
        );
        self
    }

    fn build<K, V>(
        &self,
        tags: impl IntoIterator<Item = (K, V)>,
        fields: impl IntoIterator<Item = LogContent>,
        time: Option<SystemTime>,
    ) -> Log
    where
        K: Into<Str>,
        V: Into<Str>,
    {
        // Go's helper.CreateLog order: config tags, then tags, then fields.
        let mut log = Log::default();
        log.contents.extend(
            self.config_tags
                .iter()
                .map(|(k, v)| LogContent::new(k.clone(), v.clone())),
        );
        log.contents
            .extend(tags.into_iter().map(|(k, v)| LogContent::new(k, v)));
        log.contents.extend(fields);
        log.set_time(time.unwrap_or_else(|| self.clock.now()));
        log
    }

    /// Emits a log of `tags` and `fields` at `time` (now when `None`) (`AddData`).
    pub fn add_data<K1, V1, K2, V2>(
        &self,
        tags: impl IntoIterator<Item = (K1, V1)>,
        fields: impl IntoIterator<Item = (K2, V2)>,
        time: Option<SystemTime>,
    ) where
        K1: Into<Str>,
        V1: Into<Str>,
        K2: Into<Str>,
        V2: Into<Str>,
    {
        self.add_data_with_context(tags, fields, time, None);
    }

    /// [`add_data`](Self::add_data) with a context (`AddDataWithContext`).
    pub fn add_data_with_context<K1, V1, K2, V2>(
        &self,
        tags: impl IntoIterator<Item = (K1, V1)>,
        fields: impl IntoIterator<Item = (K2, V2)>,
        time: Option<SystemTime>,
        context: Option<LogContext>,
    ) where
        K1: Into<Str>,
        V1: Into<Str>,
        K2: Into<Str>,
        V2: Into<Str>,
    {
        let fields = fields.into_iter().map(|(k, v)| LogContent::new(k, v));
        let log = self.build(tags, fields, time);
        self.sink.send(LogWithContext { log, context });
    }

    /// Emits a log whose keys are `columns` and values `values`, paired in order
    /// (`AddDataArray`). When the lengths differ (Go's "columns and values not equal"), the
    /// pairs that exist are kept, the extra columns or values are dropped, and a warning is
    /// logged through `tracing`.
    pub fn add_data_array<K, V>(
        &self,
        tags: impl IntoIterator<Item = (K, V)>,
        columns: &[&str],
        values: &[&str],
        time: Option<SystemTime>,
    ) where
        K: Into<Str>,
        V: Into<Str>,
    {
        self.add_data_array_with_context(tags, columns, values, time, None);
    }

    /// [`add_data_array`](Self::add_data_array) with a context (`AddDataArrayWithContext`).
    pub fn add_data_array_with_context<K, V>(
        &self,
        tags: impl IntoIterator<Item = (K, V)>,
        columns: &[&str],
        values: &[&str],
        time: Option<SystemTime>,
        context: Option<LogContext>,
    ) where
        K: Into<Str>,
        V: Into<Str>,
    {
        if columns.len() != values.len() {
            tracing::warn!(
                target: "pipeplug::collector",
                columns = columns.len(),
                values = values.len(),
                "add_data_array: columns and values differ in number; extra ones are dropped"
            );
        }
        let fields = columns
            .iter()
            .zip(values)
            .map(|(k, v)| LogContent::new(*k, *v));
        let log = self.build(tags, fields, time);
        self.sink.send(LogWithContext { log, context });
    }

    /// Emits a ready-made log (`AddRawLog`). A zero time is set to now.
    pub fn add_raw_log(&self, log: Log) {
        self.add_raw_log_with_context(log, None);
    }

    /// [`add_raw_log`](Self::add_raw_log) with a context (`AddRawLogWithContext`).
    pub fn add_raw_log_with_context(&self, mut log: Log, context: Option<LogContext>) {
        if log.time == 0 && log.time_ns.is_none() {
            log.set_time(self.clock.now());
        }
        self.sink.send(LogWithContext { log, context });
    }
}
