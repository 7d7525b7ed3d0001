//! The V1 runner: `protocol` logs through processors and aggregators to log-group flushers.
//!
//! Inputs → bounded queue of logs (`DefaultLogQueueSize`) → one processing thread (processors
//! in series, then every aggregator, which are flushed on their interval) → one bounded queue
//! and thread per flusher.

use super::assemble::{Built, V1Plugins};
use super::common::{
    self, Control, ProcessCounters, StartEnv, Started, Threads, Timed, ADD_RETRY, MAX_ROUND_LOGS,
};
use super::flush::FanOut;
use super::guard;
use super::sink::{CountingSink, InputQueue};
use super::stop::StopState;
use super::StartError;
use crossbeam_channel::{select, Receiver};
use pipeplug::plugin::{AggregatorV1, ProcessorV1};
use pipeplug::protocol::{Log, LogGroup, LogTag};
use pipeplug::{Clock, Collector, LogContext, LogGroupQueue, LogWithContext};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Initialises every plugin (inputs, processors, aggregators, flushers, in that order) and
/// starts the threads: flushers, then processing, then inputs.
pub(crate) fn start(
    p: V1Plugins,
    env: &StartEnv,
    threads: &mut Threads,
    finish: Receiver<()>,
) -> Result<Started<LogWithContext>, StartError> {
    let ready = common::init_plugins(p, env)?;

    let (fanout, flusher_states) =
        common::spawn_flushers(&mut threads.flushers, ready.flushers, env)?;
    let (sink, rx) = common::input_queue(env, MAX_ROUND_LOGS);
    let (control_tx, control) = common::control_channel(env);
    let timers: Vec<(String, std::time::Duration)> = ready
        .aggregators
        .iter()
        .map(|a| (a.built.label.type_with_id.clone(), a.interval))
        .collect();
    let process = Process {
        processors: ready.processors,
        aggregators: ready.aggregators,
        queue: ready.queue,
        fanout,
        tags: env
            .global
            .tags
            .iter()
            .map(|(k, v)| LogTag::new(k, v))
            .collect(),
        nanoseconds: env.global.enable_timestamp_nanosecond,
        counters: Arc::clone(&env.counters),
        stop: Arc::clone(&env.stop),
        outbox: Vec::new(),
        clock: env.ctx.clock().clone(),
        // The first batch is timed (the count wraps to 0).
        batches: u64::MAX,
    };
    common::spawn_process(threads, env, move || process.run(&rx, &finish, control))?;
    common::spawn_aggregator_timers(&mut threads.inputs, env, &timers, control_tx.as_ref())?;

    let inputs = common::Inputs {
        metric: ready.metric,
        service: ready.service,
        // Logs without a time get the pipeline clock's (the system clock's, but a test's
        // virtual one under `testing::PipelineTest`).
        out: {
            let (sink, clock) = (Arc::clone(&sink), env.ctx.clock().clone());
            Box::new(move |label: &guard::PluginLabel| {
                let to: Arc<dyn pipeplug::LogSink> = if label.stats.on() {
                    Arc::new(CountingSink {
                        inner: Arc::clone(&sink),
                        stats: Arc::clone(&label.stats),
                    })
                } else {
                    Arc::clone(&sink) as Arc<dyn pipeplug::LogSink>
                };
                Collector::new(to).with_clock(clock.clone())
            })
        },
        collect: |p, c| p.collect(c),
        start: |p, c| p.start(c),
    };
    let mut started = common::spawn_inputs(&mut threads.inputs, env, inputs, sink, flusher_states)?;
    started.control = control_tx;
    Ok(started)
}

/// Flushes aggregator `a` into `outbox`, counting what it gave as its events out.
fn flush(a: &mut Timed<Box<dyn AggregatorV1>>, outbox: &mut Vec<LogGroup>) {
    let plugin = &mut a.built.plugin;
    if let Some(groups) = guard::timed_call(&a.built.label, "flush", || plugin.flush()) {
        let n: usize = groups.iter().map(|g| g.logs.len()).sum();
        a.built.label.stats.add_out(n as u64);
        outbox.extend(groups);
    }
}

/// The processing thread's state.
struct Process {
    processors: Vec<Built<Box<dyn ProcessorV1>>>,
    aggregators: Vec<Timed<Box<dyn AggregatorV1>>>,
    queue: LogGroupQueue,
    fanout: FanOut<LogGroup>,
    tags: Vec<LogTag>,
    nanoseconds: bool,
    counters: Arc<ProcessCounters>,
    stop: Arc<StopState>,
    outbox: Vec<LogGroup>,
    /// The pipeline's clock: the time of logs that come without one.
    clock: Clock,
    /// Batches processed (which to time: see `process`).
    batches: u64,
}

