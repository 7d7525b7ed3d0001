//! Pipeline tests for plugin authors: a whole pipeline, from its YAML text, on the real
//! engine, in virtual time.
//!
//! The harnesses of `pipeplug::testing` drive one plugin. [`PipelineTest`] runs a whole
//! pipeline as `pipeplug run` runs it (the same loader and errors, V1 or V2 as
//! `global.StructureType` says, the engine's own threads and queues), but on a
//! [`VirtualClock`] that the test moves by hand:
//!
//! - [`PipelineTest::advance`] moves time on: metric inputs' rounds, aggregators' flushes
//!   and plugins' own [`Clock`] tickers ([`Context::clock`](pipeplug::Context::clock)) come
//!   exactly when their virtual time comes, and `advance` returns once what they did has
//!   gone through the pipeline. Advancing 3 s on a 1 s metric input runs exactly three
//!   rounds, whatever the machine's load: no sleeps and no timing luck in the test.
//! - [`PipelineTest::feed_log`], [`PipelineTest::feed_group`], [`PipelineTest::collector`]
//!   and [`PipelineTest::pipeline_context`] hand events to the pipeline as if one of its
//!   inputs had emitted them (they go into its input queue); the pipeline's own inputs run
//!   as well.
//! - [`PipelineTest::flushed`] (every flusher) and [`PipelineTest::flushed_by`] (one) say
//!   what the flushers flushed (their `flush`/`export` returned `Ok`), once everything fed
//!   or emitted so far has gone through processors and aggregators. Aggregators hand on what
//!   they hold on their interval (advance past it) or when the pipeline stops.
//! - [`PipelineTest::stop`] stops the pipeline as the engine does and returns its
//!   [`StopReport`].
//!
//! The built-in plugins (`flusher_stdout`, `processor_*`, `aggregator_default`,
//! `metric_mock`, `service_mock`) are always there; a plugin crate's own plugins are there
//! once its test names the crate (`pipeplug::link!(my_plugins::all);`).
//!
//! # Timing rules under a virtual clock
//!
//! These are the engine's rules, with the random parts fixed so that a test knows when
//! things happen:
//! - a metric input's first round comes at the latest time the engine allows
//!   ([`pipeplug::runner::first_collect_delay_cap`]: one interval, for intervals up to
//!   `global.InputMaxFirstCollectDelayMs`, 10 s by default), then one every interval;
//! - an aggregator flushes every interval exactly (the engine adds ±5 % of jitter on the
//!   real clock), first one interval after the start;
//! - a log without a time gets the virtual time.
//!
//! # Example
//!
//! ```
//! use pipeplug_agent::testing::PipelineTest;
//! use std::time::Duration;
//!
//! let mut test = PipelineTest::from_yaml(r#"
//! inputs:
//!   - Type: metric_mock
//!     Fields: { cpu: "0.5" }
//!     IntervalMs: 1000
//! processors:
//!   - Type: processor_add_fields
//!     Fields: { env: test }
//! flushers:
//!   - Type: flusher_stdout
//! "#).unwrap();
//! test.advance(Duration::from_secs(3)); // three rounds; the aggregator flushes at 3 s
//! let logs = test.flushed().logs();
//! assert_eq!(logs.len(), 3);
//! assert_eq!(logs[2]["Index"], "3");
//! assert_eq!(logs[2]["env"], "test");
//! let report = test.stop();
//! assert!(report.is_lossless());
//! ```

