//! The V2 runner: `models` event groups through processors and aggregators to flushers.
//!
//! Inputs → bounded queue of groups (`DefaultLogQueueSize`) → one processing thread (each
//! processor collects into a grouped collector: what it does not collect is dropped, as in
//! iLogtail; then every aggregator records, and gives its result on its interval) → one
//! bounded queue and thread per flusher.
//!
//! A processor's collector is read after each group it processes: what it collects for one
//! group is merged (equal groups), but groups that came in separately stay apart, as
//! iLogtail's grouped context keeps them (it groups by the group's identity). Merging
//! separate groups would also copy every event once more.

use super::assemble::{Built, V2Plugins};
use super::common::{
    self, Control, ProcessCounters, StartEnv, Started, Threads, Timed, MAX_ROUND_GROUPS,
};
use super::flush::FanOut;
use super::guard;
use super::sink::{CountingSink, InputQueue};
use super::stop::StopState;
use super::StartError;
use crossbeam_channel::{select, Receiver};
use pipeplug::models::PipelineGroupEvents;
use pipeplug::plugin::{AggregatorV2, ProcessorV2};
use pipeplug::{GroupSink, PipelineCollector, PipelineContext};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Initialises every plugin (inputs, processors, aggregators, flushers, in that order) and
/// starts the threads: flushers, then processing, then inputs.
pub(crate) fn start(
    p: V2Plugins,
    env: &StartEnv,
    threads: &mut Threads,
    finish: Receiver<()>,
) -> Result<Started<PipelineGroupEvents>, StartError> {
    let ready = common::init_plugins(p, env)?;

    let (fanout, flusher_states) =
        common::spawn_flushers(&mut threads.flushers, ready.flushers, env)?;
    let (sink, rx) = common::input_queue(env, MAX_ROUND_GROUPS);
    let (control_tx, control) = common::control_channel(env);
    let timers: Vec<(String, std::time::Duration)> = ready
        .aggregators
        .iter()
        .map(|a| (a.built.label.type_with_id.clone(), a.interval))
        .collect();
    let outbox: Arc<Mutex<Vec<PipelineGroupEvents>>> = Arc::default();
    let out = Arc::clone(&outbox);
    let aggregate_ctx = PipelineContext::new(PipelineCollector::from_sink(Arc::new(
        move |g: PipelineGroupEvents| {
            out.lock().unwrap_or_else(PoisonError::into_inner).push(g);
        },
    )));
    let process = Process {
        processors: ready
            .processors
            .into_iter()
            .map(|p| (p, PipelineContext::new(PipelineCollector::grouped())))
            .collect(),
        aggregators: ready.aggregators,
        aggregate_ctx,
        outbox,
        fanout,
        tags: env
            .global
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        counters: Arc::clone(&env.counters),
        stop: Arc::clone(&env.stop),
    };
    common::spawn_process(threads, env, move || process.run(&rx, &finish, control))?;
    common::spawn_aggregator_timers(&mut threads.inputs, env, &timers, control_tx.as_ref())?;

    let inputs = common::Inputs {
        metric: ready.metric,
        service: ready.service,
        out: {
            let sink = Arc::clone(&sink);
            Box::new(move |label: &guard::PluginLabel| {
                let to: Arc<dyn GroupSink> = if label.stats.on() {
                    Arc::new(CountingSink {
                        inner: Arc::clone(&sink),
                        stats: Arc::clone(&label.stats),
                    })
                } else {
                    Arc::clone(&sink) as Arc<dyn GroupSink>
                };
                PipelineContext::new(PipelineCollector::from_sink(to))
            })
        },
        collect: |p, c| p.read(c),
        start: |p, c| p.start_service(c),
    };
    let mut started = common::spawn_inputs(&mut threads.inputs, env, inputs, sink, flusher_states)?;
    started.control = control_tx;
    Ok(started)
}

/// Events in `groups`.
fn events(groups: &[PipelineGroupEvents]) -> u64 {
    groups.iter().map(|g| g.events.len() as u64).sum()
}

/// Asks aggregator `a` for its result (into `outbox`, through `ctx`), counting what it gave
/// (what groups reached the outbox during the call) as its events out.
fn get_result(
    a: &mut Timed<Box<dyn AggregatorV2>>,
    ctx: &PipelineContext,
    outbox: &Mutex<Vec<PipelineGroupEvents>>,
) {
    let label = &a.built.label;
    let plugin = &mut a.built.plugin;
    let outbox_len = || outbox.lock().unwrap_or_else(PoisonError::into_inner).len();
    let before = label.stats.on().then(outbox_len);
    if let Some(Err(e)) = guard::timed_call(label, "get_result", || plugin.get_result(ctx)) {
        guard::report_error(label, "get_result", &e);
    }
    if let Some(before) = before {
        let out = outbox.lock().unwrap_or_else(PoisonError::into_inner);
        label
            .stats
            .add_out(events(out.get(before..).unwrap_or_default()));
    }
}