/// One batch in this many has the calls of processors and aggregators timed (each call
/// counted as this many in the call-time histograms).
const TIME_ONE_BATCH_IN: u64 = 8;

impl Process {
    fn run(
        mut self,
        input: &InputQueue<LogWithContext>,
        finish: &Receiver<()>,
        mut control: Receiver<Control>,
    ) {
        let queue_rx = self.queue.receiver().clone();
        let mut finishing = false;
        loop {
            let mut batch = input.wait_idle();
            let mut request = None;
            if batch.is_none() {
                let timeout = common::until_next(&self.aggregators);
                select! {
                    recv(input.receiver()) -> m => match m {
                        Ok(b) => batch = Some(b),
                        Err(_) => finishing = true,
                    },
                    recv(queue_rx) -> g => if let Ok(g) = g { self.take_queued(vec![g]) },
                    recv(finish) -> _ => finishing = true,
                    recv(control) -> c => match c {
                        Ok(c) => request = Some(c),
                        // The test is gone: no more requests (and no busy loop on a closed
                        // channel).
                        Err(_) => control = crossbeam_channel::never(),
                    },
                    default(timeout) => {},
                }
                input.busy();
            }
            if let Some(batch) = batch {
                self.process_batch(batch);
            }
            if let Some(request) = request {
                self.answer(input, request);
            }
            self.flush_due(false);
            self.send();
            if finishing {
                break;
            }
        }
        // Drain: everything queued goes through, then every aggregator flushes a last time.
        while let Some(batch) = input.take() {
            if self.stop.drain_gave_up() {
                // Counted dropped for every flusher (the inputs are closed: nothing follows).
                let n = batch.len() as u64 + input.take_all(|_| 1);
                self.fanout.drop_for_all(n);
                tracing::error!(
                    "pipeline stop overdue: {n} logs still queued for processing are dropped"
                );
                break;
            }
            self.process_batch(batch);
            self.send();
        }
        self.flush_due(true);
        self.send();
    }

    /// Answers a test's request (virtual clock only): everything handed over so far goes
    /// through, then the aggregator asked for flushes, and what comes out goes to the
    /// flushers.
    fn answer(&mut self, input: &InputQueue<LogWithContext>, request: Control) {
        while let Some(batch) = input.take() {
            self.process_batch(batch);
            self.send();
        }
        let (due, ack) = request.split();
        if let Some(a) = due.and_then(|i| self.aggregators.get_mut(i)) {
            flush(a, &mut self.outbox);
        }
        self.send();
        let _ = ack.send(());
    }

    /// Runs `batch` through the pipeline in runs of consecutive logs that share a context.
    fn process_batch(&mut self, batch: Vec<LogWithContext>) {
        let mut logs = Vec::with_capacity(batch.len());
        let mut context: Option<LogContext> = None;
        for LogWithContext { log, context: c } in batch {
            if c != context && !logs.is_empty() {
                self.process(std::mem::take(&mut logs), context.as_ref());
            }
            context = c;
            logs.push(log);
        }
        if !logs.is_empty() {
            self.process(logs, context.as_ref());
        }
    }

    /// Runs `logs` through the processors, then into every aggregator.
    fn process(&mut self, mut logs: Vec<Log>, context: Option<&LogContext>) {
        // Each stage's call time is the time since the previous stage ended: one clock
        // read per stage. And only one batch in `TIME_ONE_BATCH_IN` is timed, each of its
        // calls counted as that many: batches can be a few logs each (the processing thread
        // takes what is there as soon as it is free), and a clock read per stage and batch
        // would cost more than the rest of the counting.
        self.batches = self.batches.wrapping_add(1);
        let mut lap = if self.batches.is_multiple_of(TIME_ONE_BATCH_IN) {
            self.aggregators
                .first()
                .and_then(|a| a.built.label.stats.begin_call())
        } else {
            None
        };
        for p in &mut self.processors {
            if logs.is_empty() {
                return;
            }
            let n = logs.len() as u64;
            p.label.stats.add_in(n);
            let out = guard::call(&p.label, "process_logs", || p.plugin.process_logs(logs));
            p.label.stats.lap(&mut lap, TIME_ONE_BATCH_IN);
            match out {
                Some(out) => {
                    p.label.stats.add_out(out.len() as u64);
                    logs = out;
                }
                None => {
                    self.counters.panicked.fetch_add(n, Ordering::Relaxed);
                    p.label.stats.add_lost_in_panic(n);
                    return;
                }
            }
        }
        let now = self.clock.now();
        // As iLogtail: empty logs are skipped, a zero time is now, nanoseconds only when
        // enabled.
        logs.retain(|l| !l.contents.is_empty());
        for l in &mut logs {
            if l.time == 0 {
                l.set_time(now);
            }
            if !self.nanoseconds {
                l.time_ns = None;
            }
        }
        let last = self.aggregators.len().saturating_sub(1);
        for i in 0..self.aggregators.len() {
            // The adds of one batch are timed as one call (a clock read per log would cost
            // more than many an `add`).
            self.aggregators[i]
                .built
                .label
                .stats
                .add_in(logs.len() as u64);
            if i == last {
                for log in std::mem::take(&mut logs) {
                    self.add(i, log, context);
                }
            } else {
                for log in &logs {
                    self.add(i, log.clone(), context);
                }
            }
            self.aggregators[i]
                .built
                .label
                .stats
                .lap(&mut lap, TIME_ONE_BATCH_IN);
        }
    }

