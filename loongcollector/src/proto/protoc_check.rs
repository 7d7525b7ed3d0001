//! The messages checked against Google's protobuf implementation: `protoc` (Debian package
//! `protobuf-compiler`, installed for CI by `tests/scripts/install-protoc.sh`) encodes text
//! into bytes that we decode, and decodes the bytes we write. Our own `.proto` text below
//! states the wire protocol (message, field names, numbers and types) for `protoc`; the
//! test skips with a message where `protoc` is absent.

use super::*;
use pipeplug::models::{self, GroupInfo, KeyValues, Metadata, Metric, MetricType, Tags};
use pipeplug::models::{PipelineEvent, PipelineGroupEvents, Span, SpanKind, StatusCode};
use pipeplug::protocol;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const MODELS_PROTO: &str = r#"syntax = "proto3";
package logtail.models;
message LogEvent {
  uint64 Timestamp = 1;
  message Content { bytes Key = 1; bytes Value = 2; }
  repeated Content Contents = 2;
  bytes Level = 3;
  uint64 FileOffset = 4;
  uint64 RawSize = 5;
}
enum UntypedValueMetricType { METRIC_TYPE_COUNTER = 0; METRIC_TYPE_GAUGE = 1; }
message UntypedSingleValue { double Value = 1; }
message UntypedMultiDoubleValue { UntypedValueMetricType MetricType = 1; double Value = 2; }
message UntypedMultiDoubleValues { map<string, UntypedMultiDoubleValue> Values = 1; }
message MetricEvent {
  uint64 Timestamp = 1;
  bytes Name = 2;
  map<string, bytes> Tags = 3;
  oneof Value {
    UntypedSingleValue UntypedSingleValue = 4;
    UntypedMultiDoubleValues UntypedMultiDoubleValues = 6;
  }
  map<string, bytes> Metadata = 5;
}
message SpanEvent {
  uint64 Timestamp = 1;
  bytes TraceID = 2;
  bytes SpanID = 3;
  bytes TraceState = 4;
  bytes ParentSpanID = 5;
  bytes Name = 6;
  enum SpanKind { UNSPECIFIED = 0; INTERNAL = 1; SERVER = 2; CLIENT = 3; PRODUCER = 4; CONSUMER = 5; }
  SpanKind Kind = 7;
  uint64 StartTime = 8;
  uint64 EndTime = 9;
  map<string, bytes> Tags = 10;
  message InnerEvent { uint64 Timestamp = 1; bytes Name = 2; map<string, bytes> Tags = 3; }
  repeated InnerEvent Events = 11;
  message SpanLink { bytes TraceID = 1; bytes SpanID = 2; bytes TraceState = 3; map<string, bytes> Tags = 4; }
  repeated SpanLink Links = 12;
  enum StatusCode { Unset = 0; Ok = 1; Error = 2; }
  StatusCode Status = 13;
  map<string, bytes> ScopeTags = 14;
}
message PipelineEventGroup {
  map<string, bytes> Metadata = 1;
  map<string, bytes> Tags = 2;
  message LogEvents { repeated LogEvent Events = 1; }
  message MetricEvents { repeated MetricEvent Events = 1; }
  message SpanEvents { repeated SpanEvent Events = 1; }
  oneof PipelineEvents { LogEvents Logs = 3; MetricEvents Metrics = 4; SpanEvents Spans = 5; }
}
"#;

const SLS_PROTO: &str = r#"syntax = "proto2";
package sls_logs;
message Log {
  required uint32 Time = 1;
  message Content { required string Key = 1; required string Value = 2; }
  repeated Content Contents = 2;
  repeated string values = 3;
  optional fixed32 Time_ns = 4;
}
message LogTag { required string Key = 1; required string Value = 2; }
message LogGroup {
  repeated Log Logs = 1;
  optional string Category = 2;
  optional string Topic = 3;
  optional string Source = 4;
  optional string MachineUUID = 5;
  repeated LogTag LogTags = 6;
}
"#;

