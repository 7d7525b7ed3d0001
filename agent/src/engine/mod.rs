//! The pipeline engine: iLogtail's plugin runner (`pluginmanager/plugin_runner_v1.go` and
//! `plugin_runner_v2.go`), with its pain points fixed.
//!
//! Plugins are created from the [`Registry`] the engine is handed ([`Pipeline::build`],
//! [`load_file`]), including the default aggregator and the extensions plugins ask for
//! without declaring them. Intervals, first-collect delays and flush jitter follow
//! [`pipeplug::runner`], the rules the test harnesses follow too.
//!
//! # Threads and queues (per pipeline)
//!
//! ```text
//! metric input ─┐ (one thread each: collect/read every interval, first after a random delay)
//! service input ┤ (a thread for start/start_service; once it returns, stop waits for the
//!               │  pipeline's stop without a thread)
//!               ▼
//!   input queue: bounded, about DefaultLogQueueSize logs (V1) or groups (V2), handed over
//!               │ in batches (up to 1024 logs or 64 groups) while the processing thread is
//!               │ busy, at once while it waits; a full queue blocks the input (back-pressure)
//!               ▼
//!   processing thread: processors in series → every aggregator (add/record); aggregators
//!               │ flushed (flush/get_result) on their interval
//!               ▼ fan-out: each batch to every flusher
//!   flusher queue: one per flusher, bounded, DefaultLogGroupQueueSize batches
//!               ▼
//!   flusher thread: one per flusher: wait for is_ready, then flush/export
//! ```
//!
//! # Delivery (per flusher: the `Delivery` map of its entry, [`DeliveryConfig`])
//!
//! - Policy `block` (the default, as iLogtail): a slow or unready flusher holds the pipeline
//!   back (the fan-out waits for room in its queue; inputs feel the back-pressure); nothing
//!   is dropped and memory stays bounded by the queues.
//! - Policy `drop_newest`: once the flusher has been unready longer than the *stall grace*
//!   ([`EngineOptions::stall_grace`], 1 s by default) with a full queue, batches for it are
//!   dropped, counted ([`DropCounts::stalled`]) and warned about at most every 10 s, and the
//!   other flushers go on.
//! - A failed `flush`/`export` is retried with the same groups, with exponential backoff
//!   and ±25 % jitter (`RetryInitialDelay` doubling up to `RetryMaxDelay`), at most
//!   `MaxRetries` times and never past the stop's flush deadline; then the groups are
//!   dropped ([`DropCounts::failed`]) and logged with the last error's chain. A
//!   [`pipeplug::PermanentError`] is not retried ([`DropCounts::permanent`]).
//!
//! iLogtail's `plugin_runner_v1.go` waits until every flusher is ready before flushing to
//! any, so one unready flusher holds back them all; here each flusher has its own queue and
//! thread, and `drop_newest` isolates the others from it.
//!
//! [`DeliveryConfig`]: crate::pipeline_config::DeliveryConfig
//!
//! # Stop (iLogtail's order, every step bounded in time: [`StopTimeouts`])
//!
//! 1. every flusher is told `set_urgent(true)` (between its calls);
//! 2. `Context::stopping` fires: metric inputs stop their loop; each service input's blocking
//!    `start` returns, then its `stop` is called; an input blocked on the full input queue
//!    is released half a second after the stop began (the batch it was handing over stays
//!    with the queue: it was accepted); the input queue then refuses new data;
//! 3. the processing thread drains the input queue through processors and aggregators, and
//!    flushes every aggregator a last time (`flush`/`get_result`); a flusher whose queue
//!    stays full until the step's deadline has the batches for it dropped from then on (the
//!    others still get theirs), and what is still queued for processing 0.5 s later is
//!    counted dropped for every flusher;
//! 4. each flusher thread flushes what is queued for it (waiting for `is_ready` and retrying
//!    until the flush step's time is up) and calls `stop`;
//! 5. extensions are stopped.
//!
//! The whole stop takes at most [`StopTimeouts::worst_case`]. A clean stop loses nothing:
//! every event accepted from an input is flushed. A plugin that overstays a step is named in
//! the report and left behind; a flusher left behind has the batch it was inside and those
//! queued for it counted dropped ([`DropCounts::at_stop`]), so that every accepted event is,
//! per flusher, either flushed or dropped with its reason.
//!
//! # Time
//!
//! A pipeline's timers run on its [`Clock`](pipeplug::Clock), the one its plugins'
//! `Context::clock` returns: the system clock when `pipeplug run` runs it. Under a test's
//! virtual clock ([`crate::testing::PipelineTest`]) the same threads follow the test's
//! time, with the random parts fixed: metric rounds come on a ticker of the clock (the
//! first after [`pipeplug::runner::first_collect_delay_cap`]); each aggregator has a timer
//! thread that, once every interval, asks the processing thread to take in what the inputs
//! handed over, then flush that aggregator, and waits for it
//! ([`Ticker::tick_last`](pipeplug::Ticker::tick_last): inputs due at the same time go
//! first); service inputs' `start` threads are clock participants until they first wait.
//! The stop's time limits stay real time.
//!
//! # Panics
//!
//! Every plugin call is wrapped in `catch_unwind`: a panic is reported (tracing, error level)
//! with the plugin's `type/id`, position and config, counted, and the pipeline goes on; the
//! data of the panicking call is lost (counted in the report).