    /// Adds one log to aggregator `i`, retrying every 10 ms while it refuses (as iLogtail);
    /// meanwhile what it queues goes out and its flush runs on time. A log still refused after
    /// two flush intervals is dropped and reported.
    fn add(&mut self, i: usize, mut log: Log, context: Option<&LogContext>) {
        // Read the clock only once refused: most logs go in at the first try.
        let mut refused_since: Option<Instant> = None;
        let mut tries: u64 = 0;
        loop {
            let a = &mut self.aggregators[i];
            // `add` takes the log by value and a refused log is gone, so a retry needs a
            // copy. The copy stays here and the log itself goes on: a copy made and freed on
            // this thread is cheap to free, while the log, made on an input's thread, is
            // freed by a flusher's thread, off the processing thread's path.
            let spare = log.clone();
            let label = &a.built.label;
            let plugin = &mut a.built.plugin;
            match guard::call(label, "add", || plugin.add(log, context)) {
                Some(Ok(())) => return,
                None => {
                    self.counters.panicked.fetch_add(1, Ordering::Relaxed);
                    label.stats.add_lost_in_panic(1);
                    return;
                }
                Some(Err(e)) => {
                    log = spare;
                    tries += 1;
                    label.stats.add_error();
                    if tries % 100 == 1 {
                        tracing::warn!(
                            config = %label.config,
                            plugin = %label.type_with_id,
                            alarm = "AGGREGATOR_ADD_ALARM",
                            "aggregator {label} refused a log ({}); retrying",
                            pipeplug::error_chain(&*e)
                        );
                    }
                    let since = *refused_since.get_or_insert_with(Instant::now);
                    let give_up = since.elapsed() > a.interval * 2 + ADD_RETRY * 10;
                    if give_up || self.stop.drain_overdue() {
                        tracing::error!(
                            config = %label.config,
                            plugin = %label.type_with_id,
                            "aggregator {label} kept refusing a log ({}); it is dropped",
                            pipeplug::error_chain(&*e)
                        );
                        self.counters.refused.fetch_add(1, Ordering::Relaxed);
                        label.stats.add_refused(1);
                        return;
                    }
                    self.flush_due(false);
                    self.send();
                    std::thread::sleep(ADD_RETRY);
                }
            }
        }
    }

    /// Flushes the aggregators whose interval is up (all of them when `all`).
    fn flush_due(&mut self, all: bool) {
        let now = Instant::now();
        for a in &mut self.aggregators {
            if all || a.due(now) {
                flush(a, &mut self.outbox);
            }
        }
    }

    /// Takes groups an aggregator queued to be flushed early into the outbox; they are its
    /// events out too (with several aggregators sharing the queue, whose they are is not
    /// known: then they are not counted).
    fn take_queued(&mut self, queued: Vec<LogGroup>) {
        if let [a] = self.aggregators.as_slice() {
            if !queued.is_empty() && a.built.label.stats.on() {
                let n: usize = queued.iter().map(|g| g.logs.len()).sum();
                a.built.label.stats.add_out(n as u64);
            }
        }
        self.outbox.extend(queued);
    }

    /// Sends what the aggregators produced (returned or queued) to the flushers, with the
    /// pipeline's global tags.
    fn send(&mut self) {
        let queued = self.queue.drain();
        self.take_queued(queued);
        if self.outbox.is_empty() {
            return;
        }
        let mut batch = std::mem::take(&mut self.outbox);
        batch.retain(|g| !g.logs.is_empty());
        if !self.tags.is_empty() {
            for g in &mut batch {
                g.log_tags.extend(self.tags.iter().cloned());
            }
        }
        self.fanout.send(batch);
    }
}
