//! A service input whose `start` has returned keeps no thread of the engine while the
//! pipeline runs (each would cost its stack and allocator state, about 50 KB resident), and
//! its `stop` is still called once, when the pipeline stops.
//!
//! Threads are counted from `/proc/self/status`; skipped where it is absent.

// Helpers of this test unwrap as the test does: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug::plugin::{Plugin, ServiceInput, ServiceInputV1};
use pipeplug::registry::{self, V1Only};
use pipeplug::{BoxError, Collector, Context, MemoryCheckpoints};
use pipeplug_agent::engine::{Engine, EngineOptions, Pipeline};
use pipeplug_agent::pipeline_config::{self, Format};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pipeplug::link!(pipeplug_plugins::all);

const INPUTS: u64 = 200;

static STARTED: AtomicU64 = AtomicU64::new(0);
static STOPPED: AtomicU64 = AtomicU64::new(0);

/// Returns from `start` at once (as an input with a worker of its own does) and counts.
struct QuickStart;

impl Plugin for QuickStart {
    fn description(&self) -> &str {
        "returns from start at once"
    }
}

impl ServiceInput for QuickStart {
    fn init(&mut self, _: &Context) -> Result<Duration, BoxError> {
        Ok(Duration::ZERO)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        STOPPED.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl ServiceInputV1 for QuickStart {
    fn start(&mut self, _: Collector) -> Result<(), BoxError> {
        STARTED.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn threads() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Threads:"))?;
    line.trim().parse().ok()
}

fn pipeline() -> Pipeline {
    registry::add_service_creator("service_quick_start", "test", |_| Ok(V1Only(QuickStart)));
    let mut text = String::from("inputs:\n");
    for _ in 0..INPUTS {
        writeln!(text, "  - {{ Type: service_quick_start }}").unwrap();
    }
    text.push_str("flushers: [{ Type: flusher_stdout, OnlyStdout: true }]\n");
    let registry = registry::global().unwrap();
    let config =
        pipeline_config::load_str(&text, Format::Yaml, "quick.yaml", "quick", &registry).unwrap();
    Pipeline::build(config, &registry).unwrap()
}

#[test]
fn started_service_inputs_wait_for_the_stop_without_threads_and_are_stopped_once() {
    let Some(before) = threads() else {
        eprintln!("skipped: no /proc/self/status");
        return;
    };
    let mut engine =
        Engine::with_checkpoints(Arc::new(MemoryCheckpoints::new()), EngineOptions::default());
    engine.start(pipeline()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while STARTED.load(Ordering::SeqCst) < INPUTS && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        STARTED.load(Ordering::SeqCst),
        INPUTS,
        "every input started"
    );
    // The input threads end once `start` has returned.
    let mut running = threads().unwrap();
    while running >= before + INPUTS / 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        running = threads().unwrap();
    }
    assert!(
        running < before + 20,
        "{running} threads while running (before {before}): the started inputs kept theirs"
    );
    assert_eq!(STOPPED.load(Ordering::SeqCst), 0, "no stop before the stop");
    engine.stop();
    assert_eq!(
        STOPPED.load(Ordering::SeqCst),
        INPUTS,
        "each input stopped once"
    );
}
