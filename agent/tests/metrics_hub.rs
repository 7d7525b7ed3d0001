//! The engine's per-plugin counts as a `MetricsHub` reads them, on the V2 path (the
//! binary's test, `metrics_endpoint.rs`, runs V1), with counting turned off, and the health
//! it reports while a pipeline runs, stops and is gone.

#![allow(clippy::unwrap_used)]

use pipeplug::models::PipelineGroupEvents;
use pipeplug::plugin::{Flusher, FlusherV2, Plugin};
use pipeplug::registry::{self, V2Only};
use pipeplug::{BoxError, PipelineContext};
use pipeplug_agent::engine::{Engine, EngineOptions, MetricsHub, Pipeline, PipelineSnapshot};
use pipeplug_agent::pipeline_config::{self, Format};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pipeplug::link!(pipeplug_plugins::all);

/// 150 V2 events in 3 groups through a processor to `flusher_stdout`, flushed by the
/// default aggregator after its 3 s interval.
const PIPELINE: &str = "\
global: {StructureType: v2}
inputs:
  - Type: service_mock
    LogsPerSecond: 50
    MaxLogCount: 150
    Interval: 100ms
processors:
  - Type: processor_add_fields
    Fields: {service: checkout}
flushers:
  - Type: flusher_stdout
";

fn pipeline() -> Pipeline {
    pipeline_of(PIPELINE)
}

fn pipeline_of(text: &str) -> Pipeline {
    let registry = registry::global().unwrap();
    let config =
        pipeline_config::load_str(text, Format::Yaml, "shop.yaml", "shop", &registry).unwrap();
    Pipeline::build(config, &registry).unwrap()
}

/// Set to let `HeldStop::stop` return.
static RELEASE: AtomicBool = AtomicBool::new(false);

/// A flusher whose `stop` waits for [`RELEASE`] (at most 10 s): a pipeline caught stopping.
struct HeldStop;

impl Plugin for HeldStop {
    fn description(&self) -> &str {
        "stop waits to be released"
    }
}

impl Flusher for HeldStop {
    fn stop(&mut self) -> Result<(), BoxError> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !RELEASE.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }
}

impl FlusherV2 for HeldStop {
    fn export(&mut self, _: &[PipelineGroupEvents], _: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

fn engine(hub: &Arc<MetricsHub>, count: bool) -> Engine {
    Engine::with_checkpoints(
        Arc::new(pipeplug::MemoryCheckpoints::new()),
        EngineOptions {
            metrics: Some(Arc::clone(hub)),
            count_plugin_stats: count,
            ..EngineOptions::default()
        },
    )
}

/// `(type, events in, events out, calls timed)` of each plugin.
fn counts(p: &PipelineSnapshot) -> Vec<(String, u64, u64, u64)> {
    p.plugins
        .iter()
        .map(|s| {
            (
                s.plugin_type.clone(),
                s.events_in,
                s.events_out,
                s.calls.count,
            )
        })
        .collect()
}

#[test]
fn the_hub_reads_each_plugins_counts_and_health_follows_the_stop() {
    let hub = Arc::new(MetricsHub::new());
    assert_eq!(hub.health(), (false, "no pipeline is running\n".to_owned()));
    let mut engine = engine(&hub, true);
    engine.start(pipeline()).unwrap();
    assert_eq!(hub.health(), (true, "shop: running\n".to_owned()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let snap = loop {
        let snap = hub.snapshot().remove(0);
        if snap.plugins.last().unwrap().events_out == 150 {
            break snap;
        }
        assert!(Instant::now() < deadline, "{snap:#?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(snap.name, "shop");
    assert!(snap.running);
    assert_eq!(snap.events_in, 150);
    let c = counts(&snap);
    let kinds: Vec<&str> = c.iter().map(|(t, ..)| t.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "service_mock",
            "processor_add_fields",
            "aggregator_default",
            "flusher_stdout"
        ]
    );
    assert_eq!((c[0].1, c[0].2), (0, 150), "the input: out only");
    assert_eq!((c[1].1, c[1].2), (150, 150), "the processor");
    assert_eq!((c[2].1, c[2].2), (150, 150), "the aggregator");
    assert_eq!((c[3].1, c[3].2), (150, 150), "the flusher");
    // One process call per group of 50, one record per group; the flusher at least once.
    assert_eq!(c[1].3, 3);
    assert!(c[2].3 >= 3 && c[3].3 >= 1, "{c:?}");
    let flusher = snap.plugins.last().unwrap();
    assert_eq!(flusher.dropped.iter().map(|(_, n)| n).sum::<u64>(), 0);
    assert!(flusher.queue.unwrap().capacity >= 1);
    assert!(snap.input_queue.capacity >= 2);
    // Its histogram's last bucket holds every call.
    assert_eq!(flusher.calls.buckets.last().unwrap().1, flusher.calls.count);
    let report = engine.stop();
    assert!(report[0].is_lossless(), "{report:?}");
    assert_eq!(hub.health(), (false, "no pipeline is running\n".to_owned()));
    assert!(hub.snapshot().is_empty());
}

#[test]
fn with_counting_off_nothing_is_counted_but_everything_flows() {
    let hub = Arc::new(MetricsHub::new());
    let mut engine = engine(&hub, false);
    engine.start(pipeline()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while engine.pipelines()[0].flushed() != [150] {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(100));
    }
    let snap = hub.snapshot().remove(0);
    assert_eq!(snap.events_in, 150);
    for (t, events_in, events_out, calls) in counts(&snap) {
        assert_eq!((events_in, events_out, calls), (0, 0, 0), "{t}");
    }
    assert!(engine.stop()[0].is_lossless());
}

#[test]
fn health_is_503_while_a_pipeline_stops() {
    registry::add_flusher_creator("flusher_held_stop", "test", |_| Ok(V2Only(HeldStop)));
    let hub = Arc::new(MetricsHub::new());
    let mut engine = engine(&hub, true);
    let text = PIPELINE.replace("flusher_stdout", "flusher_held_stop");
    engine.start(pipeline_of(&text)).unwrap();
    assert_eq!(hub.health(), (true, "shop: running\n".to_owned()));
    let stopping = std::thread::spawn(move || engine.stop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (ok, text) = hub.health();
        if !ok {
            assert_eq!(text, "shop: stopping\n");
            assert!(!hub.snapshot()[0].running);
            break;
        }
        assert!(Instant::now() < deadline, "never seen stopping");
        std::thread::sleep(Duration::from_millis(1));
    }
    RELEASE.store(true, Ordering::SeqCst);
    let report = stopping.join().unwrap();
    assert!(report[0].overstayed.is_empty(), "{report:?}");
    assert_eq!(hub.health(), (false, "no pipeline is running\n".to_owned()));
}
