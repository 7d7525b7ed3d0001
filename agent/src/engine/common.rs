//! What the V1 and V2 runners share: starting plugins, input loops, aggregator timing.

use super::assemble::{Built, PluginSet};
use super::flush::{Export, FanOut, FlusherOut, FlusherState, Group, Ident};
use super::guard::{self, PluginLabel};
use super::sink::{InputQueue, InputSink};
use super::stop::StopState;
use super::threads::{Parked, ThreadSet};
use super::StartError;
use crossbeam_channel::{Receiver, Sender};
use pipeplug::plugin::{Aggregator, Flusher, MetricInput, Processor, ServiceInput};
use pipeplug::runner::{self, Interval};
use pipeplug::{BoxError, Clock, Context, GlobalConfig, LogGroupQueue, StopSignal, ThreadHold};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A round of the processing thread takes at most this many V1 logs...
pub(crate) const MAX_ROUND_LOGS: usize = 1024;
/// ... or this many V2 groups from the input queue.
pub(crate) const MAX_ROUND_GROUPS: usize = 64;
/// The processing thread wakes at least this often (to send what V2 aggregators collected
/// on threads of their own, and to see a stop).
pub(crate) const MAX_IDLE: Duration = Duration::from_millis(200);
/// How often a V1 aggregator's refused `add` is retried (iLogtail: 10 ms).
pub(crate) const ADD_RETRY: Duration = Duration::from_millis(10);

/// What every runner needs to start a pipeline.
pub(crate) struct StartEnv {
    pub ctx: Context,
    pub global: GlobalConfig,
    pub stop: Arc<StopState>,
    pub ident: Ident,
    pub stall_grace: Duration,
    pub counters: Arc<ProcessCounters>,
    /// Where service inputs park their `stop` once `start` has returned.
    pub parked: Arc<Parked>,
}

/// Events the processing thread lost (reported at stop).
#[derive(Debug, Default)]
pub(crate) struct ProcessCounters {
    /// Lost with a plugin call that panicked.
    pub panicked: AtomicU64,
    /// Refused by an aggregator (V1 `add` past its retries, V2 `record` errors).
    pub refused: AtomicU64,
}

/// The threads of a started pipeline, by stage.
pub(crate) struct Threads {
    pub inputs: ThreadSet,
    pub process: ThreadSet,
    pub flushers: ThreadSet,
    /// Service inputs' `stop` calls, waiting for the pipeline's stop without threads.
    pub parked: Arc<Parked>,
}

impl Threads {
    pub(crate) fn new() -> Self {
        Self {
            inputs: ThreadSet::new(),
            process: ThreadSet::new(),
            flushers: ThreadSet::new(),
            parked: Arc::default(),
        }
    }
}

/// What a started pipeline hands back to the engine: the sink its inputs feed (V1 logs or
/// V2 groups), its flushers' states and its metric inputs' intervals.
pub(crate) struct Started<T> {
    pub sink: Arc<InputSink<T>>,
    pub flushers: Vec<Arc<FlusherState>>,
    /// Each metric input's `type/id` and interval.
    pub intervals: Vec<(String, Duration)>,
    /// On a virtual clock: where requests to the processing thread go (see [`Control`]).
    pub control: Option<Sender<Control>>,
}

/// A request to the processing thread, made only when the pipeline runs on a virtual clock
/// (a test drives it): on the real clock the processing thread has no such channel.
pub(crate) enum Control {
    /// Process everything the inputs handed over so far and send what comes out to the
    /// flushers, then answer.
    Sync(Sender<()>),
    /// The flush interval of aggregator `.0` is up (in virtual time): as [`Control::Sync`],
    /// then flush that aggregator and send what it gives, then answer.
    Flush(usize, Sender<()>),
}

impl Control {
    /// Which aggregator is to flush, if any, and where to answer.
    pub(crate) fn split(self) -> (Option<usize>, Sender<()>) {
        match self {
            Self::Sync(ack) => (None, ack),
            Self::Flush(i, ack) => (Some(i), ack),
        }
    }
}

