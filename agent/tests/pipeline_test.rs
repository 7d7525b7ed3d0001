//! `pipeplug_agent::testing::PipelineTest`: whole pipelines of built-in plugins, from YAML,
//! on the real engine in virtual time.

// Tests unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug::models::{GroupInfo, Metric, MetricType, PipelineEvent, PipelineGroupEvents, Tags};
use pipeplug_agent::pipeline_config::StructureType;
use pipeplug_agent::testing::{PipelineTest, PipelineTestError};
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// A pipeline whose only input emits nothing by itself (`LogsPerSecond: 0`): the test feeds.
fn fed(structure: &str, aggregator_ms: u64) -> String {
    format!(
        r#"
global:
  StructureType: {structure}
  AggregatIntervalMs: {aggregator_ms}
  Tags: {{ env: test }}
inputs:
  - Type: service_mock
    LogsPerSecond: 0
processors:
  - Type: processor_add_fields
    Fields: {{ added: yes }}
  - Type: processor_drop
    DropKeys: [secret]
flushers:
  - Type: flusher_stdout
  - Type: flusher_stdout
    OnlyStdout: true
"#
    )
}

#[test]
fn a_v1_pipeline_flushes_the_fed_logs_processed_on_stop() {
    let mut test = PipelineTest::from_yaml(&fed("v1", 3000)).unwrap();
    assert_eq!(test.structure(), StructureType::V1);
    test.feed_log(&[("msg", "a"), ("secret", "x")]).unwrap();
    test.feed_log(&[("msg", "b")]).unwrap();
    // Processed, but held by the aggregator until its interval (3 s) or the stop.
    assert!(test.flushed().is_empty());
    let report = test.stop();
    assert_eq!(report.events_in, 2);
    assert!(report.is_lossless(), "{report:?}");
    let names = test.flusher_names();
    assert_eq!(names.len(), 2);
    for name in &names {
        let out = test.flushed_by(name).unwrap();
        let logs = out.logs();
        assert_eq!(logs.len(), 2, "{name}: {logs:?}");
        assert_eq!(logs[0]["msg"], "a");
        assert_eq!(logs[0]["added"], "yes");
        assert!(!logs[0].contains_key("secret"), "{:?}", logs[0]);
        assert_eq!(logs[1]["msg"], "b");
        // The global tags reach the V1 groups.
        let tags: Vec<_> = out.log_groups[0]
            .log_tags
            .iter()
            .map(|t| (t.key.to_string(), t.value.to_string()))
            .collect();
        assert!(tags.contains(&("env".into(), "test".into())), "{tags:?}");
    }
    // Every flusher, one after the other.
    assert_eq!(test.flushed().len(), 4);
    // A second stop gives the same report; feeding a stopped pipeline is an error.
    assert_eq!(test.stop(), report);
    assert!(matches!(
        test.feed_log(&[("msg", "late")]),
        Err(PipelineTestError::Stopped)
    ));
}

