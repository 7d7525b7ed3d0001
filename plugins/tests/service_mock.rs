//! `service_mock`: rounds of logs at start and every interval, in virtual time.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::models::{LogValue, PipelineEvent};
use pipeplug::testing::ServiceInputHarness;
use pipeplug_plugins::ServiceMock;
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

fn harness(config: &str) -> ServiceInputHarness<ServiceMock> {
    ServiceInputHarness::from_yaml(config).unwrap()
}

fn indexes(logs: &[pipeplug::protocol::Log]) -> Vec<&str> {
    logs.iter().map(|l| l.get("Index").unwrap()).collect()
}

#[test]
fn v1_emits_a_round_at_start_and_every_interval() {
    let mut h = harness("Tags: {host: a}\nFields: {msg: hello}\nLogsPerSecond: 2");
    h.start_v1().unwrap();
    // Lets the thread run up to its first wait: the round emitted at start.
    h.advance(Duration::ZERO);
    assert_eq!(indexes(&h.logs()), ["1", "2"]);
    h.advance(SECOND * 2);
    h.stop().unwrap();
    let logs = h.logs();
    assert_eq!(indexes(&logs), ["1", "2", "3", "4", "5", "6"]);
    let pairs: Vec<_> = logs[0]
        .contents
        .iter()
        .map(|c| (c.key.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(pairs, [("host", "a"), ("msg", "hello"), ("Index", "1")]);
}

#[test]
fn max_log_count_stops_the_input_exactly() {
    let mut h = harness("LogsPerSecond: 3\nMaxLogCount: 7\nIndex: 100");
    h.start_v1().unwrap();
    h.advance(SECOND * 10);
    h.stop().unwrap();
    assert_eq!(
        indexes(&h.logs()),
        ["101", "102", "103", "104", "105", "106", "107"]
    );
}

#[test]
fn the_interval_is_configurable() {
    let mut h = harness("Interval: 5s");
    h.start_v1().unwrap();
    h.advance(Duration::from_secs(4));
    assert_eq!(h.logs().len(), 1, "only the round at start");
    h.advance(SECOND);
    assert_eq!(h.logs().len(), 2);
    h.stop().unwrap();
}

#[test]
fn v2_emits_log_events_with_the_tags_as_event_tags() {
    let mut h = harness("Tags: {host: a}\nFields: {msg: hello}");
    h.start_v2().unwrap();
    h.advance(SECOND);
    h.stop().unwrap();
    let groups = h.groups();
    assert_eq!(groups.len(), 2, "one group per round");
    let PipelineEvent::Log(log) = &groups[1].events[0] else {
        panic!("{groups:?}")
    };
    let contents: Vec<_> = log.contents.iter().collect();
    assert_eq!(
        contents,
        [
            ("msg", &LogValue::from("hello")),
            ("Index", &LogValue::from("2"))
        ]
    );
    assert_eq!(log.tags.get("host").unwrap(), "a");
    assert!(log.timestamp > 0, "timed by the pipeline's clock");
}

#[test]
fn file_becomes_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.txt");
    std::fs::write(&path, "a line from a file").unwrap();
    let config = serde_json::json!({ "File": path });
    let mut h = ServiceInputHarness::<ServiceMock>::from_config(&config).unwrap();
    h.start_v1().unwrap();
    h.advance(Duration::ZERO);
    h.stop().unwrap();
    assert_eq!(h.logs()[0].get("content"), Some("a line from a file"));
}

#[test]
fn an_unreadable_file_fails_init_naming_it() {
    let config = serde_json::json!({ "File": "/nonexistent/pipeplug/mock.txt" });
    let mut h = ServiceInputHarness::<ServiceMock>::from_config(&config).unwrap();
    let err = h.start_v1().unwrap_err().to_string();
    assert!(err.contains("cannot read `File`"), "{err}");
    assert!(err.contains("/nonexistent/pipeplug/mock.txt"), "{err}");
}

#[test]
fn defaults_and_config_errors() {
    let config = pipeplug::PluginConfig::to_config(harness("").plugin());
    assert_eq!(config["LogsPerSecond"], 1);
    assert_eq!(config["MaxLogCount"], 0);
    assert_eq!(config["Interval"], "1s");
    for (config, key) in [
        ("LogsPerSecond: many", "key `LogsPerSecond`"),
        ("Interval: 5 parsecs", "key `Interval`"),
        ("Fields: {a: {b: c}}", "key `Fields.a`"),
    ] {
        let err = ServiceInputHarness::<ServiceMock>::from_yaml(config)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{config}: {err}");
    }
}
