//! Benchmarks of the wire formats LoongCollector's core and pipeplug exchange: decoding the
//! core's `PipelineEventGroup` (every `ProcessPipelineEventGroup` call) and writing the
//! `sls_logs.LogGroup` that `flusher_sls` sends back (every flush), for groups of 100
//! access-log lines of 10 fields (about 250 bytes each).
//!
//! `cargo bench -p pipeplug-loongcollector --bench proto -- --warm-up-time 1 --measurement-time 3`;
//! figures in `docs/benchmarks.md`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pipeplug::models::{self, GroupInfo, KeyValues, Metadata, PipelineGroupEvents, Tags};
use pipeplug::protocol;
use pipeplug_loongcollector::proto;
use prost::Message;
use std::hint::black_box;

const FIELDS: [(&str, &str); 10] = [
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
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
    ),
    ("request_time", "0.012"),
];

fn v2_group(n: usize) -> PipelineGroupEvents {
    let events = (0..n)
        .map(|i| {
            models::Log {
                timestamp: 1_700_000_000_000_000_000 + i as u64,
                offset: i as u64 * 250,
                raw_size: 250,
                contents: KeyValues::from(FIELDS),
                ..models::Log::default()
            }
            .into()
        })
        .collect();
    PipelineGroupEvents::new(
        GroupInfo::new(
            Metadata::from([("source_id", "file:/var/log/nginx/access.log")]),
            Tags::from([
                ("host.name", "web-1"),
                ("log.file.path", "/var/log/nginx/access.log"),
            ]),
        ),
        events,
    )
}

fn v1_group(n: usize) -> protocol::LogGroup {
    protocol::LogGroup {
        logs: (0..n)
            .map(|i| protocol::Log::new(1_700_000_000 + i as u32, FIELDS))
            .collect(),
        category: "access".into(),
        topic: "nginx".into(),
        source: "10.0.0.1".into(),
        machine_uuid: String::new(),
        log_tags: vec![
            protocol::LogTag::new("__hostname__", "web-1"),
            protocol::LogTag::new("__path__", "/var/log/nginx/access.log"),
        ],
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("proto group of 100 logs");
    g.throughput(Throughput::Elements(100));
    let v2 = v2_group(100);
    let event_bytes = proto::encode_event_group(&v2);
    g.bench_function("decode_event_group", |b| {
        b.iter(|| proto::decode_event_group(black_box(&event_bytes)))
    });
    // Its first half: the bytes into the prost message, before the conversion to the model.
    g.bench_function("decode_event_group: the prost message only", |b| {
        b.iter(|| {
            proto::PipelineEventGroup::decode(prost::bytes::Bytes::copy_from_slice(black_box(
                &event_bytes,
            )))
        })
    });
    g.bench_function("encode_event_group", |b| {
        b.iter(|| proto::encode_event_group(black_box(&v2)))
    });
    let v1 = v1_group(100);
    let log_bytes = proto::encode_log_group(&v1);
    g.bench_function("encode_log_group", |b| {
        b.iter(|| proto::encode_log_group(black_box(&v1)))
    });
    // What `encode_log_group` would cost built as the derived message (every text copied into
    // it first): the comparison for its direct writer.
    g.bench_function("encode_log_group via the derived message", |b| {
        b.iter(|| proto::to_log_group_message(black_box(&v1)).encode_to_vec())
    });
    g.bench_function("decode_log_group", |b| {
        b.iter(|| proto::decode_log_group(black_box(&log_bytes)))
    });
    g.finish();
    println!(
        "sizes: PipelineEventGroup {} bytes, sls_logs.LogGroup {} bytes",
        event_bytes.len(),
        log_bytes.len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
