//! Events per second through a whole pipeline: service input → add-fields processor →
//! default aggregator → null flusher, in V1 and V2, beside a hand-written loop doing the same
//! work; and the memory a never-ready flusher can hold.
//!
//! Until the built-in plugins exist, the plugins here are hand-written equivalents:
//! `service_bench` (emits numbered events, V2 in groups of 100), `processor_bench_add`
//! (adds `service = checkout`, like `processor_add_fields`), no aggregator (the engine adds
//! `aggregator_default`, or its pass-through stand-in), `flusher_bench_null` (counts).
//!
//! Run: `cargo bench -p pipeplug-agent --bench pipeline`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pipeplug::models::{GroupInfo, PipelineEvent, PipelineGroupEvents};
use pipeplug::plugin::{
    Flusher, FlusherV1, FlusherV2, Plugin, Processor, ProcessorV1, ProcessorV2, ServiceInput,
    ServiceInputV1, ServiceInputV2,
};
use pipeplug::protocol::{Log, LogGroup};
use pipeplug::registry::{self, Both};
use pipeplug::{
    BoxError, Collector, Context, MemoryCheckpoints, PipelineContext, StopSignal, Worker,
};
use pipeplug_agent::config::{self, Format};
use pipeplug_agent::engine::{Engine, EngineOptions, Pipeline};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

/// Events per measured run.
const EVENTS: u64 = 200_000;
/// Events per V2 group the input emits.
const GROUP: u64 = 100;

static FLUSHED: AtomicU64 = AtomicU64::new(0);

#[derive(Default)]
struct Input {
    count: u64,
    worker: Worker,
    ctx: Context,
}
impl Plugin for Input {
    fn description(&self) -> &str {
        "bench input"
    }
}
impl ServiceInput for Input {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.worker.stop()
    }
}
fn emit(count: u64, stop: &StopSignal, mut f: impl FnMut(u64, u64)) {
    let mut n = 0;
    while (count == 0 || n < count) && !stop.is_signalled() {
        let k = if count == 0 {
            GROUP
        } else {
            GROUP.min(count - n)
        };
        f(n, k);
        n += k;
    }
}
impl ServiceInputV1 for Input {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        let count = self.count;
        self.worker.spawn(&self.ctx, "bench", move |stop| {
            emit(count, &stop, |first, k| {
                for n in first..first + k {
                    collector.add_data([("source", "bench")], [("n", n.to_string())], None);
                }
            });
        })?;
        Ok(())
    }
}
impl ServiceInputV2 for Input {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        let count = self.count;
        self.worker.spawn(&self.ctx, "bench", move |stop| {
            emit(count, &stop, |first, k| {
                ctx.collector()
                    .collect(GroupInfo::default(), make_events(first, k));
            });
        })?;
        Ok(())
    }
}

fn make_events(first: u64, k: u64) -> Vec<PipelineEvent> {
    (first..first + k)
        .map(|n| {
            let mut log = pipeplug::models::Log::default();
            log.contents.add("source", "bench");
            log.contents.add("n", n.to_string());
            PipelineEvent::Log(log)
        })
        .collect()
}

struct AddFields;
impl Plugin for AddFields {
    fn description(&self) -> &str {
        "bench add fields"
    }
}
impl Processor for AddFields {}
impl ProcessorV1 for AddFields {
    fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
        for l in &mut logs {
            l.push("service", "checkout");
        }
        logs
    }
}
fn add_field(e: &mut PipelineEvent) {
    if let PipelineEvent::Log(l) = e {
        l.contents.add("service", "checkout");
    }
}
impl ProcessorV2 for AddFields {
    fn process(&mut self, mut group: PipelineGroupEvents, ctx: &PipelineContext) {
        group.events.iter_mut().for_each(add_field);
        ctx.collector().collect(group.group, group.events);
    }
}

