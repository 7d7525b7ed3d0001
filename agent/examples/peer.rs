//! The workload of a Go program with the shape of iLogtail's plugin runner hot path, through
//! pipeplug's real engine, for a side-by-side throughput comparison in one run.
//!
//! - `--mode v1`: a service input emits `N` logs one at a time through the V1 `Collector`
//!   (`host = 1.1.1.1`, the current time on each) → `processor_add_fields` (`env: prod`) →
//!   `aggregator_default` → a flusher that only counts.
//! - `--mode v2`: `N` counter metrics `test_metric{hello=world}` with value 1, one per group →
//!   `processor_add_fields` (the tag `env=prod`) → `aggregator_default` → a counting flusher.
//!
//! The pipeline is built from a YAML config by the engine, as `pipeplug run` builds it. Once the
//! input has handed over its `N` events, the pipeline is stopped, which drains and flushes what
//! is held (so the last partial group does not wait for the aggregator's interval). The time is
//! taken from the first event emitted to the last one counted by the flusher.
//!
//! ```text
//! cargo run --release -p pipeplug-agent --example peer -- --mode v1 -n 2000000
//! pipeplug-v1 events=2000000 seconds=1.534 events_per_s=1303551
//! ```
//!
//! Exits with 1 if any event is missing, 2 on bad arguments.

use pipeplug::models::{GroupInfo, Metric, MetricType, PipelineGroupEvents, Tags};
use pipeplug::plugin::{
    Flusher, FlusherV1, FlusherV2, Plugin, ServiceInput, ServiceInputV1, ServiceInputV2,
};
use pipeplug::protocol::{Log, LogGroup};
use pipeplug::registry::{self, Both};
use pipeplug::{BoxError, Collector, Context, MemoryCheckpoints, PipelineContext, Worker};
use pipeplug_agent::engine::{Engine, EngineOptions, Pipeline};
use pipeplug_agent::pipeline_config::{self, Format};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

pipeplug::link!(pipeplug_plugins::all);

/// Events counted by the flusher.
static COUNTED: AtomicU64 = AtomicU64::new(0);
/// Events the input has handed over.
static EMITTED: AtomicU64 = AtomicU64::new(0);
/// When the input emitted its first event.
static FIRST: OnceLock<Instant> = OnceLock::new();
/// When the flusher counted the last event (`N` reached).
static LAST: Mutex<Option<Instant>> = Mutex::new(None);
/// `N`.
static TARGET: AtomicU64 = AtomicU64::new(0);

/// Emits `Count` events, then stops.
#[derive(Default)]
struct PeerInput {
    count: u64,
    worker: Worker,
    ctx: Context,
}

impl Plugin for PeerInput {
    fn description(&self) -> &str {
        "emits the Go peer's events"
    }
}

impl ServiceInput for PeerInput {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.worker.stop()
    }
}

impl ServiceInputV1 for PeerInput {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        let (count, clock) = (self.count, self.ctx.clock().clone());
        self.worker.spawn(&self.ctx, "peer v1", move |stop| {
            FIRST.get_or_init(Instant::now);
            for _ in 0..count {
                if stop.is_signalled() {
                    break;
                }
                collector.add_raw_log(Log::new(clock.now_secs(), [("host", "1.1.1.1")]));
                EMITTED.fetch_add(1, Ordering::Relaxed);
            }
        })?;
        Ok(())
    }
}

impl ServiceInputV2 for PeerInput {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        let (count, clock) = (self.count, self.ctx.clock().clone());
        self.worker.spawn(&self.ctx, "peer v2", move |stop| {
            FIRST.get_or_init(Instant::now);
            let collector = ctx.collector();
            for _ in 0..count {
                if stop.is_signalled() {
                    break;
                }
                let metric = Metric::single(
                    "test_metric",
                    MetricType::Counter,
                    Tags::from([("hello", "world")]),
                    clock.now_nanos(),
                    1,
                );
                collector.collect(GroupInfo::default(), vec![metric.into()]);
                EMITTED.fetch_add(1, Ordering::Relaxed);
            }
        })?;
        Ok(())
    }
}

