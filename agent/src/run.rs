//! `pipeplug run` once its configs are loaded: pipelines start on a thread of their own while
//! the main thread waits for a stop (a signal or `--for`), so that a plugin whose `init`
//! blocks cannot keep the agent from stopping; then every pipeline stops at the same time.
//!
//! - A stop that comes while pipelines are still starting waits at most the `inputs` stop
//!   step's limit for the start to return; if a plugin's `init` has not returned by then, what
//!   started is stopped cleanly and the run fails (exit 1), naming that plugin.
//! - An `init` running longer than [`SLOW_INIT`] is logged (then again each time its wait
//!   has doubled).
//! - Pipelines stop in parallel, each in the engine's order and within its step limits, so
//!   a stop takes no longer with many pipelines than with one.
//! - [`Board`] keeps what is known of the stop for the report of a forced exit (a second
//!   signal, see [`crate::signals`]).
//!
//! # Reloads (SIGHUP, `--watch`)
//!
//! A reload request ([`Requests::reload`], [`Requests::watch`]) has the configs read again
//! ([`Configs::plan`]); what it decides runs as a *job* on a thread of its own, as the
//! first start does: the removed and changed pipelines are stopped (cleanly, in parallel,
//! as at the end of a run), then the added and changed ones are started. Unchanged ones
//! are not touched. Meanwhile the main thread keeps listening:
//!
//! - a stop request cancels what the job has not started yet, waits for the job's stops
//!   (bounded by their step limits) and then for its start as it waits for the first
//!   start, and stops everything;
//! - reload requests during a job make one more reload once it is done;
//! - a pipeline of a reload that fails to start is logged and not running (the others
//!   start); a reload refused as a whole (a directory that cannot be listed) changes
//!   nothing. Only at the first start does a pipeline that fails to start fail the run.
//!
//! Once the stop has begun, reload requests are no longer read (the signal listener logs a
//! SIGHUP then as ignored).

use crate::engine::{EngineOptions, Pipeline, RunningPipeline, StartError, StopReport};
use crate::init_watch;
use crate::reload::{Configs, Starting};
use crate::signals::FORCED_EXIT_CODE;
use crossbeam_channel::{Receiver, Sender};
use pipeplug::registry::Registry;
use pipeplug::CheckpointStore;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A plugin's `init` running this long is logged as slow.
pub(crate) const SLOW_INIT: Duration = Duration::from_secs(5);
/// How often the main thread looks at the start's progress.
const TICK: Duration = Duration::from_millis(200);

/// What to run, and how.
pub(crate) struct RunPlan {
    /// The configs, to reload them.
    pub configs: Configs,
    /// The pipelines to start first, in start order.
    pub pipelines: Vec<Starting>,
    /// The checkpoint store they share.
    pub checkpoints: Arc<dyn CheckpointStore>,
    /// The engine's options (stop step limits).
    pub options: EngineOptions,
    /// When to stop by itself (`--for`), if ever.
    pub stop_at: Option<Instant>,
}

/// Where requests come from (a channel whose sender is gone is no longer listened to).
pub(crate) struct Requests {
    /// Stop (the first stop signal's name).
    pub stop: Receiver<&'static str>,
    /// Reload, from a signal (its name).
    pub reload: Receiver<&'static str>,
    /// Reload, from `--watch` (what it saw).
    pub watch: Receiver<&'static str>,
}

/// What the stop knows, for the report of a forced exit.
#[derive(Debug, Default)]
pub(crate) struct Board {
    pipelines: Vec<BoardEntry>,
}

#[derive(Debug)]
struct BoardEntry {
    name: String,
    flushers: Vec<String>,
    events_in: u64,
    flushed: Vec<u64>,
    stopping: bool,
    finished: bool,
}

impl Board {
    fn started(&mut self, p: &RunningPipeline, flushers: Vec<String>) {
        // A pipeline of the same name that a reload stopped is replaced: its events were
        // delivered (or its report logged them).
        self.pipelines
            .retain(|e| !(e.finished && e.name == p.name()));
        self.pipelines.push(BoardEntry {
            name: p.name().to_owned(),
            events_in: p.events_in(),
            flushed: p.flushed(),
            flushers,
            stopping: false,
            finished: false,
        });
    }