/// The processing thread's control channel: on a virtual clock a real one (its sender for
/// the test and the aggregators' timer threads); on the real clock none (a receiver that
/// never receives, so the processing thread's wait is as before).
pub(crate) fn control_channel(env: &StartEnv) -> (Option<Sender<Control>>, Receiver<Control>) {
    match env.ctx.clock() {
        Clock::Real => (None, crossbeam_channel::never()),
        Clock::Virtual(_) => {
            let (tx, rx) = crossbeam_channel::unbounded();
            (Some(tx), rx)
        }
    }
}

/// On a virtual clock, starts one thread per aggregator that asks the processing thread to
/// flush it every interval of virtual time (exactly the interval: no jitter, so that a test
/// knows when flushes come) and waits for the flush to be done before the clock may move
/// on. On the real clock the processing thread times flushes itself ([`Timed::due`]).
pub(crate) fn spawn_aggregator_timers(
    threads: &mut ThreadSet,
    env: &StartEnv,
    intervals: &[(String, Duration)],
    control: Option<&Sender<Control>>,
) -> Result<(), StartError> {
    let Some(control) = control else {
        return Ok(());
    };
    for (i, (name, interval)) in intervals.iter().enumerate() {
        // Made here, before the thread starts: the clock waits for the thread's first tick.
        let ticker = env.ctx.clock().ticker(*interval);
        let stopping = env.ctx.stopping().clone();
        let control = control.clone();
        threads
            .spawn(format!("timer {name}"), move || {
                // Last: inputs' rounds at the same time go into this flush.
                while ticker.tick_last(&stopping) {
                    let (ack_tx, ack_rx) = crossbeam_channel::bounded(1);
                    if control.send(Control::Flush(i, ack_tx)).is_err() {
                        return;
                    }
                    // The ticker stays "running" until the next tick: the clock moves on only
                    // once the flush is done. No answer: the processing thread has ended.
                    let _ = ack_rx.recv();
                }
            })
            .map_err(|source| StartError::Thread {
                plugin: format!("the flush timer of {name}"),
                source,
            })?;
    }
    Ok(())
}

fn thread_error(label: &PluginLabel, source: std::io::Error) -> StartError {
    StartError::Thread {
        plugin: label.to_string(),
        source,
    }
}

/// Calls `init` of a plugin; an error or a panic stops the start.
pub(crate) fn init<R>(
    label: &PluginLabel,
    f: impl FnOnce() -> Result<R, BoxError>,
) -> Result<R, StartError> {
    // Noted while it runs: `pipeplug run` names a plugin whose `init` takes long.
    let _noted = crate::init_watch::begin(&label.config, label.to_string());
    match guard::try_call(label, "init", f) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(source)) => Err(StartError::Init {
            plugin: label.to_string(),
            source,
        }),
        Err(message) => Err(StartError::InitPanicked {
            plugin: label.to_string(),
            message,
        }),
    }
}

/// Logs a warning when `interval` (of the plugin `label`) was clamped.
fn warn_clamped(label: &PluginLabel, interval: &Interval) {
    if let Some(warning) = interval.clamp_warning() {
        tracing::warn!(
            config = %label.config,
            plugin = %label.type_with_id,
            position = %label.position,
            "plugin {label}: {warning}"
        );
    }
}

/// A pipeline's plugins after `init`, ready to run.
pub(crate) struct Ready<M: ?Sized, S: ?Sized, P: ?Sized, A: ?Sized, F: ?Sized> {
    /// Each metric input with its interval.
    pub metric: Vec<(Built<Box<M>>, Duration)>,
    pub service: Vec<Built<Box<S>>>,
    pub processors: Vec<Built<Box<P>>>,
    /// The aggregators with their flush timing.
    pub aggregators: Vec<Timed<Box<A>>>,
    /// The queue every aggregator was given, for groups it wants flushed early (V1).
    pub queue: LogGroupQueue,
    pub flushers: Vec<Built<Box<F>>>,
}