use crate::engine::InputFeed;
use crate::engine::{EngineOptions, Loaded, Pipeline, RunningPipeline, StartError, StopReport};
use crate::pipeline_config::{ConfigErrors, Format, StructureType};
use pipeplug::models::{GroupInfo, LogValue, PipelineEvent, PipelineGroupEvents};
use pipeplug::plugin::{Flusher, FlusherV1, FlusherV2, Plugin};
use pipeplug::protocol::LogGroup;
use pipeplug::{
    BoxError, Clock, Collector, Context, GroupSink, LogSink, MemoryCheckpoints, PipelineCollector,
    PipelineContext, RegistryError, VirtualClock,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

// The built-in plugins are in every pipeline test (the library names them anyway).
pipeplug::link!(pipeplug_plugins::all);

/// How long (in real time) [`PipelineTest::settle`] waits for the pipeline at most.
const SETTLE_LIMIT: Duration = Duration::from_secs(10);

/// The config name of a pipeline read by [`PipelineTest::from_yaml`].
pub const DEFAULT_NAME: &str = "pipeline_test";

/// Why a [`PipelineTest`] could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum PipelineTestError {
    /// The plugin registry is broken (two plugins of one name and kind).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The pipeline text has problems: the loader's errors, as `pipeplug run` and
    /// `pipeplug check` say them (every problem, each with file, plugin and key).
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    /// The pipeline text says `enable: false`.
    #[error("pipeline `{0}` has `enable: false`: there is nothing to run")]
    Disabled(String),
    /// A plugin's `init` failed or panicked, or a thread could not start.
    #[error(transparent)]
    Start(#[from] StartError),
    /// Events of one interface version were fed to a pipeline of the other.
    #[error(
        "{what} feeds a {needs} pipeline, but this one is {pipeline} (`global.StructureType`)"
    )]
    WrongVersion {
        /// The method called.
        what: &'static str,
        /// The version it feeds.
        needs: &'static str,
        /// The pipeline's version.
        pipeline: &'static str,
    },
    /// No flusher of the pipeline has that name.
    #[error("no flusher `{name}` in the pipeline; its flushers are: {}", .flushers.join(", "))]
    NoFlusher {
        /// The name asked for.
        name: String,
        /// The flushers' `type/id`s.
        flushers: Vec<String>,
    },
    /// The pipeline was stopped: nothing can be fed any more.
    #[error("the pipeline was stopped: nothing can be fed any more")]
    Stopped,
}

/// What flushers flushed: V1 log groups or V2 event groups, in the order flushed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flushed {
    /// V1 pipelines: the log groups (with the pipeline's global tags in `log_tags`).
    pub log_groups: Vec<LogGroup>,
    /// V2 pipelines: the event groups.
    pub groups: Vec<PipelineGroupEvents>,
}

impl Flushed {
    /// Every log's contents as a map, in the order flushed: V1 logs (not their time), and
    /// the log events of V2 groups (values as text: numbers as Go prints them, bytes as
    /// UTF-8). V2 events of other kinds are left out (see [`Self::events`]).
    #[must_use]
    pub fn logs(&self) -> Vec<BTreeMap<String, String>> {
        let v1 = self.log_groups.iter().flat_map(|g| &g.logs).map(|l| {
            l.contents
                .iter()
                .map(|c| (c.key.to_string(), c.value.to_string()))
                .collect()
        });
        let v2 = self
            .groups
            .iter()
            .flat_map(|g| &g.events)
            .filter_map(|e| match e {
                PipelineEvent::Log(l) => Some(
                    l.contents
                        .iter()
                        .map(|(k, v)| (k.to_owned(), v.to_string()))
                        .collect(),
                ),
                _ => None,
            });
        v1.chain(v2).collect()
    }

    /// Every V2 event, in the order flushed.
    #[must_use]
    pub fn events(&self) -> Vec<&PipelineEvent> {
        self.groups.iter().flat_map(|g| &g.events).collect()
    }

    /// How many logs (V1) or events (V2) were flushed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.log_groups.iter().map(|g| g.logs.len()).sum::<usize>()
            + self.groups.iter().map(|g| g.events.len()).sum::<usize>()
    }

    /// Whether nothing was flushed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn extend(&mut self, other: &Self) {
        self.log_groups.extend(other.log_groups.iter().cloned());
        self.groups.extend(other.groups.iter().cloned());
    }
}

/// What one flusher flushed so far, shared with its recorder.
type Record = Arc<Mutex<Flushed>>;

fn lock(record: &Record) -> std::sync::MutexGuard<'_, Flushed> {
    record.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A flusher of the pipeline, with a record of what its `flush`/`export` took with `Ok`.
struct Recorder<F: ?Sized> {
    inner: Box<F>,
    record: Record,
}

impl<F: ?Sized + Plugin> Plugin for Recorder<F> {
    fn description(&self) -> &str {
        self.inner.description()
    }
}

impl<F: ?Sized + Flusher> Flusher for Recorder<F> {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        self.inner.init(ctx)
    }
    fn is_ready(&self, project: &str, logstore: &str, logstore_key: i64) -> bool {
        self.inner.is_ready(project, logstore, logstore_key)
    }
    fn set_urgent(&mut self, urgent: bool) {
        self.inner.set_urgent(urgent);
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.inner.stop()
    }
}