#[test]
fn a_v2_pipeline_flushes_fed_groups_and_logs() {
    let mut test = PipelineTest::from_yaml(&fed("v2", 3000)).unwrap();
    assert_eq!(test.structure(), StructureType::V2);
    test.feed_log(&[("msg", "a"), ("secret", "x")]).unwrap();
    let metric = Metric::single(
        "m",
        MetricType::Counter,
        Tags::from([("k", "v")]),
        test.clock().now_nanos(),
        1,
    );
    test.feed_group(PipelineGroupEvents::new(
        GroupInfo::default(),
        vec![metric.into()],
    ))
    .unwrap();
    // V1 ways of feeding do not fit a V2 pipeline.
    let err = test.collector().unwrap_err();
    assert!(err.to_string().contains("v1 pipeline"), "{err}");
    let report = test.stop();
    assert!(report.is_lossless(), "{report:?}");
    let first = test.flusher_names()[0].clone();
    let out = test.flushed_by(&first).unwrap();
    assert_eq!(out.len(), 2);
    let logs = out.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0]["msg"], "a");
    assert_eq!(logs[0]["added"], "yes");
    assert!(!logs[0].contains_key("secret"));
    let metric = out
        .events()
        .into_iter()
        .find_map(|e| match e {
            PipelineEvent::Metric(m) => Some(m.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(metric.name, "m");
    // The global tags are merged into each V2 group's tags.
    assert!(out
        .groups
        .iter()
        .all(|g| g.group.tags.get("env").map(|v| v.as_str()) == Some("test")));
}

#[test]
fn a_metric_input_runs_exactly_one_round_per_virtual_interval() {
    let mut test = PipelineTest::from_yaml(
        r#"
global:
  AggregatIntervalMs: 1000
inputs:
  - Type: metric_mock
    IntervalMs: 1000
    Fields: { cpu: "0.5" }
flushers:
  - Type: flusher_stdout
"#,
    )
    .unwrap();
    let running = test.running().unwrap();
    assert_eq!(running.input_intervals()[0].1, SECOND);
    // Nothing yet: the first round comes one interval after the start.
    assert!(test.flushed().is_empty());
    test.advance(3 * SECOND);
    let logs = test.flushed().logs();
    let indexes: Vec<&str> = logs.iter().map(|l| l["Index"].as_str()).collect();
    assert_eq!(indexes, ["1", "2", "3"]);
    assert_eq!(logs[0]["cpu"], "0.5");
    test.advance(SECOND / 2);
    assert_eq!(test.flushed().len(), 3);
    test.advance(SECOND / 2);
    assert_eq!(test.flushed().len(), 4);
    assert_eq!(test.elapsed(), 4 * SECOND);
    let report = test.stop();
    assert_eq!(report.events_in, 4);
    assert!(report.is_lossless(), "{report:?}");
}

#[test]
fn an_aggregator_flushes_on_its_virtual_interval() {
    let test = PipelineTest::from_yaml(&fed("v1", 5000)).unwrap();
    test.feed_log(&[("msg", "a")]).unwrap();
    test.advance(Duration::from_millis(4999));
    assert!(test.flushed().is_empty(), "flushed before the interval");
    test.advance(Duration::from_millis(1));
    // Two flushers of one type: the type alone does not say which.
    let err = test.flushed_by("flusher_stdout").unwrap_err();
    assert!(matches!(err, PipelineTestError::NoFlusher { .. }), "{err}");
    let names = test.flusher_names();
    assert_eq!(test.flushed_by(&names[0]).unwrap().len(), 1);
    // Then every 5 s: what is fed in between waits for the next flush.
    test.feed_log(&[("msg", "b")]).unwrap();
    test.advance(Duration::from_secs(4));
    assert_eq!(test.flushed_by(&names[0]).unwrap().len(), 1);
    test.advance(SECOND);
    let logs = test.flushed_by(&names[0]).unwrap().logs();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[1]["msg"], "b");
}

#[test]
fn a_round_and_a_flush_at_the_same_time_flush_the_round() {
    // The input's round at 2 s and the aggregator's flush at 2 s: the round goes first.
    let test = PipelineTest::from_yaml(
        r#"
global:
  AggregatIntervalMs: 2000
inputs:
  - Type: metric_mock
    IntervalMs: 1000
flushers:
  - Type: flusher_stdout
"#,
    )
    .unwrap();
    for flushes in 1..=5 {
        test.advance(2 * SECOND);
        // Both rounds of the span are in, the one at the flush's own time included.
        assert_eq!(test.flushed().len(), 2 * flushes);
    }
}

#[test]
fn a_service_input_emits_on_its_virtual_interval() {
    let test = PipelineTest::from_yaml(
        r#"
global:
  AggregatIntervalMs: 1000
inputs:
  - Type: service_mock
    Interval: 1s
    Fields: { f: v }
flushers:
  - Type: flusher_stdout
"#,
    )
    .unwrap();
    // A round at start, then one per second.
    test.advance(SECOND);
    assert_eq!(test.flushed().len(), 2);
    test.advance(2 * SECOND);
    let logs = test.flushed().logs();
    let indexes: Vec<&str> = logs.iter().map(|l| l["Index"].as_str()).collect();
    assert_eq!(indexes, ["1", "2", "3", "4"]);
}

#[test]
fn a_yaml_error_is_the_loaders_error() {
    let err = PipelineTest::from_yaml(
        r#"
inputs:
  - Type: service_mock
    LogsPerSecnd: 1
flushers: []
"#,
    )
    .unwrap_err();
    let PipelineTestError::Config(errors) = &err else {
        panic!("not a config error: {err}");
    };
    let text = err.to_string();
    assert_eq!(text, errors.to_string());
    assert!(text.contains("pipeline_test.yaml"), "{text}");
    assert!(text.contains("no flushers"), "{text}");
    assert!(text.contains("LogsPerSecnd"), "{text}");
    // The same text `pipeplug check` / `run` would print for that file.
    let registry = pipeplug::registry::global().unwrap();
    let direct = pipeplug_agent::engine::load_str(
        "inputs:\n  - Type: service_mock\n    LogsPerSecnd: 1\nflushers: []\n",
        pipeplug_agent::pipeline_config::Format::Yaml,
        "pipeline_test.yaml",
        "pipeline_test",
        &registry,
    )
    .unwrap_err();
    assert_eq!(direct.to_string(), text);
}

#[test]
fn a_disabled_pipeline_is_said() {
    let err = PipelineTest::from_yaml(
        "enable: false\ninputs: [{Type: service_mock}]\nflushers: [{Type: flusher_stdout}]\n",
    )
    .unwrap_err();
    assert!(matches!(err, PipelineTestError::Disabled(_)), "{err}");
}

#[test]
fn a_v2_metric_input_runs_exactly_one_round_per_virtual_interval() {
    let mut test = PipelineTest::from_yaml(
        r#"
global:
  StructureType: v2
  AggregatIntervalMs: 1000
inputs:
  - Type: metric_mock
    IntervalMs: 500
flushers:
  - Type: flusher_stdout
"#,
    )
    .unwrap();
    test.advance(2 * SECOND);
    // Four rounds (0.5 s .. 2 s) of two metrics each; the aggregator merges the groups it
    // holds (same metadata and tags) and hands them on at 1 s and 2 s: two groups of four.
    let out = test.flushed();
    let sizes: Vec<usize> = out.groups.iter().map(|g| g.events.len()).collect();
    assert_eq!(sizes, [4, 4], "{:?}", out.groups);
    assert_eq!(out.len(), 8);
    let names: Vec<&str> = out.events().iter().map(|e| e.name()).collect();
    assert_eq!(
        names[..2],
        ["single_metrics_mock", "multi_values_metrics_mock"]
    );
    let report = test.stop();
    assert_eq!(report.events_in, 8);
    assert!(report.is_lossless(), "{report:?}");
}
