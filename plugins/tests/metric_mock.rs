//! `metric_mock`: one record per collection, counting up, in V1 and V2.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::models::{MetricType, MetricValue};
use pipeplug::testing::MetricInputHarness;
use pipeplug_plugins::MetricMock;
use std::time::{Duration, UNIX_EPOCH};

const CONFIG: &str = r#"
Tags: {host: a, zone: z1}
Fields: {service: checkout, ratio: 0.5, ok: true}
"#;

fn harness(config: &str) -> MetricInputHarness<MetricMock> {
    MetricInputHarness::from_yaml(config).unwrap()
}

fn pairs(log: &pipeplug::protocol::Log) -> Vec<(&str, &str)> {
    log.contents
        .iter()
        .map(|c| (c.key.as_str(), c.value.as_str()))
        .collect()
}

#[test]
fn v1_emits_one_log_per_collection_with_a_rising_index() {
    let mut h = harness(CONFIG);
    let start = h.mock().now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let logs = h.collect_v1(3).unwrap().logs();
    assert_eq!(logs.len(), 3);
    for (i, log) in logs.iter().enumerate() {
        let index = (i + 1).to_string();
        assert_eq!(
            pairs(log),
            [
                ("host", "a"),
                ("zone", "z1"),
                ("Index", index.as_str()),
                ("service", "checkout"),
                ("ratio", "0.5"),
                ("ok", "true"),
            ]
        );
        // Timed by the pipeline's clock: one interval (1 s by default) apart.
        assert_eq!(u64::from(log.time), start + i as u64);
    }
}

#[test]
fn the_index_starts_after_the_configured_one() {
    let mut h = harness("Index: 41");
    let logs = h.collect_v1(2).unwrap().logs();
    assert_eq!(logs[0].get("Index"), Some("42"));
    assert_eq!(logs[1].get("Index"), Some("43"));
}

#[test]
fn v1_prometheus_pattern_emits_the_metric_in_v1_form() {
    let mut h = harness(&format!("{CONFIG}\nOpenPrometheusPattern: true"));
    let start = h
        .mock()
        .now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let logs = h.collect_v1(2).unwrap().logs();
    assert_eq!(logs.len(), 2);
    assert_eq!(
        pairs(&logs[1]),
        [
            ("__name__", "metrics_mock"),
            (
                "__time_nano__",
                (start + 1_000_000_000).to_string().as_str()
            ),
            (
                "__labels__",
                "host#$#a|ok#$#true|ratio#$#0.5|service#$#checkout|zone#$#z1"
            ),
            ("__value__", "2"),
        ]
    );
}

#[test]
fn v2_emits_a_counter_and_a_multi_value_metric_per_collection() {
    let mut h = harness(&format!(
        "{CONFIG}\nGroupMeta: {{source: mock}}\nGroupTags: {{env: test}}"
    ));
    let out = h.read_v2(2).unwrap();
    let groups = out.groups();
    assert_eq!(groups.len(), 2, "one group per collection");
    let group = &groups[1];
    assert_eq!(group.group.metadata.get("source").unwrap(), "mock");
    assert_eq!(group.group.tags.get("env").unwrap(), "test");

    let metrics = out.metrics();
    assert_eq!(metrics.len(), 4);
    let (single, multi) = (&metrics[2], &metrics[3]);
    assert_eq!(single.name, "single_metrics_mock");
    assert_eq!(single.metric_type, MetricType::Counter);
    assert_eq!(single.single_value(), Some(2.0));
    assert_eq!(single.tags.get("host").unwrap(), "a");
    assert_eq!(single.tags.len(), 2);

    assert_eq!(multi.name, "multi_values_metrics_mock");
    assert_eq!(multi.metric_type, MetricType::Untyped);
    assert_eq!(multi.tags, single.tags);
    assert_eq!(multi.timestamp, single.timestamp);
    let MetricValue::Multi(values) = &multi.value else {
        panic!("{multi:?}")
    };
    let values: Vec<_> = values.iter().collect();
    assert_eq!(values, [("Index", &2.0), ("ratio", &0.5)]);
    let typed: Vec<_> = multi.typed_values.iter().collect();
    assert_eq!(
        typed,
        [
            ("service", &serde_json::json!("checkout")),
            ("ok", &serde_json::json!(true))
        ]
    );
}

#[test]
fn interval_ms_sets_the_interval() {
    let mut h = harness("IntervalMs: 250");
    assert_eq!(h.init().unwrap(), Duration::from_millis(250));
    let mut h = harness("");
    assert_eq!(
        h.init().unwrap(),
        Duration::from_secs(1),
        "global.InputIntervalMs"
    );
}

#[test]
fn config_errors_name_the_key() {
    for (config, key) in [
        ("Index: ten", "key `Index`"),
        ("Tags: {a: [1]}", "key `Tags.a`"),
        ("OpenPrometheusPattern: 3", "key `OpenPrometheusPattern`"),
        ("IntervalMs: soon", "key `IntervalMs`"),
    ] {
        let err = MetricInputHarness::<MetricMock>::from_yaml(config)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{config}: {err}");
    }
}
