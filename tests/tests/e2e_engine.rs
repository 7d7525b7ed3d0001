//! End-to-end tests of the host's engine: pipelines of hand-registered test plugins
//! (`pipeplug_tests::testkit`) built from config text and run on real threads.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug::registry;
use pipeplug_agent::engine::{
    Engine, EngineOptions, Pipeline, RedbCheckpoints, StopReport, StopTimeouts,
};
use pipeplug_agent::pipeline_config::{self, Format};
use pipeplug_tests::testkit;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Builds the pipeline `name` from YAML `text`.
fn pipeline(name: &str, text: &str) -> Pipeline {
    testkit::register();
    let registry = registry::global().expect("no duplicate plugins");
    let cfg =
        pipeline_config::load_str(text, Format::Yaml, &format!("{name}.yaml"), name, &registry)
            .unwrap_or_else(|e| panic!("config of {name}:\n{e}"));
    Pipeline::build(cfg, &registry).unwrap_or_else(|e| panic!("pipeline {name}:\n{e}"))
}

fn options() -> EngineOptions {
    EngineOptions {
        data_dir: std::env::temp_dir(),
        timeouts: StopTimeouts {
            inputs: Duration::from_secs(5),
            drain: Duration::from_secs(10),
            flush: Duration::from_millis(300),
            stop: Duration::from_secs(5),
        },
        stall_grace: Duration::from_millis(100),
        ..EngineOptions::default()
    }
}

fn memory_engine() -> Engine {
    Engine::with_checkpoints(Arc::new(pipeplug::MemoryCheckpoints::new()), options())
}

/// Waits (up to 30 s) until `cond` holds.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `p` until `events` events went in, and stops it.
fn run_until_in(p: Pipeline, events: u64) -> StopReport {
    let mut engine = memory_engine();
    engine.start(p).expect("starts");
    wait_until("the events went in", || {
        engine.pipelines()[0].events_in() >= events
    });
    engine.stop().remove(0)
}

fn ns(kept: &[Value]) -> Vec<u64> {
    kept.iter()
        .map(|e| e["n"].as_str().and_then(|s| s.parse().ok()).expect("n"))
        .collect()
}

const OUTPUT: &str = r#"
global:
  StructureType: STRUCTURE
  Tags: { env: test }
inputs:
  - Type: service_counter
    Count: 5
processors:
  - Type: processor_tag
    Key: k
    Value: v
flushers:
  - Type: flusher_count
    Name: NAME
    Keep: true
"#;

fn expected_output(structure: &str) {
    let name = format!("output_{structure}");
    let text = OUTPUT
        .replace("STRUCTURE", structure)
        .replace("NAME", &name);
    let report = run_until_in(pipeline(&name, &text), 5);
    assert!(report.is_lossless(), "{report:?}");
    let kept = testkit::kept(&name);
    assert_eq!(ns(&kept), vec![0, 1, 2, 3, 4]);
    for e in &kept {
        assert_eq!(e["k"], "v", "{e}");
        assert_eq!(e["__tags__"]["env"], "test", "{e}");
    }
}

#[test]
fn a_v1_pipeline_gives_the_expected_output() {
    expected_output("v1");
}

#[test]
fn a_v2_pipeline_gives_the_expected_output() {
    expected_output("v2");
}

#[test]
fn the_internal_form_with_type_and_detail_runs_too() {
    let text = r#"{
      "inputs": [{"type": "service_counter/7", "detail": {"Count": 3}}],
      "flushers": [{"type": "flusher_count", "detail": {"Name": "internal_form"}}]
    }"#;
    testkit::register();
    let registry = registry::global().unwrap();
    let cfg = pipeline_config::load_str(text, Format::Json, "internal.json", "internal", &registry)
        .unwrap();
    assert_eq!(cfg.inputs[0].id, "7");
    assert_eq!(
        cfg.flushers[0].id, "8",
        "numbered after the last explicit ID"
    );
    let report = run_until_in(Pipeline::build(cfg, &registry).unwrap(), 3);
    assert!(report.is_lossless(), "{report:?}");
    assert_eq!(testkit::count("internal_form"), 3);
}