impl FlusherV1 for Recorder<dyn FlusherV1> {
    fn flush(
        &mut self,
        project: &str,
        logstore: &str,
        config_name: &str,
        groups: &[LogGroup],
    ) -> Result<(), BoxError> {
        let result = self.inner.flush(project, logstore, config_name, groups);
        if result.is_ok() {
            lock(&self.record).log_groups.extend_from_slice(groups);
        }
        result
    }
}

impl FlusherV2 for Recorder<dyn FlusherV2> {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        let result = self.inner.export(groups, ctx);
        if result.is_ok() {
            lock(&self.record).groups.extend_from_slice(groups);
        }
        result
    }
}

/// Puts a recorder around every flusher of `pipeline`; returns each flusher's `type/id`
/// with its record, in config order.
fn record_flushers(pipeline: &mut Pipeline) -> Vec<(String, Record)> {
    let mut records = Vec::new();
    match &mut pipeline.plugins {
        crate::engine::Plugins::V1(p) => {
            for f in &mut p.flushers {
                let record = Record::default();
                records.push((f.label.type_with_id.clone(), Arc::clone(&record)));
                let inner = std::mem::replace(&mut f.plugin, Box::new(Placeholder));
                f.plugin = Box::new(Recorder { inner, record });
            }
        }
        crate::engine::Plugins::V2(p) => {
            for f in &mut p.flushers {
                let record = Record::default();
                records.push((f.label.type_with_id.clone(), Arc::clone(&record)));
                let inner = std::mem::replace(&mut f.plugin, Box::new(Placeholder));
                f.plugin = Box::new(Recorder { inner, record });
            }
        }
    }
    records
}

/// Holds a flusher's place for an instant while its recorder is put around it.
struct Placeholder;

impl Plugin for Placeholder {
    fn description(&self) -> &str {
        "placeholder"
    }
}
impl Flusher for Placeholder {}
impl FlusherV1 for Placeholder {
    fn flush(&mut self, _: &str, _: &str, _: &str, _: &[LogGroup]) -> Result<(), BoxError> {
        Ok(())
    }
}
impl FlusherV2 for Placeholder {
    fn export(&mut self, _: &[PipelineGroupEvents], _: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A pipeline running on the real engine in virtual time, for tests (see the
/// [module docs](self)).
///
/// Dropping it stops the pipeline (use [`Self::stop`] to see the report).
pub struct PipelineTest {
    name: String,
    structure: StructureType,
    clock: Clock,
    virtual_clock: Arc<VirtualClock>,
    running: Option<RunningPipeline>,
    flushers: Vec<(String, Record)>,
    report: Option<StopReport>,
}

impl std::fmt::Debug for PipelineTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineTest")
            .field("name", &self.name)
            .field("structure", &self.structure)
            .field("elapsed", &self.virtual_clock.elapsed())
            .field("stopped", &self.running.is_none())
            .finish_non_exhaustive()
    }
}

fn version_name(s: StructureType) -> &'static str {
    match s {
        StructureType::V1 => "v1",
        StructureType::V2 => "v2",
    }
}

impl PipelineTest {
    /// Reads a pipeline from YAML text in iLogtail's pipeline format, as `pipeplug run` reads
    /// a file (its config name is [`DEFAULT_NAME`], its file `pipeline_test.yaml` in
    /// messages), builds it from the plugins linked into the test, and starts it at virtual
    /// time zero (the clock reads the current system time), once every plugin's `init` is
    /// done and what its inputs do at once has gone through.
    ///
    /// # Errors
    /// The loader's errors ([`PipelineTestError::Config`]), `enable: false`, a plugin whose
    /// `init` fails, a broken registry.
    pub fn from_yaml(yaml: &str) -> Result<Self, PipelineTestError> {
        Self::from_text(yaml, Format::Yaml, DEFAULT_NAME)
    }