#[cfg(feature = "mimalloc")]
mod alloc;
mod assemble;
mod checkpoint;
mod common;
mod counts;
mod flush;
mod guard;
mod passthrough;
mod sink;
mod stats;
mod stop;
mod threads;
mod v1;
mod v2;

pub(crate) use assemble::Plugins;
pub use assemble::{load_file, load_str, Loaded, Pipeline};
pub use checkpoint::{OpenError, OpenErrorCause, RedbCheckpoints, CHECKPOINT_FILE};
pub use counts::{CallHistogram, QueueDepth};
pub use stats::{MetricsHub, PipelineSnapshot, PluginSnapshot};
pub use stop::StopTimeouts;

use crate::pipeline_config::{DeliveryPolicy, StructureType};
use common::{Control, ProcessCounters, StartEnv, Threads};
use crossbeam_channel::Sender;
use flush::{DropReason, FlusherState, Ident};
pub use flush::{DROPPED_EVENTS_METRIC, FLUSHED_EVENTS_METRIC};
use guard::PluginLabel;
use pipeplug::registry::Registry;
use pipeplug::{BoxError, CheckpointStore, Context, ExtensionHandle};
use sink::InputSink;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the engine runs pipelines.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Where checkpoints are kept (`<data_dir>/checkpoints.redb`).
    pub data_dir: PathBuf,
    /// Time limits of the stop steps.
    pub timeouts: StopTimeouts,
    /// How long a flusher may stay unready, with a full queue, before the others stop
    /// waiting for it.
    pub stall_grace: Duration,
    /// Where pipelines register so that another thread can read their counts and
    /// self-metrics while they run (`pipeplug run --metrics-listen`); `None`: nowhere.
    pub metrics: Option<Arc<MetricsHub>>,
    /// Whether the engine counts, per plugin, events in and out, errors and the time of
    /// its calls (on by default; the pipeline bench turns it off to measure its cost).
    /// Panics and events lost are counted either way.
    pub count_plugin_stats: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            timeouts: StopTimeouts::default(),
            stall_grace: Duration::from_secs(1),
            metrics: None,
            count_plugin_stats: true,
        }
    }
}

/// A pipeline that could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A plugin's `init` returned an error.
    #[error("plugin {plugin}: init failed")]
    Init {
        /// `type/id (position)`.
        plugin: String,
        /// The plugin's error.
        source: BoxError,
    },
    /// A plugin's `init` panicked.
    #[error("plugin {plugin}: init panicked: {message}")]
    InitPanicked {
        /// `type/id (position)`.
        plugin: String,
        /// The panic message.
        message: String,
    },
    /// A thread could not be started.
    #[error("cannot start a thread for {plugin}")]
    Thread {
        /// What it was for.
        plugin: String,
        /// The OS's error.
        source: std::io::Error,
    },
    /// Another pipeline has the same config name (they would share checkpoints).
    #[error("two pipelines are named `{0}` (config names come from file names; rename one)")]
    DuplicateName(String),
}