#[test]
fn a_metric_input_is_collected_on_its_interval() {
    let text = r"
global: { InputMaxFirstCollectDelayMs: 0 }
inputs:
  - Type: metric_counter
    PerCollect: 2
    IntervalMs: 10
aggregators:
  - Type: aggregator_default_is_not_needed_here
flushers:
  - Type: flusher_count
    Name: metric
";
    // No aggregator of that name: the config is rejected, naming it.
    testkit::register();
    let registry = registry::global().unwrap();
    let err = pipeline_config::load_str(text, Format::Yaml, "m.yaml", "m", &registry).unwrap_err();
    assert!(
        err.to_string()
            .contains("aggregators[0] (aggregator_default_is_not_needed_here): unknown aggregator"),
        "{err}"
    );

    let text = text.replace(
        "aggregators:\n  - Type: aggregator_default_is_not_needed_here\n",
        "",
    );
    let mut engine = memory_engine();
    engine.start(pipeline("metric", &text)).unwrap();
    // Three collections or more: the input is polled again and again.
    wait_until("three collections", || {
        engine.pipelines()[0].events_in() >= 6
    });
    let report = engine.stop().remove(0);
    assert!(report.is_lossless(), "{report:?}");
    assert_eq!(report.events_in % 2, 0, "whole collections");
}

fn never_ready_does_not_stall(structure: &str) {
    let name = format!("beside_never_ready_{structure}");
    let text = format!(
        r"
global: {{ StructureType: {structure}, DefaultLogGroupQueueSize: 2 }}
inputs:
  - Type: service_counter
    Count: 0
    Batch: 50
flushers:
  - Type: flusher_never_ready
    Delivery: {{ Policy: drop_newest }}
  - Type: flusher_count
    Name: {name}
"
    );
    let mut engine = memory_engine();
    engine.start(pipeline(&name, &text)).unwrap();
    // Far more than the never-ready flusher's queue holds.
    wait_until("the ready flusher got 50,000 events", || {
        testkit::count(&name) >= 50_000
    });
    let report = engine.stop().remove(0);
    let never = &report.flushers[0];
    let ready = &report.flushers[1];
    assert!(
        never.plugin.starts_with("flusher_never_ready"),
        "{report:?}"
    );
    assert_eq!(never.flushed, 0);
    assert!(never.drops.stalled > 0, "dropped while stalled: {report:?}");
    assert_eq!(never.dropped, report.events_in, "{report:?}");
    assert_eq!(ready.dropped, 0, "{report:?}");
    assert_eq!(
        ready.flushed, report.events_in,
        "the ready flusher got everything: {report:?}"
    );
}

#[test]
fn a_never_ready_drop_newest_flusher_does_not_stall_another_v1() {
    never_ready_does_not_stall("v1");
}

#[test]
fn a_never_ready_drop_newest_flusher_does_not_stall_another_v2() {
    never_ready_does_not_stall("v2");
}

fn panicking_processor(structure: &str) {
    let name = format!("after_panic_{structure}");
    let text = format!(
        r"
global: {{ StructureType: {structure} }}
inputs:
  - Type: service_counter
    Count: 0
    MarkEvery: 200
    Interval: 100us
processors:
  - Type: processor_panic
flushers:
  - Type: flusher_count
    Name: {name}
"
    );
    let mut engine = memory_engine();
    engine.start(pipeline(&name, &text)).unwrap();
    wait_until("two panics", || engine.pipelines()[0].panics() >= 2);
    let after = testkit::count(&name);
    wait_until("more events after the panics", || {
        testkit::count(&name) > after
    });
    let report = engine.stop().remove(0);
    assert!(
        report.panics >= 2,
        "the panics were caught and counted: {report:?}"
    );
    assert!(report.lost_in_panics > 0, "{report:?}");
    assert_eq!(
        report.flushers[0].flushed + report.lost_in_panics,
        report.events_in,
        "only the panicking batches were lost: {report:?}"
    );
}

#[test]
fn a_panicking_processor_is_reported_and_the_pipeline_goes_on_v1() {
    panicking_processor("v1");
}

#[test]
fn a_panicking_processor_is_reported_and_the_pipeline_goes_on_v2() {
    panicking_processor("v2");
}

fn clean_stop_loses_nothing(structure: &str, batch: u64) {
    let name = format!("clean_stop_{structure}");
    let text = format!(
        r"
global: {{ StructureType: {structure} }}
inputs:
  - Type: service_counter
    Count: 0
    Batch: {batch}
processors:
  - Type: processor_tag
    Key: k
    Value: v
flushers:
  - Type: flusher_count
    Name: {name}
"
    );
    // The input is still producing when the stop begins.
    let report = run_until_in(pipeline(&name, &text), 100_000);
    assert!(report.events_in >= 100_000);
    assert!(report.is_lossless(), "count in = count out: {report:?}");
    assert_eq!(testkit::count(&name), report.events_in);
}