    /// Like [`Self::from_yaml`], for text in `format` (JSON or YAML) and the config name
    /// `name` (which names checkpoints and the file in messages: `<name>.yaml` or
    /// `<name>.json`).
    ///
    /// # Errors
    /// As [`Self::from_yaml`].
    pub fn from_text(text: &str, format: Format, name: &str) -> Result<Self, PipelineTestError> {
        let registry = pipeplug::registry::global()?;
        let file = match format {
            Format::Json => format!("{name}.json"),
            Format::Yaml => format!("{name}.yaml"),
        };
        let mut pipeline = match crate::engine::load_str(text, format, &file, name, &registry)? {
            Loaded::Pipeline(p) => p,
            Loaded::Disabled(c) => return Err(PipelineTestError::Disabled(c.name)),
        };
        let structure = pipeline.config().structure;
        let (clock, virtual_clock) = Clock::new_virtual();
        pipeline.clock = clock.clone();
        let flushers = record_flushers(&mut pipeline);
        let running = RunningPipeline::start(
            pipeline,
            Arc::new(MemoryCheckpoints::new()),
            &EngineOptions::default(),
        )?;
        let test = Self {
            name: name.to_owned(),
            structure,
            clock,
            virtual_clock,
            running: Some(running),
            flushers,
            report: None,
        };
        test.settle();
        Ok(test)
    }

    /// The pipeline's config name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The interface version the pipeline runs (`global.StructureType`).
    #[must_use]
    pub fn structure(&self) -> StructureType {
        self.structure
    }

