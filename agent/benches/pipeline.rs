//! Events per second through a whole pipeline: service input → `processor_add_fields` →
//! `aggregator_default` → null flusher, in V1 and V2, beside hand-written loops doing the same
//! work; and the memory a never-ready flusher can hold.
//!
//! The processor and the aggregator are the built-ins (`pipeplug_plugins`), taken from the
//! registry and built by the engine from a config. The input (`service_bench`: numbered
//! events, V2 in groups of 100) and the flushers (`flusher_bench_null`, which only counts, and
//! `flusher_bench_never_ready`) are written here.
//!
//! Run: `cargo bench -p pipeplug-agent --bench pipeline`. Besides criterion's figures, the
//! bench prints the ratios of each pipeline to its loop from interleaved rounds (each round
//! runs the four once, in turn), which a busy machine skews less than back-to-back
//! measurements.
//!
//! `PIPELINE_BENCH_CRITERION_ONLY=1` skips the interleaved rounds and the memory figures
//! (for profiling one criterion benchmark with `--profile-time`).
//! `PIPELINE_BENCH_COUNTING_ONLY=1` runs only the cost of the engine's per-plugin counting
//! (each pipeline with `EngineOptions::count_plugin_stats` off and on, interleaved).
//! `PIPELINE_BENCH_MAX_RETRIES=0` sets the null flusher's `Delivery.MaxRetries` (5 by
//! default): with 0 the engine keeps no copy of the batches for a retry.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pipeplug::models::{GroupInfo, LogValue, PipelineEvent, PipelineGroupEvents};
use pipeplug::plugin::{
    Flusher, FlusherV1, FlusherV2, Plugin, ServiceInput, ServiceInputV1, ServiceInputV2,
};
use pipeplug::protocol::{Log, LogContent, LogGroup};
use pipeplug::registry::{self, Both};
use pipeplug::{
    BoxError, Collector, Context, MemoryCheckpoints, PipelineContext, StopSignal, Worker,
};
use pipeplug_agent::engine::{Engine, EngineOptions, Pipeline};
use pipeplug_agent::pipeline_config::{self, Format};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant, SystemTime};

pipeplug::link!(pipeplug_plugins::all);

/// Events per measured run.
const EVENTS: u64 = 200_000;
/// Events per V2 group the input emits.
const GROUP: u64 = 100;
/// Events per group `aggregator_default` makes (its `MaxLogCount` default).
const BATCH: usize = 1024;

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

/// The V2 events the input emits: logs `source = bench, n = <i>`.
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

/// The V1 log the input emits through `Collector::add_data`.
fn make_log(n: u64) -> Log {
    let mut log = Log::default();
    log.contents.push(LogContent::new("source", "bench"));
    log.contents.push(LogContent::new("n", n.to_string()));
    log.set_time(SystemTime::now());
    log
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
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
        let n: usize = groups.iter().map(|g| g.logs.len()).sum();
        FLUSHED.fetch_add(n as u64, Ordering::Relaxed);
        Ok(())
    }
}
impl FlusherV2 for Null {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
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
    // The engine keeps a copy of each batch while a retry may follow (`MaxRetries`, 5 by
    // default); `PIPELINE_BENCH_MAX_RETRIES=0` measures without it.
    let null_delivery = std::env::var("PIPELINE_BENCH_MAX_RETRIES")
        .map(|n| format!(", Delivery: {{ MaxRetries: {n} }}"))
        .unwrap_or_default();
    let text = format!(
        "global: {{ StructureType: {structure} }}\n\
         inputs: [{{ Type: service_bench, Count: {count} }}]\n\
         processors: [{{ Type: processor_add_fields, Fields: {{ service: checkout }} }}]\n\
         aggregators: [{{ Type: aggregator_default }}]\n\
         flushers: [{extra_flusher}{{ Type: flusher_bench_null{null_delivery} }}]\n"
    );
    let registry = registry::global().expect("registry");
    let cfg = pipeline_config::load_str(&text, Format::Yaml, "bench.yaml", "bench", &registry)
        .expect("config");
    Pipeline::build(cfg, &registry).expect("pipeline")
}

fn engine() -> Engine {
    counting_engine(true)
}

/// An engine counting per-plugin stats (events in and out, call times), or not.
fn counting_engine(count: bool) -> Engine {
    Engine::with_checkpoints(
        Arc::new(MemoryCheckpoints::new()),
        EngineOptions {
            count_plugin_stats: count,
            ..EngineOptions::default()
        },
    )
}

/// Runs `EVENTS` events through a fresh pipeline: start, wait until the input has handed
/// them all over, then a clean stop (which drains and flushes everything; checked).
fn run(structure: &str) {
    run_counting(structure, true);
}