/// What happened to a flusher's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlusherReport {
    /// `type/id (position)`.
    pub plugin: String,
    /// Its delivery policy.
    pub policy: DeliveryPolicy,
    /// Events flushed (its `flush`/`export` returned `Ok`, at the first try or a retry).
    pub flushed: u64,
    /// Events lost for this flusher, whatever the reason: the sum of [`Self::drops`].
    pub dropped: u64,
    /// Events lost for this flusher, by reason.
    pub drops: DropCounts,
}

impl FlusherReport {
    fn of(f: &FlusherState) -> Self {
        let drops = DropCounts {
            stalled: f.dropped(DropReason::Stalled),
            failed: f.dropped(DropReason::Failed),
            permanent: f.dropped(DropReason::Permanent),
            panicked: f.dropped(DropReason::Panicked),
            at_stop: f.dropped(DropReason::AtStop),
        };
        Self {
            plugin: f.label.to_string(),
            policy: f.delivery.policy,
            flushed: f.flushed.load(Ordering::Relaxed),
            dropped: drops.total(),
            drops,
        }
    }
}

/// Events dropped for one flusher, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// `drop_newest` only: its queue was full while it had been unready longer than the
    /// stall grace.
    pub stalled: u64,
    /// Its `flush`/`export` kept failing: every retry failed too (`MaxRetries`), or the
    /// stop's flush deadline came before the next retry.
    pub failed: u64,
    /// Its `flush`/`export` returned a [`pipeplug::PermanentError`] (not retried).
    pub permanent: u64,
    /// Its `flush`/`export` panicked.
    pub panicked: u64,
    /// The stop's time was up: it was still unready, or blocked in a call (the batch in
    /// that call and those queued behind it), or the events were still queued for
    /// processing when the drain step's time was up.
    pub at_stop: u64,
}

impl std::fmt::Display for DropCounts {
    /// `0 dropped`, or `10976 dropped: failed 1024, at_stop 9952` (the reasons that count).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} dropped", self.total())?;
        let reasons = [
            ("stalled", self.stalled),
            ("failed", self.failed),
            ("permanent", self.permanent),
            ("panicked", self.panicked),
            ("at_stop", self.at_stop),
        ];
        let mut sep = ": ";
        for (reason, n) in reasons.into_iter().filter(|(_, n)| *n > 0) {
            write!(f, "{sep}{reason} {n}")?;
            sep = ", ";
        }
        Ok(())
    }
}

impl DropCounts {
    /// Every dropped event, whatever the reason.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.stalled + self.failed + self.permanent + self.panicked + self.at_stop
    }
}

/// What a pipeline did, reported when it stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReport {
    /// The config name.
    pub config: String,
    /// Events accepted from inputs.
    pub events_in: u64,
    /// Per flusher.
    pub flushers: Vec<FlusherReport>,
    /// Events an input sent while the pipeline was stopping and that were not accepted
    /// (refused: not in [`Self::events_in`]): sent after the inputs were stopped.
    pub refused_after_stop: u64,
    /// Events lost in plugin calls that panicked (processors, aggregators).
    pub lost_in_panics: u64,
    /// Events refused by aggregators.
    pub refused_by_aggregators: u64,
    /// Plugin panics caught.
    pub panics: u64,
    /// Threads that did not finish their stop step in time (left behind).
    pub overstayed: Vec<String>,
}

impl StopReport {
    /// Whether nothing was lost: every flusher flushed every event accepted from the inputs
    /// (meaningful for pipelines whose processors neither drop nor add events), nothing
    /// panicked or overstayed.
    #[must_use]
    pub fn is_lossless(&self) -> bool {
        self.refused_after_stop == 0
            && self.lost_in_panics == 0
            && self.refused_by_aggregators == 0
            && self.overstayed.is_empty()
            && self
                .flushers
                .iter()
                .all(|f| f.dropped == 0 && f.flushed == self.events_in)
    }
}

/// Input-queue counters, whatever the version.
pub(crate) trait InputControl: Send + Sync {
    fn begin_stop(&self);
    fn close(&self);
    fn accepted(&self) -> u64;
    fn dropped(&self) -> u64;
    fn queue_depth(&self) -> QueueDepth;
}