/// The processing thread's state.
struct Process {
    processors: Vec<(Built<Box<dyn ProcessorV2>>, PipelineContext)>,
    aggregators: Vec<Timed<Box<dyn AggregatorV2>>>,
    aggregate_ctx: PipelineContext,
    outbox: Arc<Mutex<Vec<PipelineGroupEvents>>>,
    fanout: FanOut<PipelineGroupEvents>,
    tags: Vec<(String, String)>,
    counters: Arc<ProcessCounters>,
    stop: Arc<StopState>,
}

impl Process {
    fn run(
        mut self,
        input: &InputQueue<PipelineGroupEvents>,
        finish: &Receiver<()>,
        mut control: Receiver<Control>,
    ) {
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
            if let Some(groups) = batch {
                self.process(groups);
            }
            if let Some(request) = request {
                self.answer(input, request);
            }
            self.result_due(false);
            self.send();
            if finishing {
                break;
            }
        }
        // Drain: everything queued goes through, then every aggregator gives its result.
        while let Some(groups) = input.take() {
            if self.stop.drain_gave_up() {
                let n = groups.iter().map(|g| g.events.len() as u64).sum::<u64>()
                    + input.take_all(|g| g.events.len() as u64);
                // Counted dropped for every flusher (the inputs are closed: nothing follows).
                self.fanout.drop_for_all(n);
                tracing::error!(
                    "pipeline stop overdue: {n} events still queued for processing are dropped"
                );
                break;
            }
            self.process(groups);
            self.send();
        }
        self.result_due(true);
        self.send();
    }

    /// Answers a test's request (virtual clock only): everything handed over so far goes
    /// through, then the aggregator asked for gives its result, and what comes out goes to
    /// the flushers.
    fn answer(&mut self, input: &InputQueue<PipelineGroupEvents>, request: Control) {
        while let Some(groups) = input.take() {
            self.process(groups);
            self.send();
        }
        let (flush, ack) = request.split();
        if let Some(a) = flush.and_then(|i| self.aggregators.get_mut(i)) {
            get_result(a, &self.aggregate_ctx, &self.outbox);
        }
        self.send();
        let _ = ack.send(());
    }

    fn process(&mut self, mut groups: Vec<PipelineGroupEvents>) {
        for (p, ctx) in &mut self.processors {
            if groups.is_empty() {
                return;
            }
            // Read after each group (see the module docs).
            let mut out = Vec::with_capacity(groups.len());
            for g in groups {
                let n = g.events.len() as u64;
                let plugin = &mut p.plugin;
                let c = &*ctx;
                let done = guard::timed_call(&p.label, "process", || plugin.process(g, c));
                let before = out.len();
                ctx.collector().drain_into(&mut out);
                p.label.stats.add_in(n);
                if done.is_none() {
                    // What it collected before panicking goes with the rest of the group:
                    // the whole group counts as lost.
                    out.truncate(before);
                    self.counters.panicked.fetch_add(n, Ordering::Relaxed);
                    p.label.stats.add_lost_in_panic(n);
                } else if p.label.stats.on() {
                    p.label.stats.add_out(events(&out[before..]));
                }
            }
            groups = out;
        }
        let last = self.aggregators.len().saturating_sub(1);
        for i in 0..self.aggregators.len() {
            let input: Vec<PipelineGroupEvents> = if i == last {
                std::mem::take(&mut groups)
            } else {
                groups.clone()
            };
            let a = &mut self.aggregators[i];
            for g in input {
                if g.events.is_empty() {
                    continue;
                }
                let n = g.events.len() as u64;
                let plugin = &mut a.built.plugin;
                let ctx = &self.aggregate_ctx;
                let stats = &a.built.label.stats;
                stats.add_in(n);
                match guard::timed_call(&a.built.label, "record", || plugin.record(g, ctx)) {
                    Some(Ok(())) => {}
                    Some(Err(e)) => {
                        guard::report_error(&a.built.label, "record", &e);
                        self.counters.refused.fetch_add(n, Ordering::Relaxed);
                        stats.add_refused(n);
                    }
                    None => {
                        self.counters.panicked.fetch_add(n, Ordering::Relaxed);
                        stats.add_lost_in_panic(n);
                    }
                }
            }
        }
    }

    /// Asks the aggregators whose interval is up (all of them when `all`) for their result.
    fn result_due(&mut self, all: bool) {
        let now = Instant::now();
        for a in &mut self.aggregators {
            if all || a.due(now) {
                get_result(a, &self.aggregate_ctx, &self.outbox);
            }
        }
    }

    /// Sends what the aggregators collected to the flushers, with the global tags merged
    /// into each group's tags.
    fn send(&mut self) {
        let mut batch =
            std::mem::take(&mut *self.outbox.lock().unwrap_or_else(PoisonError::into_inner));
        if batch.is_empty() {
            return;
        }
        batch.retain(|g| !g.events.is_empty());
        if !self.tags.is_empty() {
            for g in &mut batch {
                for (k, v) in &self.tags {
                    g.group.tags.add(k.clone(), v.clone());
                }
            }
        }
        self.fanout.send(batch);
    }
}