/// Runs `protoc <mode>=<message> <file>` in `dir` with `input` on stdin.
fn protoc(dir: &Path, mode: &str, message: &str, file: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("protoc")
        .current_dir(dir)
        .arg(format!("--{mode}={message}"))
        .arg(file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("protoc runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "protoc --{mode}={message} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn protoc_reads_what_we_write_and_we_read_what_it_writes() {
    if Command::new("protoc").arg("--version").output().is_err() {
        eprintln!(
            "skipped: protoc is not installed (Debian package protobuf-compiler; \
             tests/scripts/install-protoc.sh installs it)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("models.proto"), MODELS_PROTO).unwrap();
    std::fs::write(dir.path().join("sls.proto"), SLS_PROTO).unwrap();
    let group = "logtail.models.PipelineEventGroup";
    let models_file = "models.proto";

    // protoc's bytes → ours: a span group with every field (scope tags are dropped).
    let text = br#"
        Metadata { key: "source_id" value: "file:/a" }
        Tags { key: "host" value: "h\377" }
        Spans { Events {
          Timestamp: 9 TraceID: "t" SpanID: "s" TraceState: "k=v" ParentSpanID: "p" Name: "op"
          Kind: PRODUCER StartTime: 1 EndTime: 2 Tags { key: "a" value: "b" }
          Events { Timestamp: 3 Name: "e" Tags { key: "x" value: "y" } }
          Links { TraceID: "t2" SpanID: "s2" TraceState: "ts" Tags { key: "l" value: "m" } }
          Status: Error ScopeTags { key: "scope" value: "v" }
        } }"#;
    let decoded =
        decode_event_group(&protoc(dir.path(), "encode", group, models_file, text)).unwrap();
    let span = Span {
        trace_id: "t".into(),
        span_id: "s".into(),
        parent_span_id: "p".into(),
        name: "op".into(),
        trace_state: "k=v".into(),
        start_time: 1,
        end_time: 2,
        observed_timestamp: 9,
        kind: SpanKind::Producer,
        status: StatusCode::Error,
        tags: Tags::from([("a", "b")]),
        links: vec![models::SpanLink {
            trace_id: "t2".into(),
            span_id: "s2".into(),
            trace_state: "ts".into(),
            tags: Tags::from([("l", "m")]),
        }],
        events: vec![models::SpanEvent {
            timestamp: 3,
            name: "e".into(),
            tags: Tags::from([("x", "y")]),
        }],
    };
    let expected = PipelineGroupEvents::new(
        GroupInfo::new(
            Metadata::from([("source_id", "file:/a")]),
            Tags::from([("host", "h\u{FFFD}")]),
        ),
        vec![span.into()],
    );
    assert_eq!(decoded, expected);

    // Ours → protoc's reading of them: logs and metrics.
    let mut log = models::Log {
        level: "ERROR".into(),
        timestamp: 1_700_000_000_000_000_001,
        offset: 7,
        raw_size: 2,
        ..models::Log::default()
    };
    log.contents.add("content", "hi");
    let logs = PipelineGroupEvents::new(
        GroupInfo::new(Metadata::from([("m", "1")]), Tags::new()),
        vec![log.into()],
    );
    let text = protoc(
        dir.path(),
        "decode",
        group,
        models_file,
        &encode_event_group(&logs),
    );
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "Metadata {\n  key: \"m\"\n  value: \"1\"\n}\nLogs {\n  Events {\n    \
         Timestamp: 1700000000000000001\n    Contents {\n      Key: \"content\"\n      \
         Value: \"hi\"\n    }\n    Level: \"ERROR\"\n    FileOffset: 7\n    RawSize: 2\n  }\n}\n"
    );
    let metrics = PipelineGroupEvents::new(
        GroupInfo::default(),
        vec![
            PipelineEvent::Metric(Metric::single(
                "up",
                MetricType::Untyped,
                Tags::new(),
                5,
                2.5,
            )),
            PipelineEvent::Metric(Metric::multi(
                "cpu",
                MetricType::Gauge,
                Tags::from([("job", "a")]),
                6,
                KeyValues::from([("user", 0.25)]),
            )),
        ],
    );
    let text = protoc(
        dir.path(),
        "decode",
        group,
        models_file,
        &encode_event_group(&metrics),
    );
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "Metrics {\n  Events {\n    Timestamp: 5\n    Name: \"up\"\n    UntypedSingleValue {\n      \
         Value: 2.5\n    }\n  }\n  Events {\n    Timestamp: 6\n    Name: \"cpu\"\n    Tags {\n      \
         key: \"job\"\n      value: \"a\"\n    }\n    UntypedMultiDoubleValues {\n      Values {\n        \
         key: \"user\"\n        value {\n          MetricType: METRIC_TYPE_GAUGE\n          \
         Value: 0.25\n        }\n      }\n    }\n  }\n}\n"
    );

    // sls_logs.LogGroup: our bytes are protoc's bytes for the same group (required fields
    // included), and we read protoc's back.
    let text = br#"
        Logs { Time: 1700000000 Contents { Key: "k" Value: "v \342\234\223" }
               Contents { Key: "" Value: "" } Time_ns: 123 }
        Logs { Time: 0 }
        Category: "c" Source: "10.0.0.1" LogTags { Key: "__path__" Value: "/x" }"#;
    let theirs = protoc(dir.path(), "encode", "sls_logs.LogGroup", "sls.proto", text);
    let mut first = protocol::Log::new(1_700_000_000, [("k", "v ✓"), ("", "")]);
    first.time_ns = Some(123);
    let group = protocol::LogGroup {
        logs: vec![first, protocol::Log::new(0, Vec::<(&str, &str)>::new())],
        category: "c".into(),
        source: "10.0.0.1".into(),
        log_tags: vec![protocol::LogTag::new("__path__", "/x")],
        ..protocol::LogGroup::default()
    };
    assert_eq!(encode_log_group(&group), theirs);
    assert_eq!(decode_log_group(&theirs).unwrap(), group);
}
