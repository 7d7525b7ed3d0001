//! `processor_add_fields`: fixed fields on every event, in V1 and V2.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::compat::*;
use pipeplug::models::Str;
use pipeplug::models::{LogValue, MetricType, PipelineEvent};
use pipeplug::testing::{create_log_event, create_logs, ProcessorHarness};
use pipeplug_plugins::ProcessorAddFields;

fn harness(config: &str) -> ProcessorHarness<ProcessorAddFields> {
    ProcessorHarness::from_yaml(config).unwrap()
}

fn pairs(log: &pipeplug::protocol::Log) -> Vec<(&str, &str)> {
    log.contents
        .iter()
        .map(|c| (c.key.as_str(), c.value.as_str()))
        .collect()
}

const FIELDS: &str = "Fields: {service: checkout, region: eu-1}";

#[test]
fn v1_appends_the_fields_in_config_order() {
    let mut h = harness(FIELDS);
    let out = h
        .process_v1(create_logs([vec![("a", "1")], vec![]]))
        .unwrap();
    assert_eq!(
        pairs(&out[0]),
        [("a", "1"), ("service", "checkout"), ("region", "eu-1")]
    );
    assert_eq!(
        pairs(&out[1]),
        [("service", "checkout"), ("region", "eu-1")]
    );
}

#[test]
fn v1_existing_keys_are_kept_or_skipped_with_ignore_if_exist() {
    let logs = create_logs([vec![("service", "cart")]]);
    // As iLogtail: the field is appended, the log then holds the key twice.
    let out = harness(FIELDS).process_v1(logs.clone()).unwrap();
    assert_eq!(
        pairs(&out[0]),
        [
            ("service", "cart"),
            ("service", "checkout"),
            ("region", "eu-1")
        ]
    );
    let mut h = harness(&format!("{FIELDS}\nIgnoreIfExist: true"));
    let out = h.process_v1(logs).unwrap();
    assert_eq!(pairs(&out[0]), [("service", "cart"), ("region", "eu-1")]);
}

#[test]
fn v2_adds_contents_to_logs_and_tags_to_metrics() {
    let mut h = harness("Fields: {service: checkout, __tag__:team: payments}");
    let metric = new_single_value_metric(
        "m",
        MetricType::Counter,
        new_tags_with_key_values(&["host", "a"]),
        1,
        1,
    );
    let bytes = new_byte_array(b"raw".to_vec());
    let out = h
        .process_events(vec![
            create_log_event([("service", "cart"), ("a", "1")]),
            metric.into(),
            bytes.clone().into(),
        ])
        .unwrap();
    assert_eq!(out.len(), 3);
    let PipelineEvent::Log(log) = &out[0] else {
        panic!("{out:?}")
    };
    // A present key takes the field's value in place (V2 contents are a map).
    let contents: Vec<_> = log.contents.iter().collect();
    assert_eq!(
        contents,
        [
            ("service", &LogValue::from("checkout")),
            ("a", &LogValue::from("1"))
        ]
    );
    assert_eq!(log.tags.get("team").map(|v| v.as_str()), Some("payments"));
    let labels: Vec<_> = out[1].tags().sorted();
    assert_eq!(
        labels,
        [
            ("host", &Str::from("a")),
            ("service", &Str::from("checkout")),
            ("team", &Str::from("payments"))
        ]
    );
    assert_eq!(out[2], PipelineEvent::ByteArray(bytes));
}

#[test]
fn v2_ignore_if_exist_leaves_present_keys_alone() {
    let mut h = harness(&format!("{FIELDS}\nIgnoreIfExist: true"));
    let metric = new_single_value_metric(
        "m",
        MetricType::Gauge,
        new_tags_with_key_values(&["region", "us-2"]),
        1,
        1,
    );
    let out = h
        .process_events(vec![create_log_event([("service", "cart")]), metric.into()])
        .unwrap();
    let PipelineEvent::Log(log) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(log.contents.get("service"), Some(&LogValue::from("cart")));
    assert_eq!(log.contents.get("region"), Some(&LogValue::from("eu-1")));
    assert_eq!(
        out[1].tags().get("region").map(|v| v.as_str()),
        Some("us-2")
    );
    assert_eq!(
        out[1].tags().get("service").map(|v| v.as_str()),
        Some("checkout")
    );
}

#[test]
fn config_errors_name_the_key() {
    let err = err("Fields: [a, b]");
    assert!(err.contains("key `Fields`"), "{err}");
    let err = self::err("Fields: {a: 1}\nIgnoreIfExist: maybe");
    assert!(err.contains("key `IgnoreIfExist`"), "{err}");
    // Non-string values are a type error, not silently turned into text.
    let err = self::err("Fields: {a: [1, 2]}");
    assert!(err.contains("key `Fields.a`"), "{err}");
}

fn err(config: &str) -> String {
    ProcessorHarness::<ProcessorAddFields>::from_yaml(config)
        .unwrap_err()
        .to_string()
}

#[test]
fn empty_fields_warn_and_pass_everything() {
    let mut h = harness("");
    let logs = create_logs([vec![("a", "1")]]);
    assert_eq!(h.process_v1(logs.clone()).unwrap(), logs);
    assert_eq!(
        h.mock().log_records_at_least(pipeplug::Level::Warn).len(),
        1
    );
}