    /// Takes the counts of `running` as the stop begins.
    fn begin_stop(&mut self, running: &[RunningPipeline]) {
        for p in running {
            if let Some(e) = self.entry(p.name()) {
                e.stopping = true;
                e.events_in = p.events_in();
                e.flushed = p.flushed();
            }
        }
    }

    /// The entry of the pipeline `name` that has not finished its stop.
    fn entry(&mut self, name: &str) -> Option<&mut BoardEntry> {
        self.pipelines
            .iter_mut()
            .find(|e| !e.finished && e.name == name)
    }

    fn finished(&mut self, report: &StopReport) {
        if let Some(e) = self.entry(&report.config) {
            e.events_in = report.events_in;
            e.flushers = report.flushers.iter().map(|f| f.plugin.clone()).collect();
            e.flushed = report.flushers.iter().map(|f| f.flushed).collect();
            e.finished = true;
        }
    }

    /// The forced exit's report: per pipeline, events in and flushed per flusher, and the
    /// events not delivered (per pipeline, the most any one of its flushers lacks).
    pub(crate) fn forced_exit_report(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut undelivered = 0;
        for e in &self.pipelines {
            let when = if e.finished {
                "stopped"
            } else if e.stopping {
                "did not finish its stop; when the stop began it had"
            } else {
                "had not begun to stop; it had"
            };
            let flushers: Vec<String> = e
                .flushers
                .iter()
                .zip(&e.flushed)
                .map(|(f, n)| {
                    let missing = e.events_in.saturating_sub(*n);
                    format!("{n} to {f} ({missing} not delivered)")
                })
                .collect();
            undelivered += e
                .flushed
                .iter()
                .map(|n| e.events_in.saturating_sub(*n))
                .max()
                .unwrap_or(0);
            lines.push(format!(
                "pipeline `{}` {when}: {} event(s) in, flushed {}",
                e.name,
                e.events_in,
                flushers.join(", ")
            ));
        }
        lines.push(format!("{undelivered} event(s) not delivered"));
        lines
    }
}

/// Locks the board (a panic elsewhere does not keep the report from being printed).
fn lock(board: &Mutex<Board>) -> std::sync::MutexGuard<'_, Board> {
    board.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Prints the forced exit's report on stderr and exits at once with code 130.
pub(crate) fn forced_exit(board: &Mutex<Board>, signal: &str, after: Duration) -> ! {
    let mut text = format!(
        "pipeplug: {signal} {after:.1?} after the first signal: exiting now, without finishing the stop\n"
    );
    for line in lock(board).forced_exit_report() {
        text.push_str("pipeplug: ");
        text.push_str(&line);
        text.push('\n');
    }
    // One write, so that the report is not interleaved with a log line.
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
    // `_exit`: no more plugin code (a flusher blocked in a write, a buffer flush at exit).
    signal_hook::low_level::exit(FORCED_EXIT_CODE)
}

/// What a job's thread tells the main thread.
enum FromJob {
    /// The pipelines it was to stop have stopped.
    Stopped,
    Started {
        pipeline: Box<RunningPipeline>,
        flushers: Vec<String>,
        text: String,
    },
    Failed {
        file: String,
        error: StartError,
    },
    Done,
}

/// Work done on a thread of its own while the main thread listens for requests: the first
/// start (nothing to stop), or a reload.
struct Job {
    stop: Vec<RunningPipeline>,
    start: Vec<Starting>,
    /// The first start: a pipeline that fails to start ends the job, and the run.
    first: bool,
}

/// A job under way, from the main thread's view.
struct JobHandle {
    from_job: Receiver<FromJob>,
    cancel: Arc<AtomicBool>,
    /// Its stops are done.
    stopped: bool,
    first: bool,
}

/// The flushers of `p` as the engine names them: `type/id (flushers[i])`.
fn flusher_labels(p: &Pipeline) -> Vec<String> {
    p.config()
        .flushers
        .iter()
        .map(|f| {
            format!(
                "{} ({}[{}])",
                f.meta().type_with_id(),
                f.position.section,
                f.position.index
            )
        })
        .collect()
}

/// What a job needs besides its work.
#[derive(Clone)]
struct JobEnv {
    checkpoints: Arc<dyn CheckpointStore>,
    options: EngineOptions,
    board: Arc<Mutex<Board>>,
}

