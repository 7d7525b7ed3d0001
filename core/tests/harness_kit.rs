//! The mock context, the capture's two views, and the test-kit helpers.

use pipeplug::compat::*;
use pipeplug::prelude::*;
use pipeplug::testing::{
    create_log, create_logs, mock_context, pick_logs, read_log_val, Capture, Emission, MockContext,
};
use pipeplug::{GlobalConfig, Level};
use std::time::{Duration, UNIX_EPOCH};

#[test]
fn mock_context_identity_and_fixed_start_time() {
    let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mock = MockContext::builder()
        .project("p")
        .logstore("l")
        .config_name("c")
        .global(GlobalConfig {
            input_interval_ms: 250,
            ..GlobalConfig::default()
        })
        .start_time(start)
        .build();
    let ctx = mock.context();
    assert_eq!(
        (ctx.project(), ctx.logstore(), ctx.config_name()),
        ("p", "l", "c")
    );
    assert_eq!(ctx.global().input_interval_ms, 250);
    assert_eq!(ctx.clock().now(), start);
    mock.advance(Duration::from_millis(1500));
    assert_eq!(ctx.clock().now_secs(), 1_700_000_001);
    assert_eq!(mock.now(), start + Duration::from_millis(1500));
}

#[test]
fn log_records_alarms_metrics_and_checkpoints() {
    let mock = mock_context("p", "l", "c");
    let ctx = mock.context_for("processor_x");
    ctx.logger().info("hello");
    ctx.logger().warn("careful");
    ctx.logger().alarm("PARSE_LOG_FAIL_ALARM", "bad line");
    assert_eq!(mock.log_records().len(), 3);
    assert_eq!(mock.log_records()[0].plugin, "processor_x");
    assert_eq!(mock.log_records_at_least(Level::Warn).len(), 2);
    let alarms = mock.alarms();
    assert_eq!(alarms.len(), 1);
    assert_eq!(alarms[0].alarm.as_deref(), Some("PARSE_LOG_FAIL_ALARM"));

    ctx.counter("lines").add(2);
    ctx.counter_with_labels("lines", &[("file", "a")]).add(3);
    assert_eq!(mock.counter("lines"), Some(5));
    assert_eq!(mock.counter("nothing"), None);

    ctx.save_checkpoint("raw", b"bytes").unwrap();
    ctx.save_checkpoint_object("offset", &7_u64).unwrap();
    assert_eq!(mock.checkpoint::<u64>("offset"), Some(7));
    let keys: Vec<String> = mock
        .checkpoints()
        .entries()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["c^offset", "c^raw"]);
}

#[test]
fn v1_logs_seen_as_v2_move_tag_contents_into_tags() {
    let capture = Capture::new();
    let collector = capture.collector();
    collector.add_raw_log(Log::new(5, [("msg", "hi"), ("__tag__:host", "h1")]));
    let out = capture.emitted();
    assert!(matches!(out.emissions()[0], Emission::Log(_)));
    let events = out.events();
    let PipelineEvent::Log(log) = &events[0] else {
        panic!("not a log: {events:?}")
    };
    assert_eq!(log.tags.get("host").map(|v| v.as_str()), Some("h1"));
    assert_eq!(log.timestamp, 5_000_000_000);
    assert_eq!(out.logs()[0].get("__tag__:host"), Some("h1"));
    assert_eq!(out.log_contexts(), [None]);
}

#[test]
fn v2_groups_seen_as_v1_carry_group_tags() {
    let capture = Capture::new();
    let mut group = GroupInfo::default();
    group.tags.add("env", "test");
    let m = new_single_value_metric(
        "cpu",
        MetricType::Gauge,
        new_tags_with_key_values(&["core", "0"]),
        2_000_000_001,
        0.5,
    );
    capture
        .pipeline_context()
        .collector()
        .collect(group, vec![m.into()]);
    let logs = capture.emitted().logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].get("__name__"), Some("cpu"));
    assert_eq!(logs[0].get("__value__"), Some("0.5"));
    assert_eq!(logs[0].get("__tag__:env"), Some("test"));
    assert_eq!(capture.take().metrics().len(), 1);
    assert!(capture.emitted().is_empty());
}

#[test]
fn a_collector_times_logs_with_the_clock_it_is_given() {
    let mock = MockContext::builder()
        .start_time(UNIX_EPOCH + Duration::from_secs(100))
        .build();
    let capture = Capture::new();
    let collector = capture.collector_with_clock(mock.context().clock().clone());
    collector.add_data([("t", "1")], [("f", "2")], None);
    let logs = capture.emitted().logs();
    assert_eq!(logs[0].time, 100);
    assert_eq!(logs[0].contents.len(), 2);
}

#[test]
fn kit_helpers_follow_go_semantics() {
    let log = create_log([("a", "1")]);
    assert_eq!(log.time, 0);
    assert_eq!(read_log_val(&log, "a"), "1");
    assert_eq!(read_log_val(&log, "missing"), "");
    let logs = create_logs([[("k", "x")], [("k", "y")], [("k", "x")]]);
    assert_eq!(pick_logs(&logs, "k", "x").len(), 2);
    assert!(pick_logs(&logs, "k", "z").is_empty());
}