impl<T: Send> InputControl for InputSink<T> {
    fn begin_stop(&self) {
        InputSink::begin_stop(self);
    }
    fn close(&self) {
        InputSink::close(self);
    }
    fn accepted(&self) -> u64 {
        InputSink::accepted(self)
    }
    fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
    fn queue_depth(&self) -> QueueDepth {
        InputSink::queue_depth(self)
    }
}

/// The input queue of a pipeline as its inputs see it: what a test feeds events into.
pub(crate) enum InputFeed {
    /// A V1 pipeline's: logs.
    V1(Arc<InputSink<pipeplug::LogWithContext>>),
    /// A V2 pipeline's: groups.
    V2(Arc<InputSink<pipeplug::models::PipelineGroupEvents>>),
}

/// Where a host that embeds the engine feeds data of its own into a running pipeline's
/// input queue, as if one of its inputs had sent it (LoongCollector's core hands the groups
/// it has processed to the pipelines of `pipeplug-loongcollector` this way). A send blocks
/// while the queue is full (back-pressure); once the pipeline is stopping, what is sent is
/// refused and counted ([`StopReport::refused_after_stop`]).
#[derive(Clone)]
pub enum ExternalInput {
    /// A V1 pipeline's queue: logs.
    V1(Arc<dyn pipeplug::LogSink>),
    /// A V2 pipeline's queue: groups.
    V2(Arc<dyn pipeplug::GroupSink>),
}

impl std::fmt::Debug for ExternalInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::V1(_) => "ExternalInput::V1",
            Self::V2(_) => "ExternalInput::V2",
        })
    }
}

/// A running pipeline.
pub struct RunningPipeline {
    name: String,
    ctx: Context,
    stop: Arc<stop::StopState>,
    threads: Threads,
    finish: Sender<()>,
    input: Arc<dyn InputControl>,
    /// The same queue, typed (for `crate::testing`).
    pub(crate) feed: InputFeed,
    /// On a virtual clock: requests to the processing thread (for `crate::testing`).
    control: Option<Sender<Control>>,
    flushers: Vec<Arc<FlusherState>>,
    intervals: Vec<(String, Duration)>,
    extensions: Vec<(PluginLabel, ExtensionHandle)>,
    counters: Arc<ProcessCounters>,
    panics: Arc<AtomicU64>,
    timeouts: StopTimeouts,
    /// Its entry in the metrics hub, if it registered in one.
    hub: Option<(Arc<MetricsHub>, Arc<stats::PipelineEntry>)>,
}

impl std::fmt::Debug for RunningPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningPipeline")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn logstore_key(name: &str) -> i64 {
    // FNV-1a: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

/// Initialises the extensions a pipeline declares and adds them to `ctx` (other plugins look
/// them up in their `init`); on an error, those already initialised are stopped again.
fn start_extensions(
    extensions: Vec<assemble::Built<Box<dyn pipeplug::plugin::Extension>>>,
    ctx: &Context,
    timeouts: &StopTimeouts,
) -> Result<Vec<(PluginLabel, ExtensionHandle)>, StartError> {
    let mut handles: Vec<(PluginLabel, ExtensionHandle)> = Vec::new();
    for mut e in extensions {
        let pctx = ctx.for_plugin(e.meta.clone());
        if let Err(err) = common::init(&e.label, || e.plugin.init(&pctx)) {
            stop_extensions(&handles, Instant::now() + timeouts.stop);
            return Err(err);
        }
        let handle: ExtensionHandle = Arc::new(std::sync::Mutex::new(e.plugin));
        let type_with_id = e.meta.type_with_id();
        ctx.add_extension(type_with_id, Arc::clone(&handle));
        if !e.explicit_id {
            // Declared as a bare `Type: ext_x`: plugins find it as `ext_x` too (iLogtail
            // would create a second, unconfigured one).
            ctx.add_extension(e.meta.plugin_type.clone(), Arc::clone(&handle));
        }
        handles.push((e.label, handle));
    }
    Ok(handles)
}