/// Starts `job` on a thread of its own.
fn spawn_job(job: Job, env: &JobEnv) -> std::io::Result<JobHandle> {
    let cancel = Arc::new(AtomicBool::new(false));
    let (tx, from_job) = crossbeam_channel::unbounded();
    let c = Arc::clone(&cancel);
    let env = env.clone();
    let first = job.first;
    let name = if first {
        "pipeplug-start"
    } else {
        "pipeplug-reload"
    };
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || run_job(job, &env, &c, &tx))?;
    Ok(JobHandle {
        from_job,
        cancel,
        stopped: false,
        first,
    })
}

/// Stops the job's pipelines, then starts its pipelines in order on the calling thread,
/// handing each to `tx` as it starts; stops starting more once `cancel` is set (or, at the
/// first start, once one fails).
fn run_job(job: Job, env: &JobEnv, cancel: &AtomicBool, tx: &Sender<FromJob>) {
    if !job.stop.is_empty() {
        stop_all(job.stop, &env.board);
    }
    let _ = tx.send(FromJob::Stopped);
    for starting in job.start {
        if cancel.load(Ordering::SeqCst) {
            break;
        }
        match start_one(starting, env) {
            Ok(started) => {
                if let Err(unsent) = tx.send(started) {
                    // The main thread is gone: stop what this thread started.
                    if let FromJob::Started { pipeline, .. } = unsent.into_inner() {
                        pipeline.stop();
                    }
                    return;
                }
            }
            Err(failed) => {
                let _ = tx.send(failed);
                if job.first {
                    return;
                }
            }
        }
    }
    let _ = tx.send(FromJob::Done);
}

/// Starts one pipeline: `Started`, or `Failed`. A changed pipeline whose new config fails
/// to start has its previous config started in its place (logged).
fn start_one(starting: Starting, env: &JobEnv) -> Result<FromJob, FromJob> {
    let Starting {
        pipeline,
        text,
        previous,
    } = starting;
    let file = pipeline.config().file.clone();
    let name = pipeline.config().name.clone();
    let flushers = flusher_labels(&pipeline);
    let error = match RunningPipeline::start(pipeline, Arc::clone(&env.checkpoints), &env.options) {
        Ok(pipeline) => {
            return Ok(FromJob::Started {
                pipeline: Box::new(pipeline),
                flushers,
                text,
            })
        }
        Err(error) => error,
    };
    let Some(previous) = previous else {
        return Err(FromJob::Failed { file, error });
    };
    tracing::error!(
        "reload: {file}: {}; starting pipeline `{name}` again from its previous config",
        pipeplug::error_chain(&error)
    );
    let started = start_one(*previous, env);
    if matches!(started, Ok(FromJob::Started { .. })) {
        tracing::warn!(
            "reload: pipeline `{name}` runs its previous config again (fix {file} and reload)"
        );
    }
    started
}

/// Logs each `init` that has run for [`SLOW_INIT`], then again each time its wait doubles.
#[derive(Default)]
struct SlowInits {
    next_warning: HashMap<u64, Duration>,
}

impl SlowInits {
    fn check(&mut self) {
        for call in init_watch::in_progress() {
            let next = self.next_warning.entry(call.id).or_insert(SLOW_INIT);
            let waited = call.elapsed();
            if waited >= *next {
                tracing::warn!(
                    "waiting for the init of {call} ({}s so far; a stop now gives up on it)",
                    waited.as_secs()
                );
                *next = next.saturating_mul(2);
            }
        }
    }
}

/// The main thread's state between requests.
struct Runner<'a> {
    configs: Configs,
    registry: &'a Registry,
    env: JobEnv,
    running: Vec<RunningPipeline>,
    job: Option<JobHandle>,
}

/// What a message of a job means for the run.
enum Taken {
    /// Go on.
    Continue,
    /// The job is over.
    Done,
    /// The first start failed: the run fails.
    Fatal { file: String, error: StartError },
}