/// Initialises every plugin of a pipeline (inputs, processors, aggregators, flushers, in that
/// order); the first error or panic stops the start.
pub(crate) fn init_plugins<M, S, P, A, F>(
    plugins: PluginSet<M, S, P, A, F>,
    env: &StartEnv,
) -> Result<Ready<M, S, P, A, F>, StartError>
where
    M: ?Sized + MetricInput,
    S: ?Sized + ServiceInput,
    P: ?Sized + Processor,
    A: ?Sized + Aggregator,
    F: ?Sized + Flusher,
{
    let PluginSet {
        mut metric,
        mut service,
        mut processors,
        aggregators,
        mut flushers,
    } = plugins;
    let plugin_ctx = |meta: &pipeplug::PluginMeta| env.ctx.for_plugin(meta.clone());
    let mut intervals = Vec::new();
    for m in &mut metric {
        let ctx = plugin_ctx(&m.meta);
        let d = init(&m.label, || M::init(&mut m.plugin, &ctx))?;
        let interval = runner::metric_input_interval(d, &m.params, &env.global);
        warn_clamped(&m.label, &interval);
        intervals.push(interval.interval);
    }
    for s in &mut service {
        let ctx = plugin_ctx(&s.meta);
        init(&s.label, || S::init(&mut s.plugin, &ctx))?;
    }
    for pr in &mut processors {
        let ctx = plugin_ctx(&pr.meta);
        init(&pr.label, || P::init(&mut pr.plugin, &ctx))?;
    }
    let queue = LogGroupQueue::new(env.global.default_log_group_queue_size);
    let mut timed = Vec::new();
    for mut a in aggregators {
        let ctx = plugin_ctx(&a.meta);
        let q = queue.clone();
        let d = init(&a.label, || A::init(&mut a.plugin, &ctx, q))?;
        let interval = runner::aggregator_interval(d, &env.global);
        warn_clamped(&a.label, &interval);
        // On a virtual clock a timer thread asks for the flushes (`spawn_aggregator_timers`).
        let own_timing = matches!(env.ctx.clock(), Clock::Real);
        timed.push(Timed::new(a, interval.interval, own_timing));
    }
    for f in &mut flushers {
        let ctx = plugin_ctx(&f.meta);
        init(&f.label, || F::init(&mut f.plugin, &ctx))?;
    }
    Ok(Ready {
        metric: metric.into_iter().zip(intervals).collect(),
        service,
        processors,
        aggregators: timed,
        queue,
        flushers,
    })
}

/// Runs `collect` on the metric input's interval, on the pipeline's clock, until the
/// pipeline stops; the first run comes after a random delay
/// ([`runner::first_collect_delay`]). On a virtual clock the delay is its cap
/// ([`runner::first_collect_delay_cap`], one interval for intervals up to
/// `InputMaxFirstCollectDelayMs`), so that a test knows when rounds come. A late round (a
/// slow collect) is not made up for: the next one is an interval later.
fn spawn_metric_loop(
    threads: &mut ThreadSet,
    label: PluginLabel,
    interval: Duration,
    (global, clock): (&GlobalConfig, &Clock),
    stopping: StopSignal,
    mut collect: impl FnMut() -> Result<(), BoxError> + Send + 'static,
) -> Result<(), StartError> {
    let first = match clock {
        Clock::Real => runner::first_collect_delay(interval, global),
        Clock::Virtual(_) => runner::first_collect_delay_cap(interval, global),
    };
    // Made before the thread starts: a virtual clock waits for the thread's first tick.
    let ticker = clock.ticker_after(first, interval);
    let name = format!("input {}", label.type_with_id);
    let l = label.clone();
    threads
        .spawn(name, move || {
            while ticker.tick(&stopping) {
                if let Some(Err(e)) = guard::timed_call(&l, "collect", &mut collect) {
                    guard::report_error(&l, "collect", &e);
                }
            }
        })
        .map_err(|e| thread_error(&label, e))
}