/// The context of a pipeline's plugins: its config name, `global` section and checkpoints,
/// and undeclared extensions created from `registry`.
fn pipeline_context(
    config: &crate::pipeline_config::PipelineConfig,
    checkpoints: Arc<dyn CheckpointStore>,
    registry: Arc<Registry>,
    clock: pipeplug::Clock,
) -> Context {
    Context::builder()
        .clock(clock)
        .config_name(config.name.clone())
        .global(config.global.clone())
        .checkpoints(checkpoints)
        .extension_factory(registry.extension_factory())
        .build()
}

impl RunningPipeline {
    /// Initialises the plugins of `pipeline` (extensions first) and starts its threads.
    ///
    /// # Errors
    /// A plugin's `init` failed or panicked, or a thread could not start; the extensions
    /// already initialised are stopped again.
    pub fn start(
        pipeline: Pipeline,
        checkpoints: Arc<dyn CheckpointStore>,
        options: &EngineOptions,
    ) -> Result<Self, StartError> {
        let Pipeline {
            config,
            extensions,
            plugins,
            panics,
            registry,
            clock,
        } = pipeline;
        let ctx = pipeline_context(&config, checkpoints, registry, clock);
        let plugin_stats = stats::enable(plugins.stats(), options.count_plugin_stats);
        let handles = start_extensions(extensions, &ctx, &options.timeouts)?;
        let stop_state = Arc::new(stop::StopState::default());
        let counters = Arc::new(ProcessCounters::default());
        let mut threads = Threads::new();
        let env = StartEnv {
            parked: Arc::clone(&threads.parked),
            ctx: ctx.clone(),
            global: config.global.clone(),
            stop: Arc::clone(&stop_state),
            ident: Ident {
                project: String::new(),
                logstore: String::new(),
                config_name: config.name.clone(),
                logstore_key: logstore_key(&config.name),
            },
            stall_grace: options.stall_grace,
            counters: Arc::clone(&counters),
        };
        let (finish_tx, finish_rx) = crossbeam_channel::bounded(1);
        let started = match plugins {
            Plugins::V1(p) => v1::start(p, &env, &mut threads, finish_rx).map(|s| {
                (
                    (
                        Arc::clone(&s.sink) as Arc<dyn InputControl>,
                        InputFeed::V1(s.sink),
                    ),
                    (s.flushers, s.intervals, s.control),
                )
            }),
            Plugins::V2(p) => v2::start(p, &env, &mut threads, finish_rx).map(|s| {
                (
                    (
                        Arc::clone(&s.sink) as Arc<dyn InputControl>,
                        InputFeed::V2(s.sink),
                    ),
                    (s.flushers, s.intervals, s.control),
                )
            }),
        };
        let ((input, feed), (flushers, intervals, control)) = match started {
            Ok(x) => x,
            Err(e) => {
                // Whatever started stops: the finish channel is gone, so the processing
                // thread drains and ends, and flusher threads follow.
                ctx.stopping().signal();
                // Service inputs that did start are stopped (on threads left to end alone).
                for (thread, call) in threads.parked.take_all() {
                    let _ = threads.inputs.spawn(thread, call);
                }
                stop_extensions(&handles, Instant::now() + options.timeouts.stop);
                return Err(e);
            }
        };
        log_started(&config);
        let entry = stats::PipelineEntry::new(&config.name, &ctx, &input, plugin_stats, &flushers);
        let hub = (options.metrics.as_ref()).map(|h| (Arc::clone(h), h.register(entry)));
        Ok(Self {
            name: config.name,
            ctx,
            stop: stop_state,
            threads,
            finish: finish_tx,
            input,
            feed,
            control,
            flushers,
            intervals,
            extensions: handles,
            counters,
            panics,
            timeouts: options.timeouts,
            hub,
        })
    }

    /// Each metric input's `type/id` (`metric_x/1`) with the interval it runs on, in config
    /// order: what its `init` returned, else its `IntervalMs`, else `global.InputIntervalMs`,
    /// kept within 1 ms ..= a year ([`pipeplug::runner::metric_input_interval`], the rule
    /// `pipeplug::testing::MetricInputHarness` follows too).
    #[must_use]
    pub fn input_intervals(&self) -> &[(String, Duration)] {
        &self.intervals
    }