impl Runner<'_> {
    /// Takes in a message of the current job.
    fn take(&mut self, message: Option<FromJob>) -> Taken {
        let first = self.job.as_ref().is_some_and(|j| j.first);
        match message {
            Some(FromJob::Stopped) => {
                if let Some(j) = self.job.as_mut() {
                    j.stopped = true;
                }
                Taken::Continue
            }
            Some(FromJob::Started {
                pipeline,
                flushers,
                text,
            }) => {
                lock(&self.env.board).started(&pipeline, flushers);
                self.configs.started(pipeline.name(), text);
                self.running.push(*pipeline);
                Taken::Continue
            }
            Some(FromJob::Failed { file, error }) if first => Taken::Fatal { file, error },
            Some(FromJob::Failed { file, error }) => {
                tracing::error!(
                    "reload: {file}: {}; its pipeline is not running (fix it and reload)",
                    pipeplug::error_chain(&error)
                );
                Taken::Continue
            }
            Some(FromJob::Done) | None => {
                self.job = None;
                Taken::Done
            }
        }
    }

    /// Reads the configs again and starts the job that applies the change, if any.
    fn reload(&mut self, cause: &str) {
        let change = match self.configs.plan(self.registry, false) {
            Ok(c) => c,
            Err(errors) => {
                for e in &errors.errors {
                    tracing::error!("reload ({cause}) refused: {e}; nothing changed");
                }
                return;
            }
        };
        for e in &change.errors.errors {
            tracing::error!("reload: {e}");
        }
        tracing::info!("reload ({cause}): {}", change.summary);
        if !change.summary.refused.is_empty() {
            tracing::warn!(
                "reload: refused {} (see the errors above): what ran under these names keeps running as it was",
                change.summary.refused.join(", ")
            );
        }
        let mut stop = Vec::new();
        for name in &change.stop {
            self.configs.stopped(name);
            if let Some(i) = self.running.iter().position(|p| p.name() == name) {
                stop.push(self.running.remove(i));
            }
        }
        if stop.is_empty() && change.start.is_empty() {
            return;
        }
        let job = Job {
            stop,
            start: change.start,
            first: false,
        };
        match spawn_job(job, &self.env) {
            Ok(j) => self.job = Some(j),
            // The job (and its pipelines to stop) went with the error: they were dropped,
            // which stops nothing cleanly; say so loudly.
            Err(e) => tracing::error!(
                "reload: cannot start a thread to apply it ({e}); the pipelines it was to stop or start are not running"
            ),
        }
    }

    /// Runs until a stop request or `stop_at`; returns its cause, or the exit code when the
    /// first start failed.
    fn serve(&mut self, requests: &Requests, stop_at: Option<Instant>) -> Result<String, ExitCode> {
        let mut stop_rx = requests.stop.clone();
        let mut reload_rx = requests.reload.clone();
        let mut watch_rx = requests.watch.clone();
        let mut pending: Option<&'static str> = None;
        let mut slow = SlowInits::default();
        loop {
            if self.job.is_none() {
                if let Some(cause) = pending.take() {
                    self.reload(cause);
                    continue;
                }
            }
            let from_job = self
                .job
                .as_ref()
                .map_or_else(crossbeam_channel::never, |j| j.from_job.clone());
            let tick = stop_at.map_or(TICK, |t| {
                t.saturating_duration_since(Instant::now()).min(TICK)
            });
            crossbeam_channel::select! {
                recv(from_job) -> m => {
                    if let Taken::Fatal { file, error } = self.take(m.ok()) {
                        return Err(self.fail_start(&file, &error));
                    }
                }
                recv(stop_rx) -> s => match s {
                    Ok(signal) => return Ok(signal.to_owned()),
                    // No signals (the listener is gone): `--for` may still stop the run.
                    Err(_) => stop_rx = crossbeam_channel::never(),
                },
                recv(reload_rx) -> s => match s {
                    Ok(cause) => pending = Some(cause),
                    Err(_) => reload_rx = crossbeam_channel::never(),
                },
                recv(watch_rx) -> s => match s {
                    Ok(cause) => pending = Some(cause),
                    Err(_) => watch_rx = crossbeam_channel::never(),
                },
                default(tick) => {
                    if stop_at.is_some_and(|t| Instant::now() >= t) {
                        return Ok("--for".to_owned());
                    }
                    slow.check();
                }
            }
        }
    }

    /// The first start failed: stops what started; exit 1.
    fn fail_start(&mut self, file: &str, error: &StartError) -> ExitCode {
        // The engine names the plugin and its position; the file says which config.
        eprintln!("error: {file}: {}", pipeplug::error_chain(error));
        stop_all(std::mem::take(&mut self.running), &self.env.board);
        ExitCode::FAILURE
    }

    /// After a stop request during a job: cancels what it has not started, waits for its
    /// stops, then at most `start_limit` for its start. `Err` with the exit code when the
    /// first start failed or when the start did not return in time.
    fn finish_job(&mut self, cause: &str, start_limit: Duration) -> Result<(), ExitCode> {
        let Some(job) = &self.job else {
            return Ok(());
        };
        job.cancel.store(true, Ordering::SeqCst);
        if job.first {
            tracing::info!("stopping ({cause}) while pipelines are still starting");
        } else {
            tracing::info!("stopping ({cause}) during a reload: waiting for it to finish");
        }
        // The job's stops are bounded by their step limits; its start by `start_limit`.
        let stops = if job.stopped {
            Duration::ZERO
        } else {
            self.env.options.timeouts.worst_case()
        };
        let deadline = Instant::now() + stops + start_limit;
        while let Some(job) = &self.job {
            let m = match job.from_job.recv_deadline(deadline) {
                Ok(m) => Some(m),
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => None,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    give_up_on_start(cause, start_limit);
                    stop_all(std::mem::take(&mut self.running), &self.env.board);
                    return Err(ExitCode::FAILURE);
                }
            };
            if let Taken::Fatal { file, error } = self.take(m) {
                return Err(self.fail_start(&file, &error));
            }
        }
        Ok(())
    }
}

