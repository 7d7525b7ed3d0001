//! End-to-end tests of the host with the real plugins: the built-ins (`pipeplug_plugins`) and
//! the workspace's example plugin (`example_plugin`), in V1 and V2 pipelines built from YAML configs, writing JSON
//! lines to a file through `flusher_stdout`; each line is checked whole.
//!
//! What varies from run to run (a log's time, an event's timestamp) is checked to be within
//! the test's run, then replaced by `T` before the comparison.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug::registry;
use pipeplug_agent::engine::{Engine, EngineOptions, Pipeline, StopReport, StopTimeouts};
use pipeplug_agent::pipeline_config::{self, Format};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pipeplug::link!(pipeplug_plugins::all, example_plugin::all);

fn now_ns() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    )
    .unwrap()
}

/// Runs the pipeline of YAML `text` (its `FILE` replaced by a file in a fresh temporary
/// folder) until at least `events` events went in, stops it, and returns the stop report and
/// the lines written to the file, with times normalised (see [`normalise`]).
fn run(name: &str, text: &str, events: u64) -> (StopReport, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.jsonl");
    let text = text.replace("FILE", &file.to_string_lossy());
    let registry = registry::global().expect("no duplicate plugins");
    let cfg = pipeline_config::load_str(
        &text,
        Format::Yaml,
        &format!("{name}.yaml"),
        name,
        &registry,
    )
    .unwrap_or_else(|e| panic!("config of {name}:\n{e}"));
    let pipeline =
        Pipeline::build(cfg, &registry).unwrap_or_else(|e| panic!("pipeline {name}:\n{e}"));
    let mut engine = Engine::with_checkpoints(
        Arc::new(pipeplug::MemoryCheckpoints::new()),
        EngineOptions {
            data_dir: dir.path().to_owned(),
            timeouts: StopTimeouts {
                inputs: Duration::from_secs(5),
                drain: Duration::from_secs(10),
                flush: Duration::from_secs(5),
                stop: Duration::from_secs(5),
            },
            stall_grace: Duration::from_secs(1),
            ..EngineOptions::default()
        },
    );
    let start = now_ns();
    engine.start(pipeline).expect("starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.pipelines()[0].events_in() < events {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {events} events"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let report = engine.stop().remove(0);
    let end = now_ns();
    let lines = read_lines(&file)
        .iter()
        .map(|l| normalise(l, start, end))
        .collect();
    (report, lines)
}

fn read_lines(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "whole lines: {text:?}"
    );
    text.lines().map(str::to_owned).collect()
}