    /// The pipeline's input queue, for data that comes from the host rather than from one
    /// of its inputs (see [`ExternalInput`]).
    #[must_use]
    pub fn external_input(&self) -> ExternalInput {
        match &self.feed {
            InputFeed::V1(sink) => {
                ExternalInput::V1(Arc::clone(sink) as Arc<dyn pipeplug::LogSink>)
            }
            InputFeed::V2(sink) => {
                ExternalInput::V2(Arc::clone(sink) as Arc<dyn pipeplug::GroupSink>)
            }
        }
    }

    /// The config name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pipeline's context (as its plugins see it, without a plugin).
    #[must_use]
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Events accepted from inputs so far.
    #[must_use]
    pub fn events_in(&self) -> u64 {
        self.input.accepted()
    }

    /// Plugin panics caught so far.
    #[must_use]
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    /// Events flushed so far, per flusher.
    #[must_use]
    pub fn flushed(&self) -> Vec<u64> {
        self.flushers
            .iter()
            .map(|f| f.flushed.load(Ordering::Relaxed))
            .collect()
    }

    /// On a virtual clock (a test drives the pipeline): waits until everything the inputs
    /// handed over so far has gone through processors and aggregators, what came out has
    /// reached the flushers' queues, and every flusher has flushed (or dropped) all that
    /// was queued for it; at most `limit` of real time. Returns whether it got there. On
    /// the real clock there is nothing to wait on: `false`.
    pub(crate) fn settle(&self, limit: Duration) -> bool {
        let Some(control) = &self.control else {
            return false;
        };
        let deadline = Instant::now() + limit;
        let (ack_tx, ack_rx) = crossbeam_channel::bounded(1);
        if control.send(Control::Sync(ack_tx)).is_err() || ack_rx.recv_deadline(deadline).is_err() {
            return false;
        }
        while !self.flushers.iter().all(|f| f.is_idle()) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        true
    }

    /// Stops the pipeline in iLogtail's order, each step bounded in time (see the module
    /// docs), and reports what happened.
    pub fn stop(mut self) -> StopReport {
        let t = self.timeouts;
        let name = self.name.clone();
        if let Some((_, entry)) = &self.hub {
            entry.running.store(false, Ordering::SeqCst);
        }
        // 1. urgent
        self.stop.set_urgent();
        // 2. inputs (one blocked on the full input queue is released)
        self.input.begin_stop();
        self.ctx.stopping().signal();
        for (thread, call) in self.threads.parked.take_all() {
            // Named as the input's thread: one that overstays is reported as the input.
            if let Err(e) = self.threads.inputs.spawn(thread.clone(), call) {
                tracing::error!(config = %name, "{thread}: no thread to call `stop` on: {e}");
            }
        }
        let mut overstayed = self.threads.inputs.wait(Instant::now() + t.inputs);
        self.input.close();
        tracing::debug!(config = %name, "inputs stopped");
        // 3. drain processors and aggregators
        let drain_deadline = Instant::now() + t.drain;
        self.stop.set_drain_deadline(drain_deadline);
        let _ = self.finish.send(());
        // The processing thread gives up on a blocked flusher at the deadline, then counts
        // what it still holds as dropped: it gets a moment for that.
        overstayed.extend(
            self.threads
                .process
                .wait(drain_deadline + stop::DRAIN_GRACE),
        );
        tracing::debug!(config = %name, "processors and aggregators drained");
        // 4. flush, then flushers stop
        let flush_deadline = Instant::now() + t.flush;
        self.stop.set_flush_deadline(flush_deadline);
        overstayed.extend(self.threads.flushers.wait(flush_deadline + t.stop));
        for f in &self.flushers {
            // What a flusher thread left behind still holds is counted dropped.
            f.settle();
        }
        tracing::debug!(config = %name, "flushers stopped");
        // 5. extensions
        overstayed.extend(stop_extensions(&self.extensions, Instant::now() + t.stop));
        let report = StopReport {
            config: name.clone(),
            events_in: self.input.accepted(),
            flushers: self.flushers.iter().map(|f| FlusherReport::of(f)).collect(),
            refused_after_stop: self.input.dropped(),
            lost_in_panics: self.counters.panicked.load(Ordering::Relaxed),
            refused_by_aggregators: self.counters.refused.load(Ordering::Relaxed),
            panics: self.panics.load(Ordering::Relaxed),
            overstayed,
        };
        log_stopped(&report);
        if let Some((hub, entry)) = &self.hub {
            hub.unregister(entry);
        }
        report
    }
}

