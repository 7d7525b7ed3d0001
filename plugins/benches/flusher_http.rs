//! `flusher_http` to a local HTTP server (`tiny_http` on 127.0.0.1, answering 200 at once):
//! the time of one `flush` of 1000 logs, which is conversion, compression and the requests.
//!
//! `cargo bench -p pipeplug-plugins --bench flusher_http`
#![allow(clippy::unwrap_used, missing_docs)] // a benchmark

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pipeplug::plugin::{Flusher, FlusherV1};
use pipeplug::protocol::{Log, LogGroup};
use pipeplug::{Context, PluginConfig};
use pipeplug_plugins::FlusherHttp;
use std::sync::Arc;

pipeplug::link!(pipeplug_plugins::all);

/// A server answering 200 to everything, from 4 threads.
fn server() -> String {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    for _ in 0..4 {
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            for mut req in server.incoming_requests() {
                let mut sink = Vec::new();
                let _ = req.as_reader().read_to_end(&mut sink);
                let _ = req.respond(tiny_http::Response::empty(200));
            }
        });
    }
    format!("http://127.0.0.1:{port}/write")
}

fn logs(n: usize) -> LogGroup {
    LogGroup {
        logs: (0..n)
            .map(|i| {
                Log::new(
                    1_700_000_000,
                    [
                        ("host", "web-1".to_owned()),
                        ("path", "/api/v1/items".to_owned()),
                        ("status", "200".to_owned()),
                        ("latency_ms", (i % 97).to_string()),
                        ("msg", format!("request {i} served")),
                    ],
                )
            })
            .collect(),
        source: "10.0.0.1".into(),
        ..LogGroup::default()
    }
}

fn metrics(n: usize) -> LogGroup {
    LogGroup {
        logs: (0..n)
            .map(|i| {
                pipeplug::convert::new_metric_log(
                    "http_requests",
                    &[("host", "web-1"), ("code", "200")],
                    i as f64,
                    1_700_000_000_000_000_000,
                )
            })
            .collect(),
        ..LogGroup::default()
    }
}

fn bench(c: &mut Criterion) {
    let url = server();
    let ctx = Context::default();
    let mut g = c.benchmark_group("flusher_http");
    g.throughput(Throughput::Elements(1000));
    // 1000 requests a flush take a few hundred ms: fewer samples keep the run short.
    g.sample_size(20);
    let cases: [(&str, &str, LogGroup); 5] = [
        (
            "custom_single, 1000 logs in 1 request",
            "Convert: {Separator: \"\\n\"}",
            logs(1000),
        ),
        (
            "custom_single gzip, 1000 logs in 1 request",
            "Convert: {Separator: \"\\n\"}\nCompression: gzip",
            logs(1000),
        ),
        (
            "influxdb, 1000 metrics in 1 request",
            "Convert: {Protocol: influxdb}",
            metrics(1000),
        ),
        (
            "custom_single, 1000 logs in 1000 requests, Concurrency 1",
            "",
            logs(1000),
        ),
        (
            "custom_single, 1000 logs in 1000 requests, Concurrency 4",
            "Concurrency: 4",
            logs(1000),
        ),
    ];
    for (name, extra, group) in cases {
        let mut f = FlusherHttp::from_yaml_str(&format!("RemoteURL: \"{url}\"\n{extra}")).unwrap();
        f.init(&ctx).unwrap();
        let groups = [group];
        g.bench_function(name, |b| {
            b.iter(|| f.flush("p", "l", "c", &groups).unwrap())
        });
        f.stop().unwrap();
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