/// Counts what it is given (the Go peer's null flusher).
struct CountingFlusher;

impl CountingFlusher {
    fn count(n: usize) {
        let total = COUNTED.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if total >= TARGET.load(Ordering::Relaxed) {
            LAST.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(Instant::now);
        }
    }
}

impl Plugin for CountingFlusher {
    fn description(&self) -> &str {
        "counts events"
    }
}

impl Flusher for CountingFlusher {}

impl FlusherV1 for CountingFlusher {
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
        Self::count(groups.iter().map(|g| g.logs.len()).sum());
        Ok(())
    }
}

impl FlusherV2 for CountingFlusher {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _: &PipelineContext,
    ) -> Result<(), BoxError> {
        Self::count(groups.iter().map(|g| g.events.len()).sum());
        Ok(())
    }
}

/// `--mode v1|v2 -n N`.
fn parse_args() -> Result<(String, u64), String> {
    let mut mode = "v1".to_owned();
    let mut n: u64 = 2_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--mode" => mode = args.next().ok_or("--mode needs v1 or v2")?,
            "-n" => {
                let v = args.next().ok_or("-n needs a number")?;
                n = v.parse().map_err(|_| format!("-n {v}: not a number"))?;
            }
            other => return Err(format!("unknown argument `{other}` (--mode v1|v2 -n N)")),
        }
    }
    if mode != "v1" && mode != "v2" {
        return Err(format!("--mode {mode}: expected v1 or v2"));
    }
    Ok((mode, n))
}

fn pipeline(mode: &str, n: u64) -> Result<Pipeline, String> {
    registry::add_service_creator("service_peer", "emits the Go peer's events", move |_| {
        Ok(Both(PeerInput {
            count: n,
            ..PeerInput::default()
        }))
    });
    registry::add_flusher_creator("flusher_peer_count", "counts events", |_| {
        Ok(Both(CountingFlusher))
    });
    let text = format!(
        "global: {{ StructureType: {mode} }}\n\
         inputs: [{{ Type: service_peer }}]\n\
         processors: [{{ Type: processor_add_fields, Fields: {{ env: prod }} }}]\n\
         aggregators: [{{ Type: aggregator_default }}]\n\
         flushers: [{{ Type: flusher_peer_count }}]\n"
    );
    let registry = registry::global().map_err(|e| e.to_string())?;
    let config = pipeline_config::load_str(&text, Format::Yaml, "peer.yaml", "peer", &registry)
        .map_err(|e| e.to_string())?;
    Pipeline::build(config, &registry).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let (mode, n) = match parse_args() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("peer: {e}");
            return ExitCode::from(2);
        }
    };
    TARGET.store(n, Ordering::Relaxed);
    let pipeline = match pipeline(&mode, n) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("peer: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut engine =
        Engine::with_checkpoints(Arc::new(MemoryCheckpoints::new()), EngineOptions::default());
    if let Err(e) = engine.start(pipeline) {
        eprintln!("peer: {}", pipeplug::error_chain(&e));
        return ExitCode::FAILURE;
    }
    while EMITTED.load(Ordering::Relaxed) < n {
        std::thread::sleep(Duration::from_millis(1));
    }
    // Drains and flushes everything held: the last partial group goes out now.
    engine.stop();
    let counted = COUNTED.load(Ordering::Relaxed);
    let first = FIRST.get().copied();
    let last = *LAST.lock().unwrap_or_else(PoisonError::into_inner);
    let (Some(first), Some(last)) = (first, last) else {
        eprintln!("peer: lost events: {} of {n}", n.saturating_sub(counted));
        return ExitCode::FAILURE;
    };
    if counted != n {
        eprintln!("peer: counted {counted} events of {n}");
        return ExitCode::FAILURE;
    }
    let seconds = last.duration_since(first).as_secs_f64();
    #[allow(clippy::cast_precision_loss)] // a rate to print
    let rate = n as f64 / seconds;
    println!("pipeplug-{mode} events={n} seconds={seconds:.3} events_per_s={rate:.0}");
    ExitCode::SUCCESS
}