/// The inputs of a started pipeline and how its version calls them.
pub(crate) struct Inputs<M: ?Sized, S: ?Sized, O> {
    /// Each metric input with its interval.
    pub metric: Vec<(Built<Box<M>>, Duration)>,
    pub service: Vec<Built<Box<S>>>,
    /// What each input emits through: a V1 `Collector` or a V2 `PipelineContext`, made for
    /// the input (its events out are counted in its stats).
    pub out: Box<dyn Fn(&PluginLabel) -> O>,
    /// `collect` (V1) or `read` (V2).
    pub collect: fn(&mut M, &O) -> Result<(), BoxError>,
    /// `start` (V1) or `start_service` (V2).
    pub start: fn(&mut S, O) -> Result<(), BoxError>,
}

/// Starts one thread per input, last of a pipeline's threads: a metric input runs `collect`
/// on its interval (see [`spawn_metric_loop`]), a service input runs `start`, then `stop` once
/// the pipeline stops (see [`spawn_service`]). Returns the started pipeline: the input queue's
/// `sink`, the `flushers`' states, each metric input's `type/id` with its interval.
pub(crate) fn spawn_inputs<M, S, O, T>(
    threads: &mut ThreadSet,
    env: &StartEnv,
    inputs: Inputs<M, S, O>,
    sink: Arc<InputSink<T>>,
    flushers: Vec<Arc<FlusherState>>,
) -> Result<Started<T>, StartError>
where
    M: ?Sized + MetricInput + 'static,
    S: ?Sized + ServiceInput + 'static,
    O: Send + 'static,
{
    let Inputs {
        metric,
        service,
        out,
        collect,
        start,
    } = inputs;
    let mut intervals = Vec::with_capacity(metric.len());
    let clock = env.ctx.clock();
    for (m, interval) in metric {
        let Built {
            label, mut plugin, ..
        } = m;
        intervals.push((label.type_with_id.clone(), interval));
        let o = out(&label);
        spawn_metric_loop(
            threads,
            label,
            interval,
            (&env.global, clock),
            env.ctx.stopping().clone(),
            move || collect(&mut plugin, &o),
        )?;
    }
    for s in service {
        let o = out(&s.label);
        spawn_service(
            threads,
            s.label,
            (env.ctx.stopping().clone(), Arc::clone(&env.parked), clock),
            s.plugin,
            move |p| start(p, o),
            |p| p.stop(),
        )?;
    }
    Ok(Started {
        sink,
        flushers,
        intervals,
        control: None,
    })
}

/// The pipeline's input queue (about `DefaultLogQueueSize` logs or groups, handed over in
/// batches of at most `batch`): the sink inputs push into, and the processing thread's end.
pub(crate) fn input_queue<T>(env: &StartEnv, batch: usize) -> (Arc<InputSink<T>>, InputQueue<T>) {
    super::sink::input_queue(env.global.default_log_queue_size, batch)
}

/// Runs a service input: `start` on its own thread (it may block until the pipeline stops),
/// then, once the pipeline stops, `stop`: the thread parks the `stop` call in `parked` and
/// ends (see [`Parked`]), or, when the stop has begun already, calls it.
///
/// On a virtual clock the thread is one of the clock's participants until `start` first
/// waits (on the clock or a stop signal) or returns: a test advancing the clock waits for
/// what `start` does at once.
fn spawn_service<P: Send + 'static>(
    threads: &mut ThreadSet,
    label: PluginLabel,
    (stopping, parked, clock): (StopSignal, Arc<Parked>, &Clock),
    mut plugin: P,
    start: impl FnOnce(&mut P) -> Result<(), BoxError> + Send + 'static,
    stop: impl FnOnce(&mut P) -> Result<(), BoxError> + Send + 'static,
) -> Result<(), StartError> {
    let name = format!("input {}", label.type_with_id);
    let l = label.clone();
    let thread_name = name.clone();
    let hold = clock.hold_new_thread(&name);
    threads
        .spawn(name, move || {
            let held = hold.map(ThreadHold::enter);
            if let Some(Err(e)) = guard::call(&l, "start", || start(&mut plugin)) {
                guard::report_error(&l, "start", &e);
            }
            drop(held);
            let call = Box::new(move || {
                if let Some(Err(e)) = guard::call(&l, "stop", || stop(&mut plugin)) {
                    guard::report_error(&l, "stop", &e);
                }
            });
            if let Some(call) = parked.park(thread_name, call) {
                stopping.wait();
                call();
            }
        })
        .map_err(|e| thread_error(&label, e))
}

