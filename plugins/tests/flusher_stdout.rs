//! `flusher_stdout`: the exact lines, written to a `FileName` in a temporary folder.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::compat::*;
use pipeplug::models::{
    KeyValues, LogValue, MetricType, MetricValue, PipelineGroupEvents, SpanEvent, SpanKind,
    SpanLink,
};
use pipeplug::protocol::{Log, LogGroup, LogTag};
use pipeplug::testing::{create_log, FlusherHarness};
use pipeplug_plugins::FlusherStdout;
use std::path::{Path, PathBuf};

/// A flusher writing to `out.jsonl` in a fresh temporary folder, with `extra` config keys.
fn to_file(
    extra: serde_json::Value,
) -> (FlusherHarness<FlusherStdout>, tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let mut config = serde_json::json!({ "FileName": path });
    if let (Some(c), Some(e)) = (config.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    let h = FlusherHarness::<FlusherStdout>::from_config(&config).unwrap();
    (h, dir, path)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn v1_group() -> LogGroup {
    let mut with_ns = create_log([("msg", "hi \"there\"\n"), ("n", "2")]);
    with_ns.time = 1_700_000_001;
    with_ns.time_ns = Some(5);
    let mut plain = create_log([("host", "1.1.1.1"), ("host", "2.2.2.2")]);
    plain.time = 1_700_000_000;
    LogGroup {
        logs: vec![plain, with_ns],
        category: "app".to_owned(),
        topic: "t".to_owned(),
        log_tags: vec![LogTag::new("env", "prod")],
        ..LogGroup::default()
    }
}

#[test]
fn v1_writes_one_object_per_log_as_sls_shows_it() {
    let (mut h, _dir, path) = to_file(serde_json::json!({}));
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    assert_eq!(
        lines(&path),
        [
            r#"{"host":"1.1.1.1","host":"2.2.2.2","__tag__:env":"prod","__time__":"1700000000"}"#,
            r#"{"msg":"hi \"there\"\n","n":"2","__tag__:env":"prod","__time__":"1700000001","__time_ns_part__":"5"}"#,
        ]
    );
}

#[test]
fn v1_key_value_pairs_false_writes_the_log_structure() {
    let (mut h, _dir, path) = to_file(serde_json::json!({ "KeyValuePairs": false }));
    h.flush_v1(vec![v1_group()]).unwrap();
    assert_eq!(
        lines(&path)[0],
        r#"{"time":1700000000,"contents":[{"key":"host","value":"1.1.1.1"},{"key":"host","value":"2.2.2.2"}],"log_tags":[{"key":"env","value":"prod"}]}"#
    );
}

#[test]
fn tags_adds_a_line_describing_each_group() {
    let (mut h, _dir, path) = to_file(serde_json::json!({ "Tags": true }));
    h.flush_v1(vec![v1_group()]).unwrap();
    let mut group = new_group(
        new_metadata_with_key_values(&["source", "10.0.0.1"]),
        new_tags_with_key_values(&["env", "prod"]),
    );
    group.tags.add("zone", "z1");
    h.export_v2(vec![PipelineGroupEvents::new(group, vec![])])
        .unwrap();
    let lines = lines(&path);
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        r#"{"logGroup":{"topic":"t","logstore":"app","source":"","machineUUID":"","tags":{"env":"prod"},"logCount":2}}"#
    );
    assert_eq!(
        lines[3],
        r#"{"group":{"metadata":{"source":"10.0.0.1"},"tags":{"env":"prod","zone":"z1"},"eventCount":0}}"#
    );
}

#[test]
fn v2_writes_every_field_of_every_event_kind() {
    let (mut h, _dir, path) = to_file(serde_json::json!({}));
    let tags = new_tags_with_key_values(&["host", "a"]);
    let single = new_single_value_metric("cpu", MetricType::Gauge, tags.clone(), 7, 0.5);
    let mut values = KeyValues::new();
    values.add("count", 3.0);
    values.add("sum", f64::NAN);
    let mut typed = KeyValues::new();
    typed.add("ok", serde_json::json!(true));
    let mut multi = new_metric_with_typed_values(
        "req",
        MetricType::Summary,
        Default::default(),
        8,
        MetricValue::Multi(values),
        typed,
    );
    multi.unit = "ms".into();
    let mut log = new_simple_log("body", tags.clone(), 9);
    log.level = "INFO".into();
    log.offset = 12;
    log.contents.add("n", LogValue::Int(-1));
    log.contents.add("x", LogValue::Float(1.5));
    log.contents.add("b", LogValue::Bool(false));
    log.contents
        .add("raw", LogValue::Bytes(b"by\ttes".to_vec()));
    let mut span = new_span(
        "GET /",
        "t1",
        "s1",
        SpanKind::Server,
        10,
        20,
        tags,
        vec![SpanEvent {
            timestamp: 15,
            name: "retry".to_owned(),
            tags: Default::default(),
        }],
        vec![SpanLink {
            trace_id: "t0".to_owned(),
            span_id: "s0".to_owned(),
            ..SpanLink::default()
        }],
    );
    span.observed_timestamp = 11;
    let group = PipelineGroupEvents::new(
        new_group(
            Default::default(),
            new_tags_with_key_values(&["env", "prod"]),
        ),
        vec![
            single.into(),
            multi.into(),
            log.into(),
            span.into(),
            new_byte_array(b"raw \x01".to_vec()).into(),
        ],
    );
    h.export_v2(vec![group]).unwrap();
    assert_eq!(
        lines(&path),
        [
            r#"{"eventType":"metric","name":"cpu","timestamp":7,"observedTimestamp":0,"tags":{"host":"a"},"groupTags":{"env":"prod"},"metricType":"Gauge","value":0.5}"#,
            r#"{"eventType":"metric","name":"req","timestamp":8,"observedTimestamp":0,"tags":{},"groupTags":{"env":"prod"},"metricType":"Summary","values":{"count":3.0,"sum":"NaN"},"typedValues":{"ok":true},"unit":"ms"}"#,
            r#"{"eventType":"log","name":"","timestamp":9,"observedTimestamp":0,"tags":{"host":"a"},"groupTags":{"env":"prod"},"level":"INFO","traceID":"","spanID":"","offset":12,"contents":{"content":"body","n":-1,"x":1.5,"b":false,"raw":"by\ttes"}}"#,
            r#"{"eventType":"span","name":"GET /","timestamp":10,"observedTimestamp":11,"tags":{"host":"a"},"groupTags":{"env":"prod"},"traceID":"t1","spanID":"s1","parentSpanID":"","traceState":"","kind":"Server","status":"Unset","startTime":10,"endTime":20,"links":[{"traceID":"t0","spanID":"s0","traceState":"","tags":{}}],"events":[{"name":"retry","timestamp":15,"tags":{}}]}"#,
            r#"{"eventType":"byteArray","name":"","timestamp":0,"observedTimestamp":0,"tags":{},"groupTags":{"env":"prod"},"byteArray":"raw \u0001"}"#,
        ]
    );
}

#[test]
fn every_line_parses_back_with_its_text() {
    let (mut h, _dir, path) = to_file(serde_json::json!({}));
    let awkward = "quote\" backslash\\ nul\0 bell\x07 unicode é ☃ \u{2028}";
    let mut log = create_log([(awkward, awkward)]);
    log.time = 1;
    h.flush_v1(vec![LogGroup {
        logs: vec![log],
        log_tags: vec![LogTag::new(awkward, awkward)],
        ..LogGroup::default()
    }])
    .unwrap();
    let line = &lines(&path)[0];
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(value[awkward], awkward);
    assert_eq!(value[format!("__tag__:{awkward}")], awkward);
    for x in [0.1, -2.5e-300, 1e300, f64::MAX, 3.0] {
        let metric = new_single_value_metric("m", MetricType::Gauge, Default::default(), 0, x);
        h.export_v2(vec![PipelineGroupEvents::new(
            Default::default(),
            vec![metric.into()],
        )])
        .unwrap();
        let line = lines(&path).pop().unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["value"].as_f64(), Some(x), "{line}");
    }
}

