//! Benchmarks of the attribute macros' generated code (figures in `docs/benchmarks.md`,
//! section "Macros"):
//! - `emit/*`: events through a macro-registered processor against the same processor
//!   registered by hand, both built from the registry, natively (V1) and adapted (V2);
//! - `decode/*`: decoding a 10-field config with the generated `from_config`, against
//!   `serde_json::from_value` into a `#[derive(Deserialize)]` struct of the same fields.
//!
//! Run with `cargo bench -p pipeplug-tests --bench macros`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pipeplug::compat::*;
use pipeplug::models::PipelineEvent;
use pipeplug::prelude::*;
use pipeplug::protocol::Log as V1Log;
use pipeplug::registry::{self, Factories, Native, PluginDescriptor, PluginKind, SourceLocation};
use pipeplug::{ConfigError, PipelineCollector, PluginConfig};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Once;

const BATCH: usize = 1_000;

/// Adds a field to every log (registered by the macro).
#[processor(name = "processor_bench_macro", conformance = false)]
pub struct ByMacro {
    /// The value added.
    #[config(default = "bench")]
    value: String,
}

impl Processor for ByMacro {}
impl ProcessorV1 for ByMacro {
    fn process_logs(&mut self, mut logs: Vec<V1Log>) -> Vec<V1Log> {
        for log in &mut logs {
            log.push("tag", self.value.as_str());
        }
        logs
    }
}

/// The same processor, written and registered without the macro.
pub struct ByHand {
    value: String,
}

impl Plugin for ByHand {
    fn description(&self) -> &str {
        "Adds a field to every log (registered by hand)."
    }
}
impl Processor for ByHand {}
impl ProcessorV1 for ByHand {
    fn process_logs(&mut self, mut logs: Vec<V1Log>) -> Vec<V1Log> {
        for log in &mut logs {
            log.push("tag", self.value.as_str());
        }
        logs
    }
}

fn by_hand(_: &serde_json::Value) -> Result<ByHand, ConfigError> {
    Ok(ByHand {
        value: "bench".to_owned(),
    })
}
fn by_hand_v1(c: &serde_json::Value) -> Result<Box<dyn ProcessorV1>, ConfigError> {
    Ok(Box::new(by_hand(c)?))
}
fn by_hand_v2(c: &serde_json::Value) -> Result<Box<dyn ProcessorV2>, ConfigError> {
    Ok(Box::new(pipeplug::adapter::ProcessorV1AsV2::new(by_hand(
        c,
    )?)))
}

fn register_by_hand() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        registry::register(PluginDescriptor {
            name: "processor_bench_hand",
            description: "Adds a field to every log (registered by hand).",
            config_fields: &[],
            source: SourceLocation {
                crate_name: env!("CARGO_PKG_NAME"),
                file: file!(),
                line: line!(),
            },
            native: Native {
                v1: true,
                v2: false,
            },
            factories: Factories::Processor {
                v1: &by_hand_v1,
                v2: &by_hand_v2,
            },
            defaults: || Ok(serde_json::Value::Null),
            example: None,
        });
    });
}

fn factories(name: &str) -> Factories {
    registry::global()
        .expect("no duplicate plugins")
        .get(PluginKind::Processor, name)
        .expect("registered")
        .factories
}

fn v1_logs() -> Vec<V1Log> {
    (0..BATCH)
        .map(|i| V1Log::new(1, [("content", format!("line {i}"))]))
        .collect()
}

fn v2_group() -> PipelineGroupEvents {
    let events = (0..BATCH)
        .map(|i| PipelineEvent::Log(new_simple_log(format!("line {i}"), Tags::new(), 1)))
        .collect();
    PipelineGroupEvents::new(GroupInfo::default(), events)
}

/// The fastest of many interleaved runs of each variant (macro, hand, macro, hand, ...):
/// the minimum filters out the time stolen by other processes, and interleaving exposes both
/// variants to the same machine state. Printed as a ratio; criterion's figures follow.
fn interleaved_ratio() {
    const ROUNDS: usize = 400;
    let null = serde_json::Value::Null;
    let build = |name: &str| {
        let Factories::Processor { v1, v2 } = factories(name) else {
            unreachable!("a processor")
        };
        (v1(&null).expect("builds"), v2(&null).expect("builds"))
    };
    let (mut macro_v1, mut macro_v2) = build("processor_bench_macro");
    let (mut hand_v1, mut hand_v2) = build("processor_bench_hand");
    let v1 = [&mut macro_v1, &mut hand_v1];
    let v2 = [&mut macro_v2, &mut hand_v2];
    let mut best_v1 = [Duration::MAX; 2];
    let mut best_v2 = [Duration::MAX; 2];
    for round in 0..ROUNDS {
        for i in [round % 2, 1 - round % 2] {
            let logs = v1_logs();
            let start = std::time::Instant::now();
            let out = black_box(v1[i].process_logs(logs));
            best_v1[i] = best_v1[i].min(start.elapsed());
            drop(out);

            let group = v2_group();
            let ctx = PipelineContext::new(PipelineCollector::grouped());
            let start = std::time::Instant::now();
            v2[i].process(group, &ctx);
            let out = black_box(ctx.collector().to_array());
            best_v2[i] = best_v2[i].min(start.elapsed());
            drop(out);
        }
    }
    for (path, best) in [("v1_native", best_v1), ("v2_adapted", best_v2)] {
        let ratio = best[0].as_secs_f64() / best[1].as_secs_f64();
        eprintln!(
            "emit/{path} interleaved minimum over {ROUNDS} rounds: macro {:?}, hand {:?}, \
             macro/hand = {ratio:.4}",
            best[0], best[1]
        );
    }
}