/// Stops every pipeline, each on a thread of its own (the calling thread takes its share),
/// and returns their reports.
fn stop_all(running: Vec<RunningPipeline>, board: &Mutex<Board>) -> Vec<StopReport> {
    lock(board).begin_stop(&running);
    let helpers = running.len().saturating_sub(1);
    let (tx, rx) = crossbeam_channel::unbounded();
    for p in running.into_iter().rev() {
        let _ = tx.send(p);
    }
    drop(tx);
    let work = || {
        let mut reports = Vec::new();
        while let Ok(p) = rx.recv() {
            let report = p.stop();
            lock(board).finished(&report);
            reports.push(report);
        }
        reports
    };
    std::thread::scope(|s| {
        // A helper that cannot be spawned leaves its share to the others.
        let spawned: Vec<_> = (0..helpers)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("pipeplug-stop".to_owned())
                    .spawn_scoped(s, work)
                    .ok()
            })
            .collect();
        let mut reports = work();
        for h in spawned {
            reports.extend(h.join().unwrap_or_default());
        }
        reports
    })
}

/// Runs `plan` until a stop request (`requests.stop`, the first stop signal) or
/// `plan.stop_at`, reloading the configs on each reload request, then stops every pipeline.
/// Exit 0 after a clean stop; 1 when a pipeline fails to start at the first start, or when
/// a stop during a start finds an `init` that does not return in time.
pub(crate) fn run(
    plan: RunPlan,
    requests: &Requests,
    registry: &Registry,
    board: &Arc<Mutex<Board>>,
) -> ExitCode {
    let RunPlan {
        configs,
        pipelines,
        checkpoints,
        options,
        stop_at,
    } = plan;
    let start_limit = options.timeouts.inputs;
    let env = JobEnv {
        checkpoints,
        options,
        board: Arc::clone(board),
    };
    let first = Job {
        stop: Vec::new(),
        start: pipelines,
        first: true,
    };
    let job = match spawn_job(first, &env) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("error: cannot start a thread to start the pipelines: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut runner = Runner {
        configs,
        registry,
        env,
        running: Vec::new(),
        job: Some(job),
    };
    let cause = match runner.serve(requests, stop_at) {
        Ok(cause) => cause,
        Err(code) => return code,
    };
    if let Err(code) = runner.finish_job(&cause, start_limit) {
        return code;
    }
    tracing::info!("stopping ({cause})");
    let reports = stop_all(runner.running, board);
    if reports.iter().any(|r| !r.overstayed.is_empty()) {
        tracing::warn!("some plugins did not stop in time (see above)");
    }
    ExitCode::SUCCESS
}

/// Says that the start did not return within `limit` after a stop request, naming each
/// plugin whose `init` is still running.
fn give_up_on_start(cause: &str, limit: Duration) {
    let stuck = init_watch::in_progress();
    if stuck.is_empty() {
        eprintln!(
            "error: stopping ({cause}): the pipelines' start did not return within {limit:?}; giving up on it"
        );
    }
    for call in stuck {
        eprintln!(
            "error: stopping ({cause}): the init of {call} did not return ({}s, more than the {limit:?} a stop waits for a start); giving up on it",
            call.elapsed().as_secs()
        );
    }
}
