//! `processor_drop`: keys go, events stay, in V1 and V2.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::compat::*;
use pipeplug::models::{MetricType, PipelineEvent, SpanKind};
use pipeplug::testing::{create_log_event, create_logs, ProcessorHarness};
use pipeplug::Level;
use pipeplug_plugins::ProcessorDrop;

fn harness(config: &str) -> ProcessorHarness<ProcessorDrop> {
    ProcessorHarness::from_yaml(config).unwrap()
}

fn keys(log: &pipeplug::protocol::Log) -> Vec<&str> {
    log.contents.iter().map(|c| c.key.as_str()).collect()
}

#[test]
fn v1_drops_every_content_with_a_listed_key() {
    let mut h = harness("DropKeys: [secret, token]");
    let out = h
        .process_v1(create_logs([
            vec![("a", "1"), ("secret", "x"), ("b", "2"), ("secret", "y")],
            vec![("token", "t")],
            vec![("c", "3")],
        ]))
        .unwrap();
    assert_eq!(out.len(), 3, "no log is dropped, only keys");
    assert_eq!(keys(&out[0]), ["a", "b"]);
    assert!(out[1].contents.is_empty());
    assert_eq!(keys(&out[2]), ["c"]);
}

#[test]
fn v2_drops_log_contents_and_tags_and_metric_and_span_tags() {
    let mut h = harness(r#"{"DropKeys": ["secret", "__tag__:pod"]}"#);
    let mut log = create_log_event([("a", "1"), ("secret", "x")]);
    if let PipelineEvent::Log(l) = &mut log {
        l.tags.add("pod", "p-1");
        l.tags
            .add("secret", "stays: a log's tag is named `__tag__:secret`");
    }
    let tags = new_tags_with_key_values(&["secret", "s", "pod", "p", "host", "h"]);
    let metric = new_single_value_metric("m", MetricType::Gauge, tags.clone(), 1, 2.0);
    let span = new_span("s", "t", "i", SpanKind::Client, 1, 2, tags, vec![], vec![]);
    let bytes = new_byte_array(b"secret=1".to_vec());

    let out = h
        .process_events(vec![log, metric.into(), span.into(), bytes.clone().into()])
        .unwrap();

    assert_eq!(out.len(), 4, "every event passes: {out:?}");
    let PipelineEvent::Log(l) = &out[0] else {
        panic!("a log first: {out:?}")
    };
    assert_eq!(l.contents.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(l.tags.keys().collect::<Vec<_>>(), ["secret"]);
    for e in &out[1..3] {
        assert_eq!(
            e.tags().keys().collect::<Vec<_>>(),
            ["host"],
            "metric and span labels named by a key are dropped: {e:?}"
        );
    }
    assert_eq!(out[3], PipelineEvent::ByteArray(bytes));
}

#[test]
fn v2_keeps_the_group() {
    let mut h = harness("DropKeys: [a]");
    let mut group = pipeplug::testing::create_group(vec![create_log_event([("a", "1")])]);
    group.group.tags.add("env", "prod");
    group.group.metadata.add("source", "10.0.0.1");
    let out = h.process_v2(group.clone()).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].group, group.group);
}

#[test]
fn no_drop_keys_passes_everything_and_says_so() {
    let mut h = harness("");
    let logs = create_logs([vec![("a", "1")]]);
    assert_eq!(h.process_v1(logs.clone()).unwrap(), logs);
    let warnings = h.mock().log_records_at_least(Level::Warn);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].message.contains("`DropKeys` is empty"));
}

#[test]
fn config_errors_name_the_key() {
    let err = harness_err("DropKeys: secret");
    assert!(err.contains("key `DropKeys`"), "{err}");
    let err = harness_err("DropKey: [secret]");
    assert!(err.contains("did you mean `DropKeys`?"), "{err}");
    // iLogtail's configs match keys case-insensitively.
    let h = harness("dropkeys: [a]");
    assert_eq!(
        pipeplug::PluginConfig::to_config(h.plugin())["DropKeys"],
        serde_json::json!(["a"])
    );
}

fn harness_err(config: &str) -> String {
    ProcessorHarness::<ProcessorDrop>::from_yaml(config)
        .unwrap_err()
        .to_string()
}
