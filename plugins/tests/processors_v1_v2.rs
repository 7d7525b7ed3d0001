//! The built-in processors give the same logs in V1 and V2 pipelines: one config means the
//! same thing in both, tags included (`__tag__:name` in V1).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::convert::{v1_log_to_v2_with_tags, v2_log_to_v1};
use pipeplug::models::{GroupInfo, PipelineEvent, PipelineGroupEvents};
use pipeplug::protocol::Log;
use pipeplug::testing::{create_logs, ProcessorHarness};
use pipeplug_plugins::{ProcessorAddFields, ProcessorDrop, ProcessorRename};

/// The chain of `examples/processors.yaml`, plus tags.
const ADD: &str =
    "Fields: {service: checkout, region: eu-1, scratch: x, __tag__:team: pay}\nIgnoreIfExist: true";
const RENAME: &str =
    "SourceKeys: [host, __tag__:pod, level]\nDestKeys: [ip, pod_name, __tag__:severity]";
const DROP: &str = "DropKeys: [scratch, __tag__:trace]";

fn v1(logs: Vec<Log>) -> Vec<Log> {
    let logs = ProcessorHarness::<ProcessorAddFields>::from_yaml(ADD)
        .unwrap()
        .process_v1(logs)
        .unwrap();
    let logs = ProcessorHarness::<ProcessorRename>::from_yaml(RENAME)
        .unwrap()
        .process_v1(logs)
        .unwrap();
    ProcessorHarness::<ProcessorDrop>::from_yaml(DROP)
        .unwrap()
        .process_v1(logs)
        .unwrap()
}

fn v2(logs: &[Log]) -> Vec<Log> {
    let events = logs
        .iter()
        .map(|l| PipelineEvent::Log(v1_log_to_v2_with_tags(l)))
        .collect();
    let mut group = PipelineGroupEvents::new(GroupInfo::default(), events);
    group = only(
        ProcessorHarness::<ProcessorAddFields>::from_yaml(ADD)
            .unwrap()
            .process_v2(group)
            .unwrap(),
    );
    group = only(
        ProcessorHarness::<ProcessorRename>::from_yaml(RENAME)
            .unwrap()
            .process_v2(group)
            .unwrap(),
    );
    group = only(
        ProcessorHarness::<ProcessorDrop>::from_yaml(DROP)
            .unwrap()
            .process_v2(group)
            .unwrap(),
    );
    group
        .events
        .iter()
        .map(|e| match e {
            PipelineEvent::Log(l) => v2_log_to_v1(l),
            other => panic!("not a log: {other:?}"),
        })
        .collect()
}

fn only(mut groups: Vec<PipelineGroupEvents>) -> PipelineGroupEvents {
    assert_eq!(groups.len(), 1);
    groups.pop().unwrap()
}

/// A log's pairs, sorted: V2 keeps contents and tags apart, so the order of a renamed tag
/// may differ; the pairs may not.
fn sorted_pairs(log: &Log) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = log
        .contents
        .iter()
        .map(|c| (c.key.to_string(), c.value.to_string()))
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn v1_and_v2_agree() {
    let logs = create_logs([
        vec![
            ("host", "1.1.1.1"),
            ("level", "warn"),
            ("__tag__:pod", "p-1"),
            ("__tag__:trace", "t"),
        ],
        vec![("service", "cart"), ("__tag__:team", "ops")],
        vec![],
    ]);
    let by_v1 = v1(logs.clone());
    let by_v2 = v2(&logs);
    assert_eq!(by_v1.len(), 3);
    for (a, b) in by_v1.iter().zip(&by_v2) {
        assert_eq!(sorted_pairs(a), sorted_pairs(b));
    }
    // And what that is:
    let expected: Vec<(String, String)> = [
        ("__tag__:severity", "warn"),
        ("__tag__:team", "pay"),
        ("ip", "1.1.1.1"),
        ("pod_name", "p-1"),
        ("region", "eu-1"),
        ("service", "checkout"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(sorted_pairs(&by_v1[0]), expected);
    let second = sorted_pairs(&by_v1[1]);
    assert!(
        second.contains(&("service".to_owned(), "cart".to_owned())),
        "IgnoreIfExist"
    );
    assert!(
        second.contains(&("__tag__:team".to_owned(), "ops".to_owned())),
        "IgnoreIfExist, tags too"
    );
}