#[derive(Default)]
struct Null {
    ready: bool,
}
impl Plugin for Null {
    fn description(&self) -> &str {
        "bench null flusher"
    }
}
impl Flusher for Null {
    fn is_ready(&self, _: &str, _: &str, _: i64) -> bool {
        self.ready
    }
}
impl FlusherV1 for Null {
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: Vec<LogGroup>) -> Result<(), BoxError> {
        let n: usize = groups.iter().map(|g| g.logs.len()).sum();
        FLUSHED.fetch_add(n as u64, Ordering::Relaxed);
        Ok(())
    }
}
impl FlusherV2 for Null {
    fn export(
        &mut self,
        groups: Vec<PipelineGroupEvents>,
        _: &PipelineContext,
    ) -> Result<(), BoxError> {
        let n: usize = groups.iter().map(|g| g.events.len()).sum();
        FLUSHED.fetch_add(n as u64, Ordering::Relaxed);
        Ok(())
    }
}

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        registry::add_service_creator("service_bench", "bench input", |c| {
            let count = c
                .get("Count")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            Ok(Both(Input {
                count,
                ..Input::default()
            }))
        });
        registry::add_processor_creator("processor_bench_add", "bench add fields", |_| {
            Ok(Both(AddFields))
        });
        registry::add_flusher_creator("flusher_bench_null", "bench null flusher", |_| {
            Ok(Both(Null { ready: true }))
        });
        registry::add_flusher_creator("flusher_bench_never_ready", "never ready", |_| {
            Ok(Both(Null { ready: false }))
        });
    });
}

fn pipeline(structure: &str, count: u64, extra_flusher: &str) -> Pipeline {
    register();
    let text = format!(
        "global: {{ StructureType: {structure}, AggregatIntervalMs: 20 }}\n\
         inputs: [{{ Type: service_bench, Count: {count} }}]\n\
         processors: [{{ Type: processor_bench_add }}]\n\
         flushers: [{extra_flusher}{{ Type: flusher_bench_null }}]\n"
    );
    let registry = registry::global().expect("registry");
    let cfg =
        config::load_str(&text, Format::Yaml, "bench.yaml", "bench", &registry).expect("config");
    Pipeline::build(cfg).expect("pipeline")
}

fn engine() -> Engine {
    Engine::with_checkpoints(Arc::new(MemoryCheckpoints::new()), EngineOptions::default())
}

/// Runs `EVENTS` events through a fresh pipeline, until the null flusher has them all.
fn run(structure: &str) {
    FLUSHED.store(0, Ordering::SeqCst);
    let mut engine = engine();
    engine
        .start(pipeline(structure, EVENTS, ""))
        .expect("starts");
    while FLUSHED.load(Ordering::Relaxed) < EVENTS {
        std::thread::sleep(Duration::from_micros(200));
    }
    let report = engine.stop();
    assert!(report[0].is_lossless(), "{report:?}");
}

/// The same work by hand, on one thread: make the events (V2 groups of 100), add the field,
/// count them.
fn hand_loop() -> u64 {
    let mut flushed = 0;
    let mut n = 0;
    while n < EVENTS {
        let mut group = PipelineGroupEvents::new(GroupInfo::default(), make_events(n, GROUP));
        group.events.iter_mut().for_each(add_field);
        flushed += black_box(group).events.len() as u64;
        n += GROUP;
    }
    flushed
}

fn throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    g.bench_function("hand_loop", |b| b.iter(hand_loop));
    g.bench_function("v2", |b| b.iter(|| run("v2")));
    g.bench_function("v1", |b| b.iter(|| run("v1")));
    g.finish();
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Memory with a flusher that is never ready beside a null one: the resident size after 1 s
/// and after 5 s of an endless input must not keep growing (printed, not timed).
fn never_ready_memory(_c: &mut Criterion) {
    for structure in ["v2", "v1"] {
        FLUSHED.store(0, Ordering::SeqCst);
        let before = rss_kib().unwrap_or(0);
        let mut engine = engine();
        engine
            .start(pipeline(
                structure,
                0,
                "{ Type: flusher_bench_never_ready }, ",
            ))
            .expect("starts");
        let mut samples = Vec::new();
        let start = Instant::now();
        for secs in [1, 5] {
            while start.elapsed() < Duration::from_secs(secs) {
                std::thread::sleep(Duration::from_millis(20));
            }
            samples.push((
                secs,
                FLUSHED.load(Ordering::Relaxed),
                rss_kib().unwrap_or(0),
            ));
        }
        let report = engine.stop().remove(0);
        for (secs, flushed, rss) in samples {
            println!(
                "never-ready memory {structure}: after {secs} s: {flushed} events through the null flusher, RSS {} KiB above the start",
                rss.saturating_sub(before)
            );
        }
        println!(
            "never-ready memory {structure}: dropped for the never-ready flusher: {}",
            report.flushers[0].dropped
        );
    }
}

criterion_group!(benches, throughput, never_ready_memory);
criterion_main!(benches);
