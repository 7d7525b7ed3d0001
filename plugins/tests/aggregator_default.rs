//! `aggregator_default`: groups of at most `MaxLogCount`, the quick flush through the
//! queue, and V2 batching.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::compat::*;
use pipeplug::models::{MetricType, PipelineGroupEvents};
use pipeplug::plugin::AggregatorV2;
use pipeplug::protocol::LogGroup;
use pipeplug::testing::{
    create_group, create_log, create_log_event, mock_context, AggregatorHarness,
};
use pipeplug::{PipelineCollector, PipelineContext};
use pipeplug_plugins::AggregatorDefault;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn harness(config: &str) -> AggregatorHarness<AggregatorDefault> {
    AggregatorHarness::from_yaml(config).unwrap()
}

fn numbered(n: usize) -> impl Iterator<Item = pipeplug::protocol::Log> {
    (0..n).map(|i| create_log([("n", i.to_string())]))
}

/// The `n` of every log of the groups, in order.
fn ns(groups: &[LogGroup]) -> Vec<usize> {
    groups
        .iter()
        .flat_map(|g| &g.logs)
        .map(|l| l.get("n").unwrap().parse().unwrap())
        .collect()
}

#[test]
fn defaults_are_ilogtails() {
    let mut h = harness("");
    assert_eq!(
        h.init().unwrap(),
        Duration::from_secs(3),
        "global.AggregatIntervalMs"
    );
    let config = pipeplug::PluginConfig::to_config(h.plugin());
    assert_eq!(config["MaxLogCount"], 1024);
    assert_eq!(config["MaxLogGroupCount"], 4);
    assert_eq!(config["PackFlag"], false);
}

#[test]
fn v1_groups_hold_at_most_max_log_count_logs() {
    let mut h = harness("MaxLogCount: 1000");
    h.add_all_v1(numbered(2500)).unwrap();
    let groups = h.flush_v1().unwrap();
    let sizes: Vec<_> = groups.iter().map(|g| g.logs.len()).collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    assert_eq!(ns(&groups), (0..2500).collect::<Vec<_>>(), "order is kept");
    assert!(
        h.queued().is_empty(),
        "three groups fit under MaxLogGroupCount"
    );
    assert!(
        h.flush_v1().unwrap().is_empty(),
        "a flush forgets what it returned"
    );
}

#[test]
fn v1_full_groups_go_to_the_queue_ahead_of_the_flush() {
    let mut h = harness("MaxLogCount: 2\nMaxLogGroupCount: 2");
    h.add_all_v1(numbered(7)).unwrap();
    // Groups [0,1] [2,3] [4,5] [6]: two are held at most, the older ones were queued.
    let queued = h.queued();
    assert_eq!(ns(&queued), [0, 1, 2, 3]);
    let flushed = h.flush_v1().unwrap();
    assert_eq!(ns(&flushed), [4, 5, 6]);
}

#[test]
fn v1_a_full_queue_refuses_the_log_until_there_is_room() {
    let mut h = harness("MaxLogCount: 1\nMaxLogGroupCount: 1").with_queue_capacity(1);
    h.add_v1(create_log([("n", "0")])).unwrap();
    h.add_v1(create_log([("n", "1")])).unwrap(); // [0] goes to the queue
    let err = h.add_v1(create_log([("n", "2")])).unwrap_err().to_string();
    assert!(err.contains("log group queue is full"), "{err}");
    // The runner retries; once the queue is read, the log is taken. Nothing was lost.
    assert_eq!(ns(&h.queued()), [0]);
    h.add_v1(create_log([("n", "2")])).unwrap();
    assert_eq!(ns(&h.queued()), [1]);
    assert_eq!(ns(&h.flush_v1().unwrap()), [2]);
}

#[test]
fn v1_groups_carry_the_logstore_and_topic() {
    let mut h =
        harness("Topic: payments").with_mock(mock_context("project", "app_logs", "pipeline"));
    h.add_v1(create_log([("n", "0")])).unwrap();
    let groups = h.flush_v1().unwrap();
    assert_eq!(groups[0].category, "app_logs");
    assert_eq!(groups[0].topic, "payments");
    assert!(groups[0].log_tags.is_empty(), "no pack ID unless PackFlag");
}

