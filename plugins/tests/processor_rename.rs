//! `processor_rename`: keys renamed in place, in V1 and V2; bad key lists rejected when the
//! config is decoded (so `pipeplug check` reports them).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::compat::*;
use pipeplug::models::Str;
use pipeplug::models::{LogValue, MetricType, PipelineEvent};
use pipeplug::testing::{create_log_event, create_logs, ProcessorHarness};
use pipeplug_plugins::ProcessorRename;

fn harness(config: &str) -> ProcessorHarness<ProcessorRename> {
    ProcessorHarness::from_yaml(config).unwrap()
}

fn pairs(log: &pipeplug::protocol::Log) -> Vec<(&str, &str)> {
    log.contents
        .iter()
        .map(|c| (c.key.as_str(), c.value.as_str()))
        .collect()
}

/// The error decoding `config` gives (what `pipeplug check` prints for it).
fn config_error(config: &str) -> String {
    ProcessorHarness::<ProcessorRename>::from_yaml(config)
        .unwrap_err()
        .to_string()
}

#[test]
fn mismatched_lengths_are_a_config_error_naming_both_keys() {
    let err = config_error("SourceKeys: [a, b]\nDestKeys: [c]");
    assert!(err.contains("processor_rename"), "{err}");
    assert!(
        err.contains("`SourceKeys` has 2 key(s) (`a`, `b`)"),
        "{err}"
    );
    assert!(err.contains("`DestKeys` has 1 (`c`)"), "{err}");
    assert!(err.contains("key `DestKeys`"), "{err}");
    let err = config_error("SourceKeys: [a]");
    assert!(err.contains("`DestKeys` has 0 (none)"), "{err}");
}

#[test]
fn a_source_key_given_twice_is_a_config_error() {
    let err = config_error("SourceKeys: [a, b, a]\nDestKeys: [x, y, z]");
    assert!(err.contains("key `SourceKeys[2]`"), "{err}");
    assert!(err.contains("`a` is also `SourceKeys[0]`"), "{err}");
}

#[test]
fn key_lists_of_the_wrong_type_are_config_errors() {
    let err = ProcessorHarness::<ProcessorRename>::from_yaml("SourceKeys: a\nDestKeys: [b]")
        .unwrap_err()
        .to_string();
    assert!(err.contains("key `SourceKeys`"), "{err}");
    let err = ProcessorHarness::<ProcessorRename>::from_yaml("SourceKeys: [a]\nDestKeys: [1]")
        .unwrap_err()
        .to_string();
    assert!(err.contains("key `DestKeys[0]`"), "{err}");
}

#[test]
fn v1_renames_in_place() {
    let mut h = harness("SourceKeys: [host, a]\nDestKeys: [ip, a]");
    let out = h
        .process_v1(create_logs([vec![
            ("x", "0"),
            ("host", "1.1.1.1"),
            ("y", "2"),
        ]]))
        .unwrap();
    assert_eq!(pairs(&out[0]), [("x", "0"), ("ip", "1.1.1.1"), ("y", "2")]);
}

#[test]
fn v1_renames_are_simultaneous_and_replace_the_destination() {
    // a and b swap; c lands on d, whose old value goes.
    let mut h = harness("SourceKeys: [a, b, c]\nDestKeys: [b, a, d]");
    let out = h
        .process_v1(create_logs([vec![
            ("d", "old"),
            ("a", "1"),
            ("b", "2"),
            ("c", "3"),
        ]]))
        .unwrap();
    assert_eq!(pairs(&out[0]), [("b", "1"), ("a", "2"), ("d", "3")]);
}

#[test]
fn v1_no_key_error_warns_once_per_batch() {
    let mut h = harness("SourceKeys: [host, port]\nDestKeys: [ip, p]\nNoKeyError: true");
    h.process_v1(create_logs([
        vec![("host", "a")],
        vec![("other", "b")],
        vec![("host", "c"), ("port", "1")],
    ]))
    .unwrap();
    let alarms = h.mock().alarms();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0].alarm.as_deref(), Some("RENAME_FIND_ALARM"));
    assert_eq!(
        alarms[0].message,
        "cannot find key `host` (missing in 1 of 3 logs), `port` (missing in 2 of 3 logs)"
    );
    // Without NoKeyError, nothing is said.
    let mut h = harness("SourceKeys: [host]\nDestKeys: [ip]");
    h.process_v1(create_logs([vec![("other", "b")]])).unwrap();
    assert!(h.mock().alarms().is_empty());
}

#[test]
fn v2_renames_log_contents_in_place_and_moves_tags() {
    let mut h = harness(
        "SourceKeys: [host, __tag__:pod, level]\nDestKeys: [ip, pod_name, __tag__:severity]",
    );
    let mut event = create_log_event([("x", "0"), ("host", "1.1.1.1"), ("level", "warn")]);
    if let PipelineEvent::Log(l) = &mut event {
        l.tags.add("pod", "p-1");
        l.tags.add("env", "prod");
    }
    let out = h.process_events(vec![event]).unwrap();
    let PipelineEvent::Log(log) = &out[0] else {
        panic!("{out:?}")
    };
    let contents: Vec<_> = log.contents.iter().collect();
    assert_eq!(
        contents,
        [
            ("x", &LogValue::from("0")),
            ("ip", &LogValue::from("1.1.1.1")),
            ("pod_name", &LogValue::from("p-1")),
        ]
    );
    let tags: Vec<_> = log.tags.iter().collect();
    assert_eq!(
        tags,
        [
            ("severity", &Str::from("warn")),
            ("env", &Str::from("prod"))
        ]
    );
}

#[test]
fn v2_renames_metric_labels_and_passes_byte_arrays() {
    let mut h = harness("SourceKeys: [host]\nDestKeys: [instance]");
    let metric = new_single_value_metric(
        "up",
        MetricType::Gauge,
        new_tags_with_key_values(&["job", "j", "host", "h"]),
        1,
        1,
    );
    let bytes = new_byte_array(b"host".to_vec());
    let out = h
        .process_events(vec![metric.into(), bytes.clone().into()])
        .unwrap();
    assert_eq!(
        out[0].tags().keys().collect::<Vec<_>>(),
        ["job", "instance"]
    );
    assert_eq!(out[1], PipelineEvent::ByteArray(bytes));
}

#[test]
fn v2_no_key_error_counts_events_without_the_key() {
    let mut h = harness("SourceKeys: [host]\nDestKeys: [ip]\nNoKeyError: true");
    let metric = new_single_value_metric("m", MetricType::Gauge, Default::default(), 1, 1);
    h.process_events(vec![create_log_event([("host", "a")]), metric.into()])
        .unwrap();
    let alarms = h.mock().alarms();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(
        alarms[0].message,
        "cannot find key `host` (missing in 1 of 2 events)"
    );
}
