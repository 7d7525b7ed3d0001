//! How long `stop` takes for the example plugin with its 5 s interval, on the real clock.
//!
//! `cargo bench -p example_plugin --bench stop`

use criterion::{criterion_group, criterion_main, Criterion};
use example_plugin::MyServiceInput;
use pipeplug::plugin::{ServiceInput, ServiceInputV1};
use pipeplug::{Collector, Context, LogWithContext, PluginConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn stop_latency(c: &mut Criterion) {
    let ctx = Context::default();
    c.bench_function("service_example_plugin stop (5s interval)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut plugin = MyServiceInput::from_yaml_str("").expect("defaults decode");
                plugin.init(&ctx).expect("init");
                plugin
                    .start(Collector::new(Arc::new(|_: LogWithContext| {})))
                    .expect("start");
                let t = Instant::now();
                plugin.stop().expect("stop");
                total += t.elapsed();
            }
            total
        });
    });
}

criterion_group!(benches, stop_latency);
criterion_main!(benches);