fn emit(c: &mut Criterion) {
    register_by_hand();
    interleaved_ratio();
    let mut group = c.benchmark_group("emit");
    group.throughput(Throughput::Elements(BATCH as u64));
    let null = serde_json::Value::Null;
    for (label, name) in [
        ("macro", "processor_bench_macro"),
        ("hand", "processor_bench_hand"),
    ] {
        let Factories::Processor { v1, v2 } = factories(name) else {
            unreachable!("a processor")
        };
        let mut p1 = v1(&null).expect("builds");
        group.bench_function(format!("v1_native/{label}"), |b| {
            b.iter_batched(
                v1_logs,
                |logs| black_box(p1.process_logs(logs)),
                BatchSize::LargeInput,
            );
        });
        let mut p2 = v2(&null).expect("builds");
        group.bench_function(format!("v2_adapted/{label}"), |b| {
            b.iter_batched(
                v2_group,
                |g| {
                    let ctx = PipelineContext::new(PipelineCollector::grouped());
                    p2.process(g, &ctx);
                    black_box(ctx.collector().to_array())
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

/// A plugin with ten config fields of the usual sorts.
#[flusher(
    name = "flusher_bench_ten",
    rename_all = "PascalCase",
    conformance = false
)]
pub struct Ten {
    /// 1.
    #[config(default = "5s")]
    interval: Duration,
    /// 2.
    #[config(unit = "ms", default = "1s")]
    timeout_ms: Duration,
    /// 3.
    retry: Option<Duration>,
    /// 4.
    #[config(default = 10)]
    count: u32,
    /// 5.
    enabled: bool,
    /// 6.
    #[config(default = "http://localhost")]
    endpoint: String,
    /// 7.
    keys: Vec<String>,
    /// 8.
    tags: BTreeMap<String, String>,
    /// 9.
    ratio: f64,
    /// 10.
    label: Option<String>,
}

impl Flusher for Ten {}
impl FlusherV2 for Ten {
    fn export(&mut self, _: &[PipelineGroupEvents], _: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

/// The same fields with serde's derive (durations as humantime strings).
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)] // only decoded
struct TenSerde {
    #[serde(with = "humantime_serde")]
    interval: Duration,
    #[serde(with = "humantime_serde")]
    timeout_ms: Duration,
    #[serde(with = "humantime_serde")]
    retry: Option<Duration>,
    count: u32,
    enabled: bool,
    endpoint: String,
    keys: Vec<String>,
    tags: BTreeMap<String, String>,
    ratio: f64,
    label: Option<String>,
}

fn ten_config() -> serde_json::Value {
    serde_json::json!({
        "Interval": "1m 30s",
        "TimeoutMs": "250ms",
        "Retry": "2s",
        "Count": 3,
        "Enabled": true,
        "Endpoint": "http://example:8080/write",
        "Keys": ["a", "b", "c"],
        "Tags": {"env": "prod", "zone": "a"},
        "Ratio": 0.5,
        "Label": "x",
    })
}

fn decode(c: &mut Criterion) {
    let config = ten_config();
    assert!(Ten::from_config(&config).is_ok());
    assert!(<TenSerde as serde::Deserialize>::deserialize(&config).is_ok());
    let mut group = c.benchmark_group("decode");
    group.bench_function("ten_fields/macro", |b| {
        b.iter(|| black_box(Ten::from_config(black_box(&config))));
    });
    group.bench_function("ten_fields/serde_derive", |b| {
        b.iter(|| {
            black_box(<TenSerde as serde::Deserialize>::deserialize(black_box(
                &config,
            )))
        });
    });
    group.bench_function("ten_fields/macro_defaults", |b| {
        let null = serde_json::Value::Null;
        b.iter(|| black_box(Ten::from_config(black_box(&null))));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = emit, decode
}
criterion_main!(benches);