    /// The pipeline's clock (what its plugins' [`Context::clock`] is).
    #[must_use]
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The virtual time now.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        self.virtual_clock.now()
    }

    /// How far time has been advanced since the start.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.virtual_clock.elapsed()
    }

    /// The running pipeline (its metric inputs' intervals, events in so far, its
    /// context); `None` once stopped.
    #[must_use]
    pub fn running(&self) -> Option<&RunningPipeline> {
        self.running.as_ref()
    }

    /// Moves virtual time on by `by`, firing on the way, in order, every metric input's
    /// round, aggregator flush and plugin ticker that falls within it; returns once all
    /// they did has gone through the pipeline to the flushers ([`Self::settle`]).
    pub fn advance(&self, by: Duration) {
        self.virtual_clock.advance(by);
        self.settle();
    }

    /// Waits until the pipeline has done what it has to at the current virtual time: every
    /// plugin thread on the clock waits again, everything fed or emitted so far has gone
    /// through processors and aggregators, and the flushers have flushed what came out.
    /// The output methods call it themselves. Bounded in real time (10 s; then it warns
    /// and returns, and the output is what it is).
    pub fn settle(&self) {
        self.virtual_clock.settle();
        if let Some(running) = &self.running {
            if !running.settle(SETTLE_LIMIT) {
                tracing::warn!(
                    config = %self.name,
                    "pipeline test: the pipeline did not settle within {SETTLE_LIMIT:?} \
                     (a plugin blocked in a call?); reading what the flushers have so far"
                );
            }
        }
    }

    /// A V1 collector into the pipeline's input queue, as its inputs get: what is emitted
    /// through it goes through the pipeline as if an input had emitted it. Logs without a
    /// time get the virtual time.
    ///
    /// # Errors
    /// The pipeline is V2 ([`PipelineTestError::WrongVersion`]), or stopped.
    pub fn collector(&self) -> Result<Collector, PipelineTestError> {
        match &self.running().ok_or(PipelineTestError::Stopped)?.feed {
            InputFeed::V1(sink) => {
                Ok(Collector::new(Arc::clone(sink) as Arc<dyn LogSink>)
                    .with_clock(self.clock.clone()))
            }
            InputFeed::V2(_) => Err(self.wrong_version("collector", "v1")),
        }
    }

    /// A V2 pipeline context into the pipeline's input queue, as its inputs get: what is
    /// collected through it goes through the pipeline as if an input had collected it.
    ///
    /// # Errors
    /// The pipeline is V1 ([`PipelineTestError::WrongVersion`]), or stopped.
    pub fn pipeline_context(&self) -> Result<PipelineContext, PipelineTestError> {
        match &self.running().ok_or(PipelineTestError::Stopped)?.feed {
            InputFeed::V2(sink) => Ok(PipelineContext::new(PipelineCollector::from_sink(
                Arc::clone(sink) as Arc<dyn GroupSink>,
            ))),
            InputFeed::V1(_) => Err(self.wrong_version("pipeline_context", "v2")),
        }
    }

    /// Feeds one log with `contents`, timed now (virtual time), as if an input emitted it:
    /// in a V1 pipeline a log (`Collector::add_data`), in a V2 pipeline a group of one log
    /// event.
    ///
    /// # Errors
    /// The pipeline was stopped.
    pub fn feed_log(&self, contents: &[(&str, &str)]) -> Result<(), PipelineTestError> {
        match &self.running().ok_or(PipelineTestError::Stopped)?.feed {
            InputFeed::V1(_) => {
                let no_tags: [(&str, &str); 0] = [];
                self.collector()?
                    .add_data(no_tags, contents.iter().copied(), None);
            }
            InputFeed::V2(sink) => {
                let mut log = pipeplug::models::Log {
                    timestamp: self.clock.now_nanos(),
                    ..Default::default()
                };
                for (k, v) in contents {
                    log.contents.add(*k, LogValue::from(*v));
                }
                sink.send(PipelineGroupEvents::new(
                    GroupInfo::default(),
                    vec![PipelineEvent::Log(log)],
                ));
            }
        }
        Ok(())
    }

    /// Feeds a V2 group as if an input collected it.
    ///
    /// # Errors
    /// The pipeline is V1 ([`PipelineTestError::WrongVersion`]), or stopped.
    pub fn feed_group(&self, group: PipelineGroupEvents) -> Result<(), PipelineTestError> {
        match &self.running().ok_or(PipelineTestError::Stopped)?.feed {
            InputFeed::V2(sink) => {
                sink.send(group);
                Ok(())
            }
            InputFeed::V1(_) => Err(self.wrong_version("feed_group", "v2")),
        }
    }

    fn wrong_version(&self, what: &'static str, needs: &'static str) -> PipelineTestError {
        PipelineTestError::WrongVersion {
            what,
            needs,
            pipeline: version_name(self.structure),
        }
    }

    /// The `type/id` of every flusher, in config order (what [`Self::flushed_by`] takes).
    #[must_use]
    pub fn flusher_names(&self) -> Vec<String> {
        self.flushers.iter().map(|(n, _)| n.clone()).collect()
    }

    /// What every flusher flushed so far, flusher after flusher in config order (two
    /// flushers each flushing an event show it twice), once the pipeline has settled
    /// ([`Self::settle`]).
    #[must_use]
    pub fn flushed(&self) -> Flushed {
        self.settle();
        let mut all = Flushed::default();
        for (_, record) in &self.flushers {
            all.extend(&lock(record));
        }
        all
    }

    /// What the flusher `name` flushed so far, once the pipeline has settled: `name` is its
    /// `type/id` ([`Self::flusher_names`]) or, when only one flusher has that type, its
    /// type (`flusher_stdout`).
    ///
    /// # Errors
    /// No flusher has that name ([`PipelineTestError::NoFlusher`]).
    pub fn flushed_by(&self, name: &str) -> Result<Flushed, PipelineTestError> {
        let exact = self.flushers.iter().find(|(n, _)| n == name);
        let by_type = || {
            let mut of_type = self
                .flushers
                .iter()
                .filter(|(n, _)| n.split('/').next() == Some(name));
            match (of_type.next(), of_type.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        };
        let Some((_, record)) = exact.or_else(by_type) else {
            return Err(PipelineTestError::NoFlusher {
                name: name.to_owned(),
                flushers: self.flusher_names(),
            });
        };
        self.settle();
        let flushed = lock(record).clone();
        Ok(flushed)
    }

    /// Stops the pipeline as the engine does (inputs, then processors and aggregators,
    /// which flush what they hold, then flushers) and returns the engine's stop report;
    /// what was flushed stays readable. Called again, returns the same report.
    pub fn stop(&mut self) -> StopReport {
        if let Some(report) = &self.report {
            return report.clone();
        }
        let report = match self.running.take() {
            Some(running) => running.stop(),
            None => StopReport {
                config: self.name.clone(),
                events_in: 0,
                flushers: Vec::new(),
                refused_after_stop: 0,
                lost_in_panics: 0,
                refused_by_aggregators: 0,
                panics: 0,
                overstayed: Vec::new(),
            },
        };
        self.report = Some(report.clone());
        report
    }
}

impl Drop for PipelineTest {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.stop();
        }
    }
}