#[test]
fn a_clean_stop_after_100_000_events_loses_none_v1() {
    clean_stop_loses_nothing("v1", 1);
}

#[test]
fn a_clean_stop_after_100_000_events_loses_none_v2() {
    clean_stop_loses_nothing("v2", 10);
}

#[test]
fn logs_a_v1_aggregator_refuses_are_retried_and_all_arrive_once_in_order() {
    let text = r"
inputs:
  - Type: service_counter
    Count: 100
aggregators:
  - Type: aggregator_refusing
    RefuseEvery: 10
flushers:
  - Type: flusher_count
    Name: refused_then_retried
    Keep: true
";
    let report = run_until_in(pipeline("refusing", text), 100);
    assert!(report.is_lossless(), "{report:?}");
    assert_eq!(
        ns(&testkit::kept("refused_then_retried")),
        (0..100).collect::<Vec<_>>(),
        "every refused log went in on a retry, once"
    );
}

#[test]
fn a_checkpoint_survives_a_restart_on_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    // A short aggregation interval: the single event is flushed soon (default: 3 s).
    let text = r"
global: { AggregatIntervalMs: 20 }
inputs:
  - Type: service_checkpoint
flushers:
  - Type: flusher_count
    Name: checkpoint_runs
    Keep: true
";
    for run in 1..=2 {
        let mut engine = Engine::open(EngineOptions {
            data_dir: dir.path().to_owned(),
            ..options()
        })
        .expect("opens the data dir");
        engine.start(pipeline("checkpointed", text)).unwrap();
        wait_until("the run was reported", || {
            testkit::count("checkpoint_runs") >= run
        });
        let report = engine.stop().remove(0);
        assert!(report.is_lossless(), "{report:?}");
    }
    let runs: Vec<Value> = testkit::kept("checkpoint_runs")
        .iter()
        .map(|e| e["run"].clone())
        .collect();
    assert_eq!(
        runs,
        vec!["1", "2"],
        "the second run read the first run's checkpoint"
    );
    let store = RedbCheckpoints::open(dir.path()).unwrap();
    let ctx = pipeplug::Context::builder()
        .config_name("checkpointed")
        .checkpoints(Arc::new(store))
        .build();
    assert_eq!(ctx.get_checkpoint_object::<u64>("runs").unwrap(), Some(2));
}

#[test]
fn a_disabled_pipeline_is_skipped_without_looking_at_its_plugins() {
    testkit::register();
    let registry = registry::global().unwrap();
    let cfg = pipeline_config::load_str(
        "enable: false\ninputs: [{Type: not_in_this_binary}]\n",
        Format::Yaml,
        "off.yaml",
        "off",
        &registry,
    )
    .unwrap();
    assert!(!cfg.enable);
}

#[test]
fn every_config_error_of_a_file_is_reported_at_once() {
    testkit::register();
    let registry = registry::global().unwrap();
    let text = r"
global: { StructureType: v9 }
inputs:
  - Type: service_countr
  - Type: service_counter
    Cont: 5
    Interval: soon
processors:
  - Type: processor_tag
    Key: [not, a, string]
flushers:
  - Type: flusher_count
";
    let cfg_err =
        pipeline_config::load_str(text, Format::Yaml, "bad.yaml", "bad", &registry).unwrap_err();
    let text_err = cfg_err.to_string();
    assert!(
        text_err.contains("unknown StructureType `v9`"),
        "{text_err}"
    );
    assert!(
        text_err.contains("bad.yaml: inputs[0] (service_countr): unknown input `service_countr`; did you mean `service_counter`?"),
        "{text_err}"
    );
    // Plugin parameters are decoded when the pipeline is built (what `check` does too).
    let text = text
        .replace("StructureType: v9", "StructureType: v1")
        .replace("  - Type: service_countr\n", "");
    let cfg = pipeline_config::load_str(&text, Format::Yaml, "bad.yaml", "bad", &registry).unwrap();
    let err = Pipeline::build(cfg, &registry).unwrap_err();
    let all = err.to_string();
    assert_eq!(err.errors.len(), 3, "{all}");
    assert!(
        all.contains(
            "bad.yaml: inputs[0] (service_counter): key `Cont`: unknown key, did you mean `Count`?"
        ),
        "{all}"
    );
    assert!(
        all.contains("bad.yaml: inputs[0] (service_counter): key `Interval`:"),
        "{all}"
    );
    assert!(
        all.contains("bad.yaml: processors[0] (processor_tag): key `Key`:"),
        "{all}"
    );
}