#[test]
fn the_file_is_appended_to() {
    let (mut h, _dir, path) = to_file(serde_json::json!({}));
    std::fs::write(&path, "earlier\n").unwrap();
    h.flush_v1(vec![LogGroup {
        logs: vec![create_log([("a", "1")])],
        ..LogGroup::default()
    }])
    .unwrap();
    h.flush_v1(vec![LogGroup {
        logs: vec![create_log([("a", "2")])],
        ..LogGroup::default()
    }])
    .unwrap();
    h.stop().unwrap();
    assert_eq!(
        lines(&path),
        [
            "earlier",
            r#"{"a":"1","__time__":"0"}"#,
            r#"{"a":"2","__time__":"0"}"#
        ]
    );
}

#[test]
fn max_size_rolls_the_file() {
    let (mut h, _dir, path) = to_file(serde_json::json!({ "MaxSize": 40, "MaxRolls": 2 }));
    for i in 0..4 {
        h.flush_v1(vec![LogGroup {
            logs: vec![create_log([("n", i.to_string())])],
            ..LogGroup::default()
        }])
        .unwrap();
    }
    // Each line is 24 bytes: one fits under 40, the next rolls the file.
    let rolled = |n: u32| PathBuf::from(format!("{}.{n}", path.display()));
    assert_eq!(lines(&path), [r#"{"n":"3","__time__":"0"}"#]);
    assert_eq!(lines(&rolled(1)), [r#"{"n":"2","__time__":"0"}"#]);
    assert_eq!(lines(&rolled(2)), [r#"{"n":"1","__time__":"0"}"#]);
    assert!(!rolled(3).exists(), "MaxRolls old files at most");
}

#[test]
fn only_stdout_wins_over_file_name() {
    let (mut h, _dir, path) = to_file(serde_json::json!({ "OnlyStdout": true }));
    h.flush_v1(vec![]).unwrap();
    h.stop().unwrap();
    assert!(!path.exists());
}

#[test]
fn a_file_that_cannot_be_opened_fails_init_naming_it() {
    let config = serde_json::json!({ "FileName": "/nonexistent/pipeplug/out.jsonl" });
    let mut h = FlusherHarness::<FlusherStdout>::from_config(&config).unwrap();
    let err = h.init().unwrap_err().to_string();
    assert!(err.contains("key `FileName`"), "{err}");
    assert!(err.contains("/nonexistent/pipeplug/out.jsonl"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_is_an_error_not_a_panic() {
    // Every write to /dev/full fails with "no space left on device".
    let config = serde_json::json!({ "FileName": "/dev/full" });
    let mut h = FlusherHarness::<FlusherStdout>::from_config(&config).unwrap();
    let err = h
        .flush_v1(vec![LogGroup {
            logs: vec![Log::default()],
            ..LogGroup::default()
        }])
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot write to `/dev/full`"), "{err}");
    assert_eq!(h.errors().len(), 1);
}

#[test]
fn config_errors_name_the_key() {
    for (config, key) in [
        ("FileName: [a]", "key `FileName`"),
        ("OnlyStdout: yes please", "key `OnlyStdout`"),
        ("MaxSize: -1", "key `MaxSize`"),
    ] {
        let err = FlusherHarness::<FlusherStdout>::from_yaml(config)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{config}: {err}");
    }
}
