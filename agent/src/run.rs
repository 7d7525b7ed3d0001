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

use crate::engine::{EngineOptions, Pipeline, RunningPipeline, StartError, StopReport};
use crate::init_watch;
use crate::signals::FORCED_EXIT_CODE;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
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
    /// The pipelines, in start order.
    pub pipelines: Vec<Pipeline>,
    /// The checkpoint store they share.
    pub checkpoints: Arc<dyn CheckpointStore>,
    /// The engine's options (stop step limits).
    pub options: EngineOptions,
    /// When to stop by itself (`--for`), if ever.
    pub stop_at: Option<Instant>,
}

/// What the stop knows, for the report of a forced exit.
#[derive(Debug, Default)]
pub(crate) struct Board {
    pipelines: Vec<BoardEntry>,
    stop_began: bool,
}

#[derive(Debug)]
struct BoardEntry {
    name: String,
    flushers: Vec<String>,
    events_in: u64,
    flushed: Vec<u64>,
    finished: bool,
}

impl Board {
    fn started(&mut self, p: &RunningPipeline, flushers: Vec<String>) {
        self.pipelines.push(BoardEntry {
            name: p.name().to_owned(),
            events_in: p.events_in(),
            flushed: p.flushed(),
            flushers,
            finished: false,
        });
    }

    /// Takes the counts of `running` as the stop begins.
    fn begin_stop(&mut self, running: &[RunningPipeline]) {
        self.stop_began = true;
        for p in running {
            if let Some(e) = self.pipelines.iter_mut().find(|e| e.name == p.name()) {
                e.events_in = p.events_in();
                e.flushed = p.flushed();
            }
        }
    }