#[test]
fn v1_pack_ids_count_up_with_one_prefix() {
    let mut h = harness("PackFlag: true\nMaxLogCount: 1");
    h.add_all_v1(numbered(3)).unwrap();
    let groups = h.flush_v1().unwrap();
    let ids: Vec<_> = groups
        .iter()
        .map(|g| {
            let tag = g.log_tags.last().unwrap();
            assert_eq!(tag.key, "__pack_id__");
            tag.value.clone()
        })
        .collect();
    let (prefix, _) = ids[0].split_once('-').unwrap();
    assert_eq!(prefix.len(), 16);
    assert!(prefix.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(ids, [0, 1, 2].map(|n| format!("{prefix}-{n:X}")));
}

#[test]
fn reset_drops_what_is_held() {
    let mut h = harness("");
    h.add_all_v1(numbered(3)).unwrap();
    h.record_v2(create_group(vec![create_log_event([("a", "1")])]))
        .unwrap();
    h.reset().unwrap();
    assert!(h.flush_v1().unwrap().is_empty());
    assert!(h.get_result_v2().unwrap().is_empty());
}

fn group_with_tag(value: &str, events: usize) -> PipelineGroupEvents {
    let mut g = create_group(
        (0..events)
            .map(|i| create_log_event([("n", i.to_string())]))
            .collect(),
    );
    g.group.tags.add("source", value);
    g
}

#[test]
fn v2_batches_groups_until_get_result() {
    let mut h = harness("");
    assert!(h.record_v2(group_with_tag("a", 2)).unwrap().is_empty());
    assert!(h.record_v2(group_with_tag("b", 1)).unwrap().is_empty());
    let metric = new_single_value_metric("m", MetricType::Gauge, Default::default(), 1, 1);
    let mut with_metric = group_with_tag("a", 0);
    with_metric.events.push(metric.into());
    assert!(h.record_v2(with_metric).unwrap().is_empty());

    let out = h.get_result_v2().unwrap();
    let shape: Vec<_> = out
        .iter()
        .map(|g| {
            (
                g.group.tags.get("source").unwrap().to_string(),
                g.events.len(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [("a".to_owned(), 3), ("b".to_owned(), 1)],
        "groups with equal metadata and tags merge; every event kind is kept"
    );
    assert!(h.get_result_v2().unwrap().is_empty());
}

#[test]
fn v2_a_full_batch_goes_on_at_once() {
    let mut h = harness("MaxLogCount: 3");
    h.init().unwrap();
    // The harness's collector merges equal groups (as a processor's does); the pipeline's
    // aggregator collector does not, so watch the batches through one like it.
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&sizes);
    let ctx = PipelineContext::new(PipelineCollector::from_sink(Arc::new(
        move |g: PipelineGroupEvents| seen.lock().unwrap().push(g.events.len()),
    )));
    let plugin = h.plugin_mut();
    plugin.record(group_with_tag("a", 7), &ctx).unwrap();
    assert_eq!(*sizes.lock().unwrap(), [3, 3], "two full batches, at once");
    plugin.get_result(&ctx).unwrap();
    assert_eq!(*sizes.lock().unwrap(), [3, 3, 1]);
}

#[test]
fn v2_the_oldest_batch_goes_on_past_max_log_group_count() {
    let mut h = harness("MaxLogGroupCount: 2");
    assert!(h.record_v2(group_with_tag("a", 1)).unwrap().is_empty());
    assert!(h.record_v2(group_with_tag("b", 1)).unwrap().is_empty());
    let early = h.record_v2(group_with_tag("c", 1)).unwrap();
    assert_eq!(early.len(), 1);
    assert_eq!(early[0].group.tags.get("source").unwrap(), "a");
    let rest: Vec<_> = h
        .get_result_v2()
        .unwrap()
        .iter()
        .map(|g| g.group.tags.get("source").unwrap().clone())
        .collect();
    assert_eq!(rest, ["b", "c"]);
}

#[test]
fn config_errors_name_the_key() {
    let err = AggregatorHarness::<AggregatorDefault>::from_yaml("MaxLogCount: -1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("key `MaxLogCount`"), "{err}");
}