/// [`run`], with the engine's per-plugin counting on or off.
fn run_counting(structure: &str, count: bool) {
    FLUSHED.store(0, Ordering::SeqCst);
    let mut engine = counting_engine(count);
    engine
        .start(pipeline(structure, EVENTS, ""))
        .expect("starts");
    while engine.pipelines()[0].events_in() < EVENTS {
        std::thread::sleep(Duration::from_micros(200));
    }
    let report = engine.stop();
    assert!(report[0].is_lossless(), "{report:?}");
    assert_eq!(FLUSHED.load(Ordering::SeqCst), EVENTS);
}

/// The V2 pipeline's work by hand, on one thread: make the events (groups of 100), add the
/// field, batch them into groups of 1024 as `aggregator_default` does, count them.
fn hand_loop_v2() -> u64 {
    let mut flushed = 0;
    let mut batch = PipelineGroupEvents::new(GroupInfo::default(), Vec::with_capacity(BATCH));
    let mut n = 0;
    while n < EVENTS {
        let mut group = PipelineGroupEvents::new(GroupInfo::default(), make_events(n, GROUP));
        for e in &mut group.events {
            if let PipelineEvent::Log(l) = e {
                l.contents.add("service", LogValue::from("checkout"));
            }
        }
        let mut events = group.events.into_iter();
        loop {
            let room = BATCH - batch.events.len();
            batch.events.extend(events.by_ref().take(room));
            if batch.events.len() < BATCH {
                break;
            }
            let full = std::mem::replace(
                &mut batch,
                PipelineGroupEvents::new(GroupInfo::default(), Vec::with_capacity(BATCH)),
            );
            flushed += black_box(full).events.len() as u64;
        }
        n += GROUP;
    }
    flushed + black_box(batch).events.len() as u64
}

/// The V1 pipeline's work by hand, on one thread: make the logs as `Collector::add_data`
/// does, add the field, batch them into log groups of 1024 as `aggregator_default` does,
/// count them.
fn hand_loop_v1() -> u64 {
    let mut flushed = 0;
    let mut group = LogGroup {
        logs: Vec::with_capacity(BATCH),
        ..LogGroup::default()
    };
    for n in 0..EVENTS {
        let mut log = make_log(n);
        log.push("service", "checkout");
        group.logs.push(log);
        if group.logs.len() >= BATCH {
            let full = std::mem::replace(
                &mut group,
                LogGroup {
                    logs: Vec::with_capacity(BATCH),
                    ..LogGroup::default()
                },
            );
            flushed += black_box(full).logs.len() as u64;
        }
    }
    flushed + black_box(group).logs.len() as u64
}

fn throughput(c: &mut Criterion) {
    if std::env::var_os(MEMORY_CHILD).is_some() || counting_only() {
        return;
    }
    assert_eq!(hand_loop_v2(), EVENTS);
    assert_eq!(hand_loop_v1(), EVENTS);
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    g.bench_function("hand_loop_v2", |b| b.iter(hand_loop_v2));
    g.bench_function("v2", |b| b.iter(|| run("v2")));
    g.bench_function("hand_loop_v1", |b| b.iter(hand_loop_v1));
    g.bench_function("v1", |b| b.iter(|| run("v1")));
    g.finish();
}

fn criterion_only() -> bool {
    std::env::var_os("PIPELINE_BENCH_CRITERION_ONLY").is_some_and(|v| v == "1")
}

/// `PIPELINE_BENCH_COUNTING_ONLY=1`: only the cost of the engine's per-plugin counting.
fn counting_only() -> bool {
    std::env::var_os("PIPELINE_BENCH_COUNTING_ONLY").is_some_and(|v| v == "1")
}

/// Rounds of the counting comparison.
const COUNTING_ROUNDS: usize = 41;

/// The cost of the engine's per-plugin counting (`EngineOptions::count_plugin_stats`,
/// on by default): each round runs each pipeline with counting off and on, in turn (which
/// goes first alternates from round to round); prints the median times and their ratio.
fn counting_overhead(_c: &mut Criterion) {
    if criterion_only() || std::env::var_os(MEMORY_CHILD).is_some() {
        return;
    }
    let time = |structure: &str, count: bool| {
        let t = Instant::now();
        run_counting(structure, count);
        t.elapsed()
    };
    println!(
        "counting overhead: interleaved medians of {COUNTING_ROUNDS} rounds, {EVENTS} events each:"
    );
    for structure in ["v2", "v1"] {
        let (mut off, mut on) = (Vec::new(), Vec::new());
        for round in 0..COUNTING_ROUNDS {
            if round % 2 == 0 {
                off.push(time(structure, false));
                on.push(time(structure, true));
            } else {
                on.push(time(structure, true));
                off.push(time(structure, false));
            }
        }
        let (off, on) = (median(off), median(on));
        println!(
            "  {structure}: counting off {:.1} ms, on {:.1} ms: on / off = {:.3}",
            off.as_secs_f64() * 1e3,
            on.as_secs_f64() * 1e3,
            on.as_secs_f64() / off.as_secs_f64()
        );
    }
}

