//! Benchmarks of the core crate: V1 ↔ V2 conversion per event and per group, and the
//! registry (lookup among 1,000 plugins, the build that the first `global()` does, the
//! cost of one static registration).
//!
//! `cargo bench -p pipeplug --bench core -- --warm-up-time 1 --measurement-time 3`;
//! figures in `docs/benchmarks.md`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pipeplug::compat::*;
use pipeplug::convert::{
    group_to_v1, group_to_v2, metric_to_v1_logs, v1_log_to_metric, v1_log_to_v2,
    v1_log_to_v2_with_tags, v2_log_to_v1,
};
use pipeplug::models::MetricType;
use pipeplug::plugin::{Plugin, Processor, ProcessorV1};
use pipeplug::protocol::{Log, LogGroup, LogTag};
use pipeplug::registry::{
    self, Factories, Native, Node, PluginDescriptor, PluginKind, Registry, SourceLocation,
};
use pipeplug::ConfigError;
use std::hint::black_box;
use std::time::Instant;

/// How many plugins the registry benchmarks register.
const PLUGINS: usize = 1000;

/// A typical access-log line after parsing: 10 fields, about 250 bytes.
fn access_log() -> Log {
    let mut log = Log::new(
        1_700_000_000,
        [
            ("remote_addr", "203.0.113.17"),
            ("time_local", "14/Nov/2023:22:13:20 +0000"),
            ("method", "GET"),
            ("path", "/api/v1/orders/12345/items?expand=true"),
            ("protocol", "HTTP/1.1"),
            ("status", "200"),
            ("body_bytes_sent", "5123"),
            ("http_referer", "https://shop.example.com/cart"),
            (
                "http_user_agent",
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/119.0",
            ),
            ("request_time", "0.042"),
        ],
    );
    log.time_ns = Some(123_456_789);
    log
}

fn conversion(c: &mut Criterion) {
    let mut g = c.benchmark_group("convert");
    g.throughput(Throughput::Elements(1));

    let v1 = access_log();
    let mut with_tags = v1.clone();
    with_tags.push("__tag__:__path__", "/var/log/nginx/access.log");
    with_tags.push("__tag__:__hostname__", "web-1");
    let v2 = v1_log_to_v2_with_tags(&with_tags);
    g.bench_function("v1 log -> v2", |b| b.iter(|| v1_log_to_v2(black_box(&v1))));
    g.bench_function("v1 log -> v2 (tags split)", |b| {
        b.iter(|| v1_log_to_v2_with_tags(black_box(&with_tags)));
    });
    g.bench_function("v2 log -> v1", |b| b.iter(|| v2_log_to_v1(black_box(&v2))));

    let metric = new_single_value_metric(
        "http_requests_total",
        MetricType::Counter,
        new_tags_with_key_values(&[
            "method", "GET", "status", "200", "host", "web-1", "path", "/api",
        ]),
        1_700_000_000_123_456_789,
        1027.5,
    );
    let metric_log = metric_to_v1_logs(&metric).remove(0);
    g.bench_function("metric -> v1 log", |b| {
        b.iter(|| metric_to_v1_logs(black_box(&metric)));
    });
    g.bench_function("v1 log -> metric", |b| {
        b.iter(|| v1_log_to_metric(black_box(&metric_log)));
    });
    g.finish();

    let mut g = c.benchmark_group("convert group of 100 logs");
    g.throughput(Throughput::Elements(100));
    let group = LogGroup {
        logs: vec![access_log(); 100],
        category: "access".to_owned(),
        source: "10.0.0.1".to_owned(),
        log_tags: vec![LogTag::new("host", "web-1"), LogTag::new("env", "prod")],
        ..LogGroup::default()
    };
    let v2_group = group_to_v2(&group);
    g.bench_function("v1 group -> v2", |b| {
        b.iter(|| group_to_v2(black_box(&group)))
    });
    g.bench_function("v2 group -> v1", |b| {
        b.iter(|| group_to_v1(black_box(&v2_group)));
    });
    g.finish();
}

struct Nothing;

impl Plugin for Nothing {
    fn description(&self) -> &str {
        "does nothing"
    }
}
impl Processor for Nothing {}
impl ProcessorV1 for Nothing {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn v1(_: &serde_json::Value) -> Result<Box<dyn ProcessorV1>, ConfigError> {
    Ok(Box::new(Nothing))
}

fn v2(_: &serde_json::Value) -> Result<Box<dyn pipeplug::plugin::ProcessorV2>, ConfigError> {
    Ok(Box::new(pipeplug::adapter::ProcessorV1AsV2::new(Nothing)))
}

/// A `'static` descriptor, as the macros emit one (leaked: it is made at run time here).
fn descriptor(name: String) -> &'static PluginDescriptor {
    Box::leak(Box::new(PluginDescriptor {
        name: Box::leak(name.into_boxed_str()),
        description: "does nothing",
        config_fields: &[],
        source: SourceLocation {
            crate_name: "bench",
            file: file!(),
            line: line!(),
        },
        native: Native {
            v1: true,
            v2: false,
        },
        factories: Factories::Processor { v1: &v1, v2: &v2 },
        defaults: || Ok(serde_json::Value::Null),
        example: None,
    }))
}

/// Registers `PLUGINS` processors as the macros' constructors do, and times the first
/// `global()` (the one-off build of the checked registry), once.
fn register_plugins() -> std::time::Duration {
    for i in 0..PLUGINS {
        let node = Box::leak(Box::new(Node::new(descriptor(format!(
            "processor_bench_{i:04}"
        )))));
        pipeplug::__private::submit(node);
    }
    let start = Instant::now();
    let reg = registry::global().expect("no duplicates");
    let first = start.elapsed();
    assert_eq!(reg.len(), PLUGINS);
    first
}

fn registry_benches(c: &mut Criterion) {
    let first = register_plugins();
    eprintln!("registry: first global() with {PLUGINS} registrations, single run: {first:?}");
    let reg = registry::global().expect("no duplicates");

    let mut g = c.benchmark_group("registry (1000 plugins)");
    g.bench_function("global() (cached)", |b| b.iter(registry::global));
    g.bench_function("get by name", |b| {
        b.iter(|| reg.get(PluginKind::Processor, black_box("processor_bench_0500")));
    });
    g.bench_function("lookup name/id#priority", |b| {
        b.iter(|| {
            reg.lookup(
                PluginKind::Processor,
                black_box("processor_bench_0500/3#10"),
            )
        });
    });
    g.bench_function("lookup unknown (with suggestion)", |b| {
        b.iter(|| reg.lookup(PluginKind::Processor, black_box("processor_bench_050")));
    });

    let descriptors: Vec<&'static PluginDescriptor> = reg.iter().collect();
    g.bench_function("build (what the first global() does)", |b| {
        b.iter(|| Registry::from_descriptors(black_box(descriptors.iter().copied())));
    });
    // Last: it links more nodes into the global list.
    let mut n = 0_usize;
    g.bench_function("submit one static node (a ctor's work)", |b| {
        b.iter_batched(
            || {
                n += 1;
                &*Box::leak(Box::new(Node::new(descriptor(format!(
                    "processor_more_{n}"
                )))))
            },
            pipeplug::__private::submit,
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group!(benches, conversion, registry_benches);
criterion_main!(benches);