/// Starts the processing thread, running `run`.
pub(crate) fn spawn_process(
    threads: &mut Threads,
    env: &StartEnv,
    run: impl FnOnce() + Send + 'static,
) -> Result<(), StartError> {
    threads
        .process
        .spawn(format!("process {}", env.ident.config_name), run)
        .map_err(|source| StartError::Thread {
            plugin: "the processing thread".to_owned(),
            source,
        })
}

/// Starts one thread per flusher and returns the fan-out feeding them.
pub(crate) fn spawn_flushers<G: Group, F: ?Sized + Export<G> + Send + 'static>(
    threads: &mut ThreadSet,
    flushers: Vec<Built<Box<F>>>,
    env: &StartEnv,
) -> Result<(FanOut<G>, Vec<Arc<FlusherState>>), StartError> {
    // One flusher queue holds `DefaultLogGroupQueueSize` batches (iLogtail's flush queue
    // holds that many log groups).
    let capacity = env.global.default_log_group_queue_size.max(1);
    let mut outs = Vec::new();
    let mut states = Vec::new();
    for f in flushers {
        let ctx = env.ctx.for_plugin(f.meta.clone());
        let (label, delivery, plugin) = (f.label, f.delivery, f.plugin);
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        let state = Arc::new(FlusherState::new(label.clone(), delivery, &ctx));
        state.watch_queue(rx.clone());
        let (s, stop, ident) = (Arc::clone(&state), Arc::clone(&env.stop), env.ident.clone());
        threads
            .spawn(format!("flusher {}", label.type_with_id), move || {
                super::flush::run_flusher(plugin, rx, s, stop, ident);
            })
            .map_err(|e| thread_error(&label, e))?;
        outs.push(FlusherOut {
            tx,
            state: Arc::clone(&state),
            held_up: AtomicBool::new(false),
        });
        states.push(state);
    }
    Ok((
        FanOut {
            outs,
            stall_grace: env.stall_grace,
            stop: Arc::clone(&env.stop),
        },
        states,
    ))
}

/// An aggregator with its flush timing.
pub(crate) struct Timed<T> {
    pub built: Built<T>,
    pub interval: Duration,
    /// When its next flush is due; `None` when a virtual clock's timer thread asks for its
    /// flushes instead ([`Control::Flush`]).
    pub next: Option<Instant>,
}

impl<T> Timed<T> {
    /// `own_timing`: the processing thread times its flushes (on the real clock).
    pub(crate) fn new(built: Built<T>, interval: Duration, own_timing: bool) -> Self {
        Self {
            built,
            interval,
            next: own_timing.then(|| Instant::now() + interval),
        }
    }

    /// Whether its flush is due; if so, schedules the next one
    /// ([`runner::aggregator_flush_delay`]: the interval ± 5 %).
    pub(crate) fn due(&mut self, now: Instant) -> bool {
        match self.next {
            Some(next) if now >= next => {
                self.next = Some(now + runner::aggregator_flush_delay(self.interval));
                true
            }
            _ => false,
        }
    }
}

/// How long until the first aggregator flush is due, at most [`MAX_IDLE`].
pub(crate) fn until_next<T>(aggregators: &[Timed<T>]) -> Duration {
    let now = Instant::now();
    aggregators
        .iter()
        .filter_map(|a| a.next.map(|n| n.saturating_duration_since(now)))
        .min()
        .unwrap_or(MAX_IDLE)
        .min(MAX_IDLE)
}