/// Rounds of the interleaved comparison.
const ROUNDS: usize = 15;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Each round runs the loops and the pipelines once, in turn; prints the median time of each
/// and the pipelines' rates as fractions of their loop's.
fn interleaved(_c: &mut Criterion) {
    if criterion_only() || counting_only() || std::env::var_os(MEMORY_CHILD).is_some() {
        return;
    }
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        f();
        t.elapsed()
    };
    let mut samples: [Vec<Duration>; 4] = Default::default();
    for _ in 0..ROUNDS {
        samples[0].push(time(&|| {
            black_box(hand_loop_v2());
        }));
        samples[1].push(time(&|| run("v2")));
        samples[2].push(time(&|| {
            black_box(hand_loop_v1());
        }));
        samples[3].push(time(&|| run("v1")));
    }
    let [loop_v2, v2, loop_v1, v1] = samples.map(median);
    let rate = |d: Duration| EVENTS as f64 / d.as_secs_f64() / 1e6;
    println!("interleaved medians of {ROUNDS} rounds, {EVENTS} events each:");
    for (name, d) in [
        ("hand loop, V2 events", loop_v2),
        ("V2 pipeline", v2),
        ("hand loop, V1 logs", loop_v1),
        ("V1 pipeline", v1),
    ] {
        println!(
            "  {name:<22} {:>7.1} ms  {:>5.2} M events/s",
            d.as_secs_f64() * 1e3,
            rate(d)
        );
    }
    println!(
        "  V2 pipeline / V2 loop: {:.2}; V1 pipeline / V1 loop: {:.2}; V1 pipeline / V2 loop: {:.2}",
        loop_v2.as_secs_f64() / v2.as_secs_f64(),
        loop_v1.as_secs_f64() / v1.as_secs_f64(),
        loop_v2.as_secs_f64() / v1.as_secs_f64(),
    );
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Set in the child process that measures one never-ready pipeline.
const MEMORY_CHILD: &str = "PIPELINE_BENCH_MEMORY_CHILD";

/// Memory with a flusher that is never ready beside a null one, under each delivery policy
/// (`block`: the pipeline is held back; `drop_newest`: the null flusher goes on): the
/// resident size over 5 s of an endless input must level off. Each version runs in a fresh process (this bench
/// again), so that what earlier runs left in the allocator does not hide the growth.
fn never_ready_memory(_c: &mut Criterion) {
    if let Some(structure) = std::env::var_os(MEMORY_CHILD) {
        never_ready_child(&structure.to_string_lossy());
        std::process::exit(0);
    }
    if criterion_only() || counting_only() {
        return;
    }
    for child in ["v2 block", "v1 block", "v2 drop_newest", "v1 drop_newest"] {
        let exe = std::env::current_exe().expect("the bench's path");
        let out = std::process::Command::new(exe)
            .args(["--bench", "no-criterion-benchmark-has-this-name"])
            .env(MEMORY_CHILD, child)
            .output()
            .expect("runs the memory child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `child` is `<structure> <policy>`: the never-ready flusher's delivery policy.
fn never_ready_child(child: &str) {
    let (structure, policy) = child.split_once(' ').unwrap_or((child, "block"));
    FLUSHED.store(0, Ordering::SeqCst);
    let before = rss_kib().unwrap_or(0);
    let mut engine = engine();
    let never_ready =
        format!("{{ Type: flusher_bench_never_ready, Delivery: {{ Policy: {policy} }} }}, ");
    engine
        .start(pipeline(structure, 0, &never_ready))
        .expect("starts");
    let start = Instant::now();
    let mut peak = 0;
    let mut at = Vec::new();
    while start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
        let rss = rss_kib().unwrap_or(0).saturating_sub(before);
        peak = peak.max(rss);
        let secs = start.elapsed().as_secs();
        if at.last().is_none_or(|(s, _, _)| *s < secs) && secs > 0 {
            at.push((secs, FLUSHED.load(Ordering::Relaxed), rss));
        }
    }
    let report = engine.stop().remove(0);
    for (secs, flushed, rss) in at {
        println!(
            "never-ready memory {child}: after {secs} s: {flushed} events through the null flusher, RSS +{rss} KiB"
        );
    }
    println!(
        "never-ready memory {child}: peak RSS +{peak} KiB; dropped for the never-ready flusher: {}; flushed by the null one: {} of {} in",
        report.flushers[0].dropped, report.flushers[1].flushed, report.events_in
    );
}

criterion_group!(
    benches,
    throughput,
    interleaved,
    counting_overhead,
    never_ready_memory
);
criterion_main!(benches);