/// Logs what the stop of a pipeline reports: threads left behind, and the summary.
fn log_stopped(report: &StopReport) {
    let name = &report.config;
    for o in &report.overstayed {
        tracing::error!(config = %name, "{o} did not stop in time; left behind");
    }
    let refused = match report.refused_after_stop {
        0 => String::new(),
        n => format!("; {n} refused while stopping (not accepted)"),
    };
    tracing::info!(
        config = %name,
        "pipeline `{name}` stopped: {} event(s) in, flushed {}{refused}",
        report.events_in,
        report
            .flushers
            .iter()
            .map(|f| format!("{} to {} ({})", f.flushed, f.plugin, f.drops))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Logs that the pipeline of `config` started.
fn log_started(config: &crate::pipeline_config::PipelineConfig) {
    tracing::info!(
        config = %config.name,
        "pipeline `{}` started ({}, {} input(s), {} processor(s), {} flusher(s))",
        config.name,
        match config.structure {
            StructureType::V1 => "v1",
            StructureType::V2 => "v2",
        },
        config.inputs.len(),
        config.processors.len(),
        config.flushers.len()
    );
}

/// Stops every extension, giving up on one whose lock is held past `deadline`; returns those
/// given up on.
fn stop_extensions(handles: &[(PluginLabel, ExtensionHandle)], deadline: Instant) -> Vec<String> {
    let mut overstayed = Vec::new();
    for (label, handle) in handles {
        let guard = loop {
            match handle.try_lock() {
                Ok(g) => break Some(g),
                Err(std::sync::TryLockError::Poisoned(p)) => break Some(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        break None;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        };
        let Some(mut ext) = guard else {
            overstayed.push(format!("extension {label} (in use by a plugin)"));
            continue;
        };
        if let Some(Err(e)) = guard::call(label, "stop", || ext.stop()) {
            guard::report_error(label, "stop", &e);
        }
    }
    overstayed
}

/// Runs pipelines, sharing one checkpoint store.
pub struct Engine {
    checkpoints: Arc<dyn CheckpointStore>,
    options: EngineOptions,
    running: Vec<RunningPipeline>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("options", &self.options)
            .field("running", &self.running)
            .finish_non_exhaustive()
    }
}

/// The engine could not open.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The checkpoint database.
    #[error(transparent)]
    Checkpoints(#[from] OpenError),
}

impl Engine {
    /// An engine keeping checkpoints in `options.data_dir`.
    ///
    /// # Errors
    /// The checkpoint database cannot be opened.
    pub fn open(options: EngineOptions) -> Result<Self, EngineError> {
        let store = RedbCheckpoints::open(&options.data_dir)?;
        Ok(Self::with_checkpoints(Arc::new(store), options))
    }

    /// An engine keeping checkpoints in `store`.
    #[must_use]
    pub fn with_checkpoints(store: Arc<dyn CheckpointStore>, options: EngineOptions) -> Self {
        Self {
            checkpoints: store,
            options,
            running: Vec::new(),
        }
    }

    /// Starts `pipeline`.
    ///
    /// # Errors
    /// See [`RunningPipeline::start`]; also a second pipeline of the same name.
    pub fn start(&mut self, pipeline: Pipeline) -> Result<(), StartError> {
        let name = &pipeline.config().name;
        if self.running.iter().any(|r| r.name() == name) {
            return Err(StartError::DuplicateName(name.clone()));
        }
        let running =
            RunningPipeline::start(pipeline, Arc::clone(&self.checkpoints), &self.options)?;
        self.running.push(running);
        Ok(())
    }

    /// The running pipelines.
    #[must_use]
    pub fn pipelines(&self) -> &[RunningPipeline] {
        &self.running
    }

    /// Stops every pipeline (in reverse start order) and reports on each.
    pub fn stop(mut self) -> Vec<StopReport> {
        let mut reports = Vec::new();
        while let Some(p) = self.running.pop() {
            reports.push(p.stop());
        }
        reports.reverse();
        reports
    }
}
