//! What one `ProcessPipelineEventGroup` call (and v3.3.5's `ProcessLogGroup` with the same
//! logs) costs the core's thread, with the pipeline running behind it (decoding, the input
//! queue, `processor_add_fields`, `flusher_sls` encoding and sending to a link that takes
//! everything at once).
//!
//! `cargo bench -p pipeplug-loongcollector --bench exports`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pipeplug::models::{GroupInfo, Log, LogValue, PipelineEvent, PipelineGroupEvents};
use pipeplug_loongcollector::adapter::{CoreLink, SendOutcome};
use pipeplug_loongcollector::ffi::{
    GoSlice, GoString, LoadPipeline, ProcessLogGroup, ProcessPipelineEventGroup, Start, Stop,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Takes every group, counting logs.
#[derive(Debug, Default)]
struct Sink(AtomicU64);

impl CoreLink for Sink {
    fn is_valid_to_send(&self, _key: i64) -> bool {
        true
    }
    fn send(&self, _: &str, _: &str, _: &[u8], lines: i32, _: &str) -> SendOutcome {
        self.0
            .fetch_add(u64::try_from(lines).unwrap_or(0), Ordering::Relaxed);
        SendOutcome::Sent
    }
}

const LOGS: usize = 100;

/// The same logs as a `sls_logs.LogGroup`, as v3.3.5's core hands them over.
fn log_group() -> Vec<u8> {
    let group = pipeplug_loongcollector::proto::decode_event_group(&group()).expect("ours");
    let logs = pipeplug::convert::group_to_v1_logs(&group);
    pipeplug_loongcollector::proto::encode_log_group(&pipeplug::protocol::LogGroup {
        logs,
        ..Default::default()
    })
}

fn group() -> Vec<u8> {
    let events = (0..LOGS)
        .map(|i| {
            let mut log = Log {
                timestamp: 1_700_000_000_000_000_000,
                ..Default::default()
            };
            log.contents.add("method", LogValue::from("GET"));
            log.contents
                .add("path", LogValue::from(format!("/api/v1/items/{i}")));
            log.contents.add("status", LogValue::from("200"));
            log.contents.add("bytes", LogValue::from("5120"));
            PipelineEvent::Log(log)
        })
        .collect();
    pipeplug_loongcollector::proto::encode_event_group(&PipelineGroupEvents::new(
        GroupInfo::default(),
        events,
    ))
}

fn bench(c: &mut Criterion) {
    let sink = Arc::new(Sink::default());
    let host = pipeplug_loongcollector::host::host().expect("the registry");
    host.set_link(Arc::clone(&sink) as Arc<dyn CoreLink>);
    let config = r#"{"processors":[{"type":"processor_add_fields/1","detail":{"Fields":{"via":"pipeplug"}}}],
        "flushers":[{"type":"flusher_sls/2"}]}"#;
    let gs = GoString::borrowed;
    // SAFETY: borrowed strings valid for each call.
    unsafe {
        assert_eq!(
            LoadPipeline(gs("p"), gs("l"), gs("bench/2"), 1, gs(config)),
            0
        );
        Start(gs("bench/2"));
    }
    let bytes = group();
    let mut g = c.benchmark_group("loongcollector");
    g.throughput(Throughput::Elements(LOGS as u64));
    g.bench_function("ProcessPipelineEventGroup, 100 logs", |b| {
        b.iter(|| {
            // SAFETY: as above.
            let rc = unsafe {
                ProcessPipelineEventGroup(gs("bench/2"), GoSlice::borrowed(&bytes), gs("pk"))
            };
            assert_eq!(rc, 0);
        });
    });
    let v1_bytes = log_group();
    g.bench_function("ProcessLogGroup (v3.3.5), 100 logs", |b| {
        b.iter(|| {
            // SAFETY: as above.
            let rc =
                unsafe { ProcessLogGroup(gs("bench/2"), GoSlice::borrowed(&v1_bytes), gs("pk")) };
            assert_eq!(rc, 0);
        });
    });
    g.finish();
    // SAFETY: as above.
    unsafe { Stop(gs("bench/2"), 1) };
    assert!(sink.0.load(Ordering::Relaxed) > 0);
}

criterion_group!(benches, bench);
criterion_main!(benches);