/// Replaces the value of `"__time__"` (V1, Unix seconds as text) or `"timestamp"` (V2, Unix
/// nanoseconds) by `T`, after checking it falls within `[start, end]`.
fn normalise(line: &str, start: u64, end: u64) -> String {
    let v1 = "\"__time__\":\"";
    let v2 = "\"timestamp\":";
    let (at, key, quoted) = if let Some(at) = line.find(v1) {
        (at, v1, true)
    } else if let Some(at) = line.find(v2) {
        (at, v2, false)
    } else {
        return line.to_owned();
    };
    let from = at + key.len();
    let len = line[from..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(line.len() - from);
    let value: u64 = line[from..from + len]
        .parse()
        .unwrap_or_else(|_| panic!("a number at {key} in {line}"));
    let (lo, hi) = if quoted {
        (start / 1_000_000_000, end / 1_000_000_000)
    } else {
        (start, end)
    };
    assert!(
        (lo..=hi).contains(&value),
        "{key} {value} is not within the run ({lo}..={hi}): {line}"
    );
    format!("{}T{}", &line[..from], &line[from + len..])
}

fn assert_lines(lines: &[String], expected: &[String]) {
    assert_eq!(
        lines.len(),
        expected.len(),
        "line count:\n{}",
        lines.join("\n")
    );
    for (i, (got, want)) in lines.iter().zip(expected).enumerate() {
        assert_eq!(got, want, "line {}", i + 1);
    }
}

/// service_mock → add_fields → rename → drop → aggregator_default (groups of 2) →
/// flusher_stdout with a line per group; STRUCTURE is v1 or v2. The aggregation interval is
/// long, so that the groups are made by `MaxLogCount` and the stop alone.
const BUILT_INS: &str = r"
global:
  StructureType: STRUCTURE
  Tags: { env: test }
  AggregatIntervalMs: 60000
inputs:
  - Type: service_mock
    Tags: { dc: eu }
    Fields: { host: 1.1.1.1, msg: hello }
    LogsPerSecond: 5
    MaxLogCount: 5
processors:
  - Type: processor_add_fields
    Fields: { service: checkout, scratch: x, '__tag__:team': core }
  - Type: processor_rename
    SourceKeys: [host, '__tag__:dc']
    DestKeys: [ip, '__tag__:datacenter']
  - Type: processor_drop
    DropKeys: [scratch]
aggregators:
  - Type: aggregator_default
    MaxLogCount: 2
    Topic: checkout-logs
flushers:
  - Type: flusher_stdout
    FileName: FILE
    Tags: true
";

#[test]
fn a_v1_pipeline_of_built_ins_writes_the_expected_lines() {
    let (report, lines) = run("built_ins_v1", &BUILT_INS.replace("STRUCTURE", "v1"), 5);
    assert!(report.is_lossless(), "{report:?}");
    assert_eq!(report.events_in, 5);
    // V1: the mock's tags are contents before its fields; every field is appended in config
    // order (`__tag__:team` too: V1 logs have no tags of their own); `__tag__:dc` is not a
    // content, so only `host` is renamed, in place; the pipeline's tags are the group's.
    let group = |n: usize| {
        format!(
            r#"{{"logGroup":{{"topic":"checkout-logs","logstore":"","source":"","machineUUID":"","tags":{{"env":"test"}},"logCount":{n}}}}}"#
        )
    };
    let log = |i: usize| {
        format!(
            r#"{{"dc":"eu","ip":"1.1.1.1","msg":"hello","Index":"{i}","service":"checkout","__tag__:team":"core","__tag__:env":"test","__time__":"T"}}"#
        )
    };
    let expected = vec![
        group(2),
        log(1),
        log(2),
        group(2),
        log(3),
        log(4),
        group(1),
        log(5),
    ];
    assert_lines(&lines, &expected);
}

#[test]
fn a_v2_pipeline_of_built_ins_writes_the_expected_lines() {
    let (report, lines) = run("built_ins_v2", &BUILT_INS.replace("STRUCTURE", "v2"), 5);
    assert!(report.is_lossless(), "{report:?}");
    assert_eq!(report.events_in, 5);
    // V2: the mock's tags are event tags; `__tag__:team` adds a tag, `__tag__:dc` renames
    // one in place; the pipeline's tags join the group's tags.
    let group = |n: usize| {
        format!(r#"{{"group":{{"metadata":{{}},"tags":{{"env":"test"}},"eventCount":{n}}}}}"#)
    };
    let event = |i: usize| {
        format!(
            r#"{{"eventType":"log","name":"","timestamp":T,"observedTimestamp":0,"tags":{{"datacenter":"eu","team":"core"}},"groupTags":{{"env":"test"}},"level":"","traceID":"","spanID":"","offset":0,"contents":{{"ip":"1.1.1.1","msg":"hello","Index":"{i}","service":"checkout"}}}}"#
        )
    };
    let expected = vec![
        group(2),
        event(1),
        event(2),
        group(2),
        event(3),
        event(4),
        group(1),
        event(5),
    ];
    assert_lines(&lines, &expected);
}

/// The example plugin every 10 ms → add_fields → rename → drop → aggregator_default
/// → flusher_stdout.
const EXAMPLE: &str = r"
global:
  StructureType: STRUCTURE
inputs:
  - Type: service_example_plugin
    interval: 10ms
processors:
  - Type: processor_add_fields
    Fields: { service: checkout, scratch: x }
  - Type: processor_rename
    SourceKeys: [host, hello]
    DestKeys: [ip, greeting]
  - Type: processor_drop
    DropKeys: [scratch]
aggregators:
  - Type: aggregator_default
flushers:
  - Type: flusher_stdout
    FileName: FILE
";

fn example(structure: &str, expected_line: &str) {
    let name = format!("example_{structure}");
    let (report, lines) = run(&name, &EXAMPLE.replace("STRUCTURE", structure), 3);
    assert!(report.is_lossless(), "{report:?}");
    assert!(report.events_in >= 3, "{report:?}");
    let count = usize::try_from(report.events_in).unwrap();
    assert_lines(&lines, &vec![expected_line.to_owned(); count]);
}

#[test]
fn the_example_plugin_runs_through_the_built_in_processors_in_v1() {
    // A log with the current time and `host = 1.1.1.1`; `hello` is not there to rename.
    example(
        "v1",
        r#"{"ip":"1.1.1.1","service":"checkout","__time__":"T"}"#,
    );
}

#[test]
fn the_example_plugin_runs_through_the_built_in_processors_in_v2() {
    // The counter `test_metric` tagged `hello = world`: fields become tags of a metric, and
    // the tag is renamed in place.
    example(
        "v2",
        r#"{"eventType":"metric","name":"test_metric","timestamp":T,"observedTimestamp":0,"tags":{"greeting":"world","service":"checkout"},"groupTags":{},"metricType":"Counter","value":1.0}"#,
    );
}

/// metric_mock every 10 ms (first collection at once) → add_fields → rename → drop → the
/// default aggregator (none declared: the engine adds `aggregator_default`) →
/// flusher_stdout, in V2: groups with metadata and tags, two metrics per collection.
#[test]
fn metric_mock_runs_through_the_built_in_processors_in_v2() {
    let text = r"
global:
  StructureType: v2
  InputMaxFirstCollectDelayMs: 0
  Tags: { env: test }
inputs:
  - Type: metric_mock
    IntervalMs: 10
    GroupMeta: { source: mock }
    GroupTags: { cluster: c1 }
    Tags: { host: a }
    Fields: { cpu: 0.5, up: true }
processors:
  - Type: processor_add_fields
    Fields: { service: checkout }
  - Type: processor_rename
    SourceKeys: [host]
    DestKeys: [node]
  - Type: processor_drop
    DropKeys: [service]
flushers:
  - Type: flusher_stdout
    FileName: FILE
";
    let (report, lines) = run("metric_mock_v2", text, 4);
    assert!(report.is_lossless(), "{report:?}");
    assert_eq!(
        report.events_in % 2,
        0,
        "two metrics per collection: {report:?}"
    );
    let count = usize::try_from(report.events_in).unwrap();
    let mut expected = Vec::new();
    for index in 1..=count / 2 {
        expected.push(format!(
            r#"{{"eventType":"metric","name":"single_metrics_mock","timestamp":T,"observedTimestamp":0,"tags":{{"node":"a"}},"groupTags":{{"cluster":"c1","env":"test"}},"metricType":"Counter","value":{index}.0}}"#
        ));
        expected.push(format!(
            r#"{{"eventType":"metric","name":"multi_values_metrics_mock","timestamp":T,"observedTimestamp":0,"tags":{{"node":"a"}},"groupTags":{{"cluster":"c1","env":"test"}},"metricType":"Untyped","values":{{"Index":{index}.0,"cpu":0.5}},"typedValues":{{"up":true}}}}"#
        ));
    }
    assert_lines(&lines, &expected);
}
