//! Idle inputs are cheap in memory: 300 metric inputs that have each run once (a thread
//! each, idle afterwards) add well under 150 KB resident apiece. With mimalloc's arena on
//! transparent huge pages (its defaults) they added about 290 KB apiece; tuned (the agent's
//! default, `src/engine/alloc.rs`) about 50 KB; with the system allocator about 10 KB.
//!
//! Skipped where `/proc/self/status` is absent.

// Helpers of this test unwrap as the test does: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug::plugin::{Flusher, FlusherV1, Plugin};
use pipeplug::protocol::LogGroup;
use pipeplug::registry::{self, V1Only};
use pipeplug::{BoxError, MemoryCheckpoints};
use pipeplug_agent::engine::{Engine, EngineOptions, Pipeline};
use pipeplug_agent::pipeline_config::{self, Format};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pipeplug::link!(pipeplug_plugins::all);

const INPUTS: u64 = 300;
/// The bound per input, in kB: generous (debug builds, other allocations of the engine),
/// yet well below what huge pages cost.
const BOUND_KB: u64 = 150;

static COUNTED: AtomicU64 = AtomicU64::new(0);

struct CountingFlusher;

impl Plugin for CountingFlusher {
    fn description(&self) -> &str {
        "counts logs"
    }
}

impl Flusher for CountingFlusher {}

impl FlusherV1 for CountingFlusher {
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
        let n: usize = groups.iter().map(|g| g.logs.len()).sum();
        COUNTED.fetch_add(n as u64, Ordering::Relaxed);
        Ok(())
    }
}

fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

fn pipeline() -> Pipeline {
    registry::add_flusher_creator("flusher_idle_count", "counts logs", |_| {
        Ok(V1Only(CountingFlusher))
    });
    let mut text = String::from(
        "global: { InputMaxFirstCollectDelayMs: 200, AggregatIntervalMs: 100 }\ninputs:\n",
    );
    for _ in 0..INPUTS {
        writeln!(text, "  - {{ Type: metric_mock, IntervalMs: 3600000 }}").unwrap();
    }
    text.push_str("flushers: [{ Type: flusher_idle_count }]\n");
    let registry = registry::global().unwrap();
    let config =
        pipeline_config::load_str(&text, Format::Yaml, "idle.yaml", "idle", &registry).unwrap();
    Pipeline::build(config, &registry).unwrap()
}

#[test]
fn idle_metric_inputs_cost_little_resident_memory() {
    let Some(before) = rss_kb() else {
        eprintln!("skipped: no /proc/self/status");
        return;
    };
    let pipeline = pipeline();
    let mut engine =
        Engine::with_checkpoints(Arc::new(MemoryCheckpoints::new()), EngineOptions::default());
    engine.start(pipeline).unwrap();
    // Every input thread has run once its log is flushed; no time bound is asserted.
    let deadline = Instant::now() + Duration::from_secs(120);
    while COUNTED.load(Ordering::Relaxed) < INPUTS && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let after = rss_kb().unwrap();
    engine.stop();
    assert_eq!(
        COUNTED.load(Ordering::Relaxed),
        INPUTS,
        "every input emitted"
    );
    let per_input = after.saturating_sub(before) / INPUTS;
    assert!(
        per_input < BOUND_KB,
        "{per_input} kB resident per idle input (before {before} kB, after {after} kB)"
    );
}
