//! `service_example_plugin` in YAML pipelines with built-in plugins, on the real engine in
//! virtual time (`pipeplug_agent::testing::PipelineTest`): a 5 s interval in milliseconds.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::models::PipelineEvent;
use pipeplug_agent::testing::PipelineTest;
use std::time::{Duration, UNIX_EPOCH};

// Brings this crate's plugins into the test's registry.
pipeplug::link!(example_plugin::all);

const PIPELINE: &str = r#"
global:
  StructureType: STRUCTURE
  AggregatIntervalMs: 10000
inputs:
  - Type: service_example_plugin
    interval: 5s
processors:
  - Type: processor_add_fields
    Fields: { team: observability }
flushers:
  - Type: flusher_stdout
"#;

fn pipeline(structure: &str) -> PipelineTest {
    PipelineTest::from_yaml(&PIPELINE.replace("STRUCTURE", structure)).unwrap()
}

#[test]
fn v1_flushes_one_processed_host_log_per_interval() {
    let mut test = pipeline("v1");
    let start = test.now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    // Logs at 5 s and 10 s; the aggregator flushes at 10 s, after the second log.
    test.advance(Duration::from_secs(10));
    let out = test.flushed();
    let logs = out.logs();
    assert_eq!(logs.len(), 2, "{logs:?}");
    for log in &logs {
        assert_eq!(log["host"], "1.1.1.1");
        assert_eq!(log["team"], "observability");
    }
    // Timed by the virtual clock: 5 s apart.
    let times: Vec<u64> = out
        .log_groups
        .iter()
        .flat_map(|g| &g.logs)
        .map(|l| u64::from(l.time))
        .collect();
    assert_eq!(times, [start + 5, start + 10]);
    // A third log at 15 s is held by the aggregator until the stop.
    test.advance(Duration::from_secs(5));
    assert_eq!(test.flushed().len(), 2);
    let report = test.stop();
    assert_eq!(report.events_in, 3);
    assert!(report.is_lossless(), "{report:?}");
    assert_eq!(test.flushed().len(), 3);
}

#[test]
fn v2_flushes_one_processed_counter_per_interval() {
    let mut test = pipeline("v2");
    test.advance(Duration::from_secs(20));
    let out = test.flushed();
    let metrics: Vec<_> = out
        .events()
        .into_iter()
        .map(|e| match e {
            PipelineEvent::Metric(m) => m.clone(),
            other => panic!("not a metric: {other:?}"),
        })
        .collect();
    assert_eq!(metrics.len(), 4);
    for m in &metrics {
        assert_eq!(m.name, "test_metric");
        assert_eq!(m.tags.get("hello").map(|v| v.as_str()), Some("world"));
        // processor_add_fields adds V2 metric fields as tags.
        assert_eq!(
            m.tags.get("team").map(|v| v.as_str()),
            Some("observability")
        );
    }
    let report = test.stop();
    assert!(report.is_lossless(), "{report:?}");
}

#[test]
fn the_dev_dependency_cycle_links_the_plugin_once() {
    // The agent depends on this crate and this test on the agent: one copy is linked, so
    // the registry has no duplicate (it would refuse to build).
    let registry = pipeplug::registry::global().unwrap();
    let kinds = registry.kinds_of("service_example_plugin");
    assert_eq!(kinds.len(), 1, "{kinds:?}");
}