    fn finished(&mut self, report: &StopReport) {
        if let Some(e) = self.pipelines.iter_mut().find(|e| e.name == report.config) {
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
            } else if self.stop_began {
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

enum FromStarter {
    Started {
        pipeline: Box<RunningPipeline>,
        flushers: Vec<String>,
    },
    Failed {
        file: String,
        error: StartError,
    },
    Done,
}

/// How the start ended, from the main thread's view.
enum Start {
    Done,
    Failed { file: String, error: StartError },
    StopRequested(String),
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

/// Starts `pipelines` in order on the calling thread, handing each to `tx` as it starts;
/// stops starting more once `cancel` is set or one fails.
fn start_all(
    pipelines: Vec<Pipeline>,
    checkpoints: &Arc<dyn CheckpointStore>,
    options: &EngineOptions,
    cancel: &AtomicBool,
    tx: &Sender<FromStarter>,
) {
    for p in pipelines {
        if cancel.load(Ordering::SeqCst) {
            break;
        }
        let file = p.config().file.clone();
        let flushers = flusher_labels(&p);
        match RunningPipeline::start(p, Arc::clone(checkpoints), options) {
            Ok(pipeline) => {
                let pipeline = Box::new(pipeline);
                if let Err(unsent) = tx.send(FromStarter::Started { pipeline, flushers }) {
                    // The main thread is gone: stop what this thread started.
                    if let FromStarter::Started { pipeline, .. } = unsent.into_inner() {
                        pipeline.stop();
                    }
                    return;
                }
            }
            Err(error) => {
                let _ = tx.send(FromStarter::Failed { file, error });
                return;
            }
        }
    }
    let _ = tx.send(FromStarter::Done);
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

/// Waits for the start to end, for a stop request (`requests`) or for `stop_at`, taking in
/// the pipelines as they start.
fn wait_for_start(
    from_starter: &Receiver<FromStarter>,
    mut requests: Receiver<&'static str>,
    stop_at: Option<Instant>,
    running: &mut Vec<RunningPipeline>,
    board: &Mutex<Board>,
) -> Start {
    let mut slow = SlowInits::default();
    loop {
        let tick = stop_at.map_or(TICK, |t| {
            t.saturating_duration_since(Instant::now()).min(TICK)
        });
        crossbeam_channel::select! {
            recv(from_starter) -> m => match m {
                Ok(FromStarter::Started { pipeline, flushers }) => {
                    lock(board).started(&pipeline, flushers);
                    running.push(*pipeline);
                }
                Ok(FromStarter::Failed { file, error }) => return Start::Failed { file, error },
                Ok(FromStarter::Done) | Err(_) => return Start::Done,
            },
            recv(requests) -> s => match s {
                Ok(signal) => return Start::StopRequested(signal.to_owned()),
                // No signals (the listener is gone): `--for` may still stop the run.
                Err(_) => requests = crossbeam_channel::never(),
            },
            default(tick) => {
                if stop_at.is_some_and(|t| Instant::now() >= t) {
                    return Start::StopRequested("--for".to_owned());
                }
                slow.check();
            }
        }
    }
}

/// After a stop request during the start: waits until `deadline` for the start to end.
/// `None` if it did not.
fn finish_start(
    from_starter: &Receiver<FromStarter>,
    deadline: Instant,
    running: &mut Vec<RunningPipeline>,
    board: &Mutex<Board>,
) -> Option<Start> {
    loop {
        match from_starter.recv_deadline(deadline) {
            Ok(FromStarter::Started { pipeline, flushers }) => {
                lock(board).started(&pipeline, flushers);
                running.push(*pipeline);
            }
            Ok(FromStarter::Failed { file, error }) => return Some(Start::Failed { file, error }),
            Ok(FromStarter::Done) | Err(RecvTimeoutError::Disconnected) => {
                return Some(Start::Done)
            }
            Err(RecvTimeoutError::Timeout) => return None,
        }
    }
}

/// Waits for a stop request or for `stop_at`; says which.
fn wait_for_stop(mut requests: Receiver<&'static str>, stop_at: Option<Instant>) -> String {
    let timer = stop_at.map_or_else(crossbeam_channel::never, crossbeam_channel::at);
    loop {
        crossbeam_channel::select! {
            recv(requests) -> s => match s {
                Ok(signal) => return signal.to_owned(),
                Err(_) => requests = crossbeam_channel::never(),
            },
            recv(timer) -> _ => return "--for".to_owned(),
        }
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

/// Runs `plan` until a stop request (`requests`, the first stop signal) or `plan.stop_at`,
/// then stops every pipeline. Exit 0 after a clean stop; 1 when a pipeline fails to start,
/// or when a stop during the start finds an `init` that does not return in time.
pub(crate) fn run(
    plan: RunPlan,
    requests: Receiver<&'static str>,
    board: &Arc<Mutex<Board>>,
) -> ExitCode {
    let RunPlan {
        pipelines,
        checkpoints,
        options,
        stop_at,
    } = plan;
    let start_limit = options.timeouts.inputs;
    let cancel = Arc::new(AtomicBool::new(false));
    let (tx, from_starter) = crossbeam_channel::unbounded();
    let c = Arc::clone(&cancel);
    let spawned = std::thread::Builder::new()
        .name("pipeplug-start".to_owned())
        .spawn(move || start_all(pipelines, &checkpoints, &options, &c, &tx));
    if let Err(e) = spawned {
        eprintln!("error: cannot start a thread to start the pipelines: {e}");
        return ExitCode::FAILURE;
    }
    let mut running = Vec::new();
    let start = match wait_for_start(
        &from_starter,
        requests.clone(),
        stop_at,
        &mut running,
        board,
    ) {
        Start::StopRequested(cause) => {
            cancel.store(true, Ordering::SeqCst);
            tracing::info!("stopping ({cause}) while pipelines are still starting");
            let deadline = Instant::now() + start_limit;
            match finish_start(&from_starter, deadline, &mut running, board) {
                Some(Start::Done) => Start::StopRequested(cause),
                Some(other) => other,
                None => {
                    give_up_on_start(&cause, start_limit);
                    stop_all(running, board);
                    return ExitCode::FAILURE;
                }
            }
        }
        other => other,
    };
    let cause = match start {
        Start::Failed { file, error } => {
            // The engine names the plugin and its position; the file says which config.
            eprintln!("error: {file}: {}", pipeplug::error_chain(&error));
            stop_all(running, board);
            return ExitCode::FAILURE;
        }
        Start::StopRequested(cause) => cause,
        Start::Done => wait_for_stop(requests, stop_at),
    };
    tracing::info!("stopping ({cause})");
    let reports = stop_all(running, board);
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
