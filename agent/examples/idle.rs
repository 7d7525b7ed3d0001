//! What idle inputs cost in memory: one pipeline with `N` inputs, each on its own thread, that
//! emit once and then wait for a long interval.
//!
//! - `--kind metric` (the default): `N` × `metric_mock` with a one-hour `IntervalMs`; each
//!   collects once within the first 200 ms (`InputMaxFirstCollectDelayMs`), then idles.
//! - `--kind service`: `N` × `service_mock` with a one-hour `Interval`; each emits one log
//!   when started (from the thread it starts), then idles.
//!
//! The pipeline is built from a YAML config by the engine, as `pipeplug run` builds it, with
//! a flusher that counts logs. Once the flusher has counted one log per input (every input
//! thread has run and allocated), and half a second more, the resident memory (`VmRSS` of
//! `/proc/self/status`) is read, printed with the one read before the engine started, and
//! the engine is stopped.
//!
//! ```text
//! cargo run --release -p pipeplug-agent --example idle -- -n 1000 --kind metric
//! idle inputs=1000 kind=metric rss_mb=58.5 rss_before_mb=7.7 per_input_kb=52
//! ```
//!
//! Exits with 1 if the inputs do not all emit within 60 s or `/proc/self/status` cannot be
//! read, 2 on bad arguments.

use pipeplug::plugin::{Flusher, FlusherV1, Plugin};
use pipeplug::protocol::LogGroup;
use pipeplug::registry::{self, V1Only};
use pipeplug::{BoxError, MemoryCheckpoints};
use pipeplug_agent::engine::{Engine, EngineOptions, Pipeline};
use pipeplug_agent::pipeline_config::{self, Format};
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pipeplug::link!(pipeplug_plugins::all);

/// Logs counted by the flusher.
static COUNTED: AtomicU64 = AtomicU64::new(0);

/// Counts the logs it is given.
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

/// `-n N --kind metric|service`.
fn parse_args() -> Result<(u64, String), String> {
    let mut n: u64 = 1000;
    let mut kind = "metric".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--kind" => kind = args.next().ok_or("--kind needs metric or service")?,
            "-n" => {
                let v = args.next().ok_or("-n needs a number")?;
                n = v.parse().map_err(|_| format!("-n {v}: not a number"))?;
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}` (-n N --kind metric|service)"
                ))
            }
        }
    }
    if kind != "metric" && kind != "service" {
        return Err(format!("--kind {kind}: expected metric or service"));
    }
    Ok((n, kind))
}

/// The pipeline: `n` idle inputs of `kind` → `aggregator_default` (every 100 ms) → the
/// counting flusher.
fn pipeline(n: u64, kind: &str) -> Result<Pipeline, String> {
    registry::add_flusher_creator("flusher_idle_count", "counts logs", |_| {
        Ok(V1Only(CountingFlusher))
    });
    let input = match kind {
        "metric" => "{ Type: metric_mock, IntervalMs: 3600000 }",
        _ => "{ Type: service_mock, Interval: 1h }",
    };
    let mut text = String::from(
        "global: { InputMaxFirstCollectDelayMs: 200, AggregatIntervalMs: 100 }\ninputs:\n",
    );
    for _ in 0..n {
        let _ = writeln!(text, "  - {input}");
    }
    text.push_str("flushers: [{ Type: flusher_idle_count }]\n");
    let registry = registry::global().map_err(|e| e.to_string())?;
    let config = pipeline_config::load_str(&text, Format::Yaml, "idle.yaml", "idle", &registry)
        .map_err(|e| e.to_string())?;
    Pipeline::build(config, &registry).map_err(|e| e.to_string())
}

/// `VmRSS` of `/proc/self/status`, in kB.
fn rss_kb() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "/proc/self/status: no VmRSS".to_owned())
}

/// Starts the pipeline, waits until every input has emitted, reads the RSS and stops.
fn run(n: u64, kind: &str) -> Result<(), String> {
    let pipeline = pipeline(n, kind)?;
    let before = rss_kb()?;
    let mut engine =
        Engine::with_checkpoints(Arc::new(MemoryCheckpoints::new()), EngineOptions::default());
    engine
        .start(pipeline)
        .map_err(|e| pipeplug::error_chain(&e))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while COUNTED.load(Ordering::Relaxed) < n {
        if Instant::now() >= deadline {
            engine.stop();
            let counted = COUNTED.load(Ordering::Relaxed);
            return Err(format!("{counted} of {n} inputs emitted within 60 s"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Every input thread has run; let the last flushes and frees settle.
    std::thread::sleep(Duration::from_millis(500));
    let after = rss_kb()?;
    engine.stop();
    #[allow(clippy::cast_precision_loss)] // figures to print
    let mb = |kb: u64| kb as f64 / 1024.0;
    let per_input = after.saturating_sub(before) / n.max(1);
    println!(
        "idle inputs={n} kind={kind} rss_mb={:.1} rss_before_mb={:.1} per_input_kb={per_input}",
        mb(after),
        mb(before)
    );
    Ok(())
}

fn main() -> ExitCode {
    let (n, kind) = match parse_args() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("idle: {e}");
            return ExitCode::from(2);
        }
    };
    match run(n, &kind) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idle: {e}");
            ExitCode::FAILURE
        }
    }
}
