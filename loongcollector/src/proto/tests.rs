//! Round trips, and bytes worked out by hand from the wire format (each byte commented).

use super::*;
use pipeplug::models::{
    self, ByteArray, EventType, GroupInfo, KeyValues, LogValue, Metadata, Metric, MetricType,
    PipelineEvent, PipelineGroupEvents, Span, SpanKind, StatusCode, Tags,
};
use pipeplug::protocol;

/// A log group with one log of each optional part, and its bytes.
fn sample_log_group() -> (protocol::LogGroup, Vec<u8>) {
    let mut log = protocol::Log::new(300, [("k", "v")]);
    log.time_ns = Some(5);
    let group = protocol::LogGroup {
        logs: vec![log],
        category: "cat".into(),
        topic: String::new(),
        source: "10.0.0.1".into(),
        machine_uuid: String::new(),
        log_tags: vec![protocol::LogTag::new("tk", "tv")],
    };
    #[rustfmt::skip]
    let bytes = vec![
        0x0A, 0x10,                         // Logs (1, length-delimited), 16 bytes:
            0x08, 0xAC, 0x02,               //   Time (1, varint) = 300
            0x12, 0x06,                     //   Contents (2), 6 bytes:
                0x0A, 0x01, b'k',           //     Key (1) = "k"
                0x12, 0x01, b'v',           //     Value (2) = "v"
            0x25, 0x05, 0x00, 0x00, 0x00,   //   Time_ns (4, fixed32) = 5
        0x12, 0x03, b'c', b'a', b't',       // Category (2) = "cat"
                                            // Topic (3): empty, not written
        0x22, 0x08, b'1', b'0', b'.', b'0', b'.', b'0', b'.', b'1', // Source (4)
                                            // MachineUUID (5): empty, not written
        0x32, 0x08,                         // LogTags (6), 8 bytes:
            0x0A, 0x02, b't', b'k',         //   Key (1) = "tk"
            0x12, 0x02, b't', b'v',         //   Value (2) = "tv"
    ];
    (group, bytes)
}

#[test]
fn log_group_encodes_to_the_bytes_worked_out_by_hand() {
    let (group, bytes) = sample_log_group();
    assert_eq!(encode_log_group(&group), bytes);
}

#[test]
fn log_group_decodes_from_the_bytes_worked_out_by_hand() {
    let (group, bytes) = sample_log_group();
    assert_eq!(decode_log_group(&bytes).unwrap(), group);
}

#[test]
fn required_fields_are_written_even_when_empty() {
    let group = protocol::LogGroup {
        logs: vec![protocol::Log::new(0, [("", "")])],
        log_tags: vec![protocol::LogTag::new("", "")],
        ..protocol::LogGroup::default()
    };
    #[rustfmt::skip]
    let bytes = vec![
        0x0A, 0x08,                 // Logs (1), 8 bytes:
            0x08, 0x00,             //   Time (1) = 0, required
            0x12, 0x04,             //   Contents (2), 4 bytes:
                0x0A, 0x00,         //     Key = "", required
                0x12, 0x00,         //     Value = "", required
        0x32, 0x04,                 // LogTags (6), 4 bytes:
            0x0A, 0x00, 0x12, 0x00, //   Key = "", Value = "", required
    ];
    assert_eq!(encode_log_group(&group), bytes);
    assert_eq!(decode_log_group(&bytes).unwrap(), group);
}

#[test]
fn log_group_round_trips_every_field() {
    let mut with_zero_ns = protocol::Log::new(1_700_000_000, [("msg", "héllo ✓"), ("msg", "dup")]);
    with_zero_ns.time_ns = Some(0);
    let mut with_ns = protocol::Log::new(u32::MAX, Vec::<(&str, &str)>::new());
    with_ns.time_ns = Some(999_999_999);
    let group = protocol::LogGroup {
        logs: vec![with_zero_ns, with_ns, protocol::Log::new(1, [("a", "b")])],
        category: "store".into(),
        topic: "topic".into(),
        source: "host".into(),
        machine_uuid: "uuid-1".into(),
        log_tags: vec![
            protocol::LogTag::new("__path__", "/var/log/a.log"),
            protocol::LogTag::new("__path__", "again"),
        ],
    };
    let back = decode_log_group(&encode_log_group(&group)).unwrap();
    assert_eq!(back, group);
    // Repeated keys and their order survive (V1 allows both).
    assert_eq!(back.logs[0].contents[1].value, "dup");
    assert_eq!(back.logs[0].time_ns, Some(0));
    assert_eq!(back.logs[2].time_ns, None);
}

#[test]
fn log_group_that_is_not_protobuf_is_an_error_naming_the_message() {
    // Logs (1), said to be 16 bytes long, with 2 of them present.
    let err = decode_log_group(&[0x0A, 0x10, 0x08, 0x01]).unwrap_err();
    assert_eq!(err.message(), "sls_logs.LogGroup");
    let text = err.to_string();
    assert!(
        text.starts_with("cannot decode a serialized sls_logs.LogGroup: "),
        "{text}"
    );
}

#[test]
fn log_group_with_a_value_that_is_not_utf8_is_an_error_naming_the_field() {
    #[rustfmt::skip]
    let bytes = [
        0x0A, 0x08,
            0x08, 0x01,
            0x12, 0x04,
                0x0A, 0x00,
                0x12, 0x02, 0xC3, 0x28, // an invalid UTF-8 sequence
    ];
    let text = decode_log_group(&bytes).unwrap_err().to_string();
    assert!(text.contains("LogContent.value"), "{text}");
    assert!(text.contains("UTF-8"), "{text}");
}

#[test]
fn log_group_in_the_column_layout_is_refused_with_the_field() {
    #[rustfmt::skip]
    let bytes = [
        0x0A, 0x05,
            0x08, 0x01,
            0x1A, 0x01, b'x', // values (3) = ["x"]
    ];
    let text = decode_log_group(&bytes).unwrap_err().to_string();
    assert_eq!(
        text,
        "cannot decode a serialized sls_logs.LogGroup: Logs[0].values (field 3): logs in the \
         column layout are not supported"
    );
}

/// A log group of the core: group metadata and tags and one log, and its bytes.
fn sample_event_group() -> (PipelineGroupEvents, Vec<u8>) {
    let log = models::Log {
        level: "INFO".into(),
        timestamp: 300,
        offset: 7,
        raw_size: 2,
        contents: KeyValues::from([("content", "hi")]),
        ..models::Log::default()
    };
    let group = PipelineGroupEvents::new(
        GroupInfo::new(Metadata::from([("m", "1")]), Tags::from([("t", "x")])),
        vec![log.into()],
    );
    #[rustfmt::skip]
    let bytes = vec![
        0x0A, 0x06,                             // Metadata (1), one entry of 6 bytes:
            0x0A, 0x01, b'm', 0x12, 0x01, b'1', //   key "m", value "1"
        0x12, 0x06,                             // Tags (2), one entry of 6 bytes:
            0x0A, 0x01, b't', 0x12, 0x01, b'x', //   key "t", value "x"
        0x1A, 0x1E,                             // Logs (3), 30 bytes:
            0x0A, 0x1C,                         //   Events (1), a LogEvent of 28 bytes:
                0x08, 0xAC, 0x02,               //     Timestamp (1) = 300
                0x12, 0x0D,                     //     Contents (2), 13 bytes:
                    0x0A, 0x07, b'c', b'o', b'n', b't', b'e', b'n', b't', // Key
                    0x12, 0x02, b'h', b'i',     //       Value = "hi"
                0x1A, 0x04, b'I', b'N', b'F', b'O', // Level (3) = "INFO"
                0x20, 0x07,                     //     FileOffset (4) = 7
                0x28, 0x02,                     //     RawSize (5) = 2
    ];
    (group, bytes)
}

#[test]
fn event_group_decodes_from_the_bytes_worked_out_by_hand() {
    let (group, bytes) = sample_event_group();
    let decoded = decode_event_group(&bytes).unwrap();
    assert_eq!(decoded, group);
    let PipelineEvent::Log(log) = &decoded.events[0] else {
        panic!("not a log: {decoded:?}")
    };
    assert_eq!(log.body(), Some(&LogValue::String("hi".into())));
    assert_eq!(
        decoded.group.metadata.get("m").map(|s| s.as_str()),
        Some("1")
    );
}

#[test]
fn event_group_encodes_to_the_bytes_worked_out_by_hand() {
    let (group, bytes) = sample_event_group();
    assert_eq!(encode_event_group(&group), bytes);
    assert_eq!(try_encode_event_group(&group).unwrap(), bytes);
}

#[test]
fn metric_group_decodes_from_the_bytes_worked_out_by_hand() {
    #[rustfmt::skip]
    let bytes = [
        0x22, 0x2B,                     // Metrics (4), 43 bytes:
            0x0A, 0x10,                 //   Events (1), a MetricEvent of 16 bytes:
                0x08, 0x01,             //     Timestamp (1) = 1
                0x12, 0x01, b'm',       //     Name (2) = "m"
                0x22, 0x09,             //     UntypedSingleValue (4), 9 bytes:
                    0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, // Value (1, double) = 0.5
            0x0A, 0x17,                 //   Events (1), a MetricEvent of 23 bytes:
                0x12, 0x01, b'n',       //     Name (2) = "n"
                0x32, 0x12,             //     UntypedMultiDoubleValues (6), 18 bytes:
                    0x0A, 0x10,         //       Values (1), an entry of 16 bytes:
                        0x0A, 0x01, b'a', //       key "a"
                        0x12, 0x0B,     //         value, 11 bytes:
                            0x08, 0x01, //           MetricType (1) = METRIC_TYPE_GAUGE
                            0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, // Value (2) = 1.0
    ];
    let decoded = decode_event_group(&bytes).unwrap();
    let expected = vec![
        PipelineEvent::Metric(Metric::single(
            "m",
            MetricType::Untyped,
            Tags::new(),
            1,
            0.5,
        )),
        PipelineEvent::Metric(Metric::multi(
            "n",
            MetricType::Gauge,
            Tags::new(),
            0,
            KeyValues::from([("a", 1.0)]),
        )),
    ];
    assert_eq!(decoded.events, expected);
    // The single-value metric encodes back to its own bytes.
    let one = PipelineGroupEvents::new(GroupInfo::default(), vec![expected[0].clone()]);
    assert_eq!(
        encode_event_group(&one),
        [&[0x22, 0x12, 0x0A, 0x10][..], &bytes[4..20]].concat()
    );
}

#[test]
fn span_decodes_from_the_bytes_worked_out_by_hand_without_its_scope_tags() {
    #[rustfmt::skip]
    let bytes = [
        0x2A, 0x15,                 // Spans (5), 21 bytes:
            0x0A, 0x13,             //   Events (1), a SpanEvent of 19 bytes:
                0x08, 0x09,         //     Timestamp (1) = 9
                0x12, 0x01, b't',   //     TraceID (2) = "t"
                0x38, 0x03,         //     Kind (7) = CLIENT
                0x68, 0x02,         //     Status (13) = Error
                0x72, 0x06,         //     ScopeTags (14), one entry:
                    0x0A, 0x01, b's', 0x12, 0x01, b'v',
                0x40, 0x04,         //     StartTime (8) = 4, after a later field
    ];
    let decoded = decode_event_group(&bytes).unwrap();
    let expected = Span {
        trace_id: "t".into(),
        kind: SpanKind::Client,
        status: StatusCode::Error,
        observed_timestamp: 9,
        start_time: 4,
        ..Span::default()
    };
    assert_eq!(decoded.events, vec![PipelineEvent::Span(expected)]);
}

#[test]
fn spans_round_trip_every_field() {
    let span = Span {
        trace_id: "trace".into(),
        span_id: "span".into(),
        parent_span_id: "parent".into(),
        name: "GET /".into(),
        trace_state: "k=v".into(),
        start_time: 10,
        end_time: 20,
        observed_timestamp: 30,
        kind: SpanKind::Consumer,
        status: StatusCode::Ok,
        tags: Tags::from([("http.method", "GET")]),
        links: vec![models::SpanLink {
            trace_id: "t2".into(),
            span_id: "s2".into(),
            trace_state: "st".into(),
            tags: Tags::from([("l", "1")]),
        }],
        events: vec![models::SpanEvent {
            timestamp: 15,
            name: "retry".into(),
            tags: Tags::from([("n", "2")]),
        }],
    };
    for kind in [
        SpanKind::Unspecified,
        SpanKind::Internal,
        SpanKind::Server,
        SpanKind::Client,
        SpanKind::Producer,
        SpanKind::Consumer,
    ] {
        for status in [StatusCode::Unset, StatusCode::Ok, StatusCode::Error] {
            let span = Span {
                kind,
                status,
                ..span.clone()
            };
            let group = PipelineGroupEvents::new(
                GroupInfo::new(Metadata::from([("source_id", "x")]), Tags::new()),
                vec![span.into()],
            );
            assert_eq!(
                decode_event_group(&encode_event_group(&group)).unwrap(),
                group
            );
        }
    }
}

#[test]
fn logs_and_metrics_round_trip() {
    let mut contents = KeyValues::new();
    for i in 0..40 {
        // More than 16 fields: the model's indexed map.
        contents.add(format!("field{i}"), format!("value {i} ✓"));
    }
    contents.add("raw", vec![0xFF, 0x00, 0xFE]);
    let log = models::Log {
        level: "WARN".into(),
        timestamp: 1_700_000_000_123_456_789,
        offset: u64::MAX,
        raw_size: 99,
        contents,
        ..models::Log::default()
    };
    let logs = PipelineGroupEvents::new(
        GroupInfo::new(
            Metadata::from([("log_file_path", "/var/log/app.log")]),
            Tags::from([("host.name", "h1"), ("empty", "")]),
        ),
        vec![log.clone().into(), log.into()],
    );
    assert_eq!(
        decode_event_group(&encode_event_group(&logs)).unwrap(),
        logs
    );

    let metrics = PipelineGroupEvents::new(
        GroupInfo::default(),
        vec![
            Metric::single(
                "up",
                MetricType::Untyped,
                Tags::from([("job", "a")]),
                5,
                f64::MAX,
            )
            .into(),
            Metric::multi(
                "cpu",
                MetricType::Gauge,
                Tags::new(),
                6,
                KeyValues::from([("user", 0.25), ("system", -1.5)]),
            )
            .into(),
            Metric::multi(
                "hist",
                MetricType::Untyped,
                Tags::new(),
                7,
                KeyValues::from([("le_1", 3.0)]),
            )
            .into(),
        ],
    );
    assert_eq!(
        decode_event_group(&encode_event_group(&metrics)).unwrap(),
        metrics
    );
}

#[test]
fn log_values_that_are_not_utf8_stay_bytes_and_keys_are_repaired() {
    #[rustfmt::skip]
    let bytes = [
        0x12, 0x06, 0x0A, 0x01, 0xFF, 0x12, 0x01, b'v', // Tags (2): key 0xFF
        0x1A, 0x0A,
            0x0A, 0x08,
                0x12, 0x06,
                    0x0A, 0x01, b'k',
                    0x12, 0x01, 0xFF,           // a value that is not UTF-8
    ];
    let decoded = decode_event_group(&bytes).unwrap();
    assert_eq!(
        decoded.group.tags.get("\u{FFFD}").map(|s| s.as_str()),
        Some("v")
    );
    let PipelineEvent::Log(log) = &decoded.events[0] else {
        panic!("not a log: {decoded:?}")
    };
    assert_eq!(log.contents.get("k"), Some(&LogValue::Bytes(vec![0xFF])));
    // The value's bytes go back as they came (the key as U+FFFD, 3 bytes).
    let encoded = encode_event_group(&decoded);
    assert!(encoded.ends_with(&bytes[8..]), "{encoded:x?}");
}

#[test]
fn log_values_that_are_not_text_are_sent_as_text() {
    let mut log = models::Log::default();
    log.contents.add("int", -3_i64);
    log.contents.add("float", 1e6);
    log.contents.add("bool", true);
    let group = PipelineGroupEvents::new(GroupInfo::default(), vec![log.into()]);
    let back = decode_event_group(&encode_event_group(&group)).unwrap();
    let PipelineEvent::Log(log) = &back.events[0] else {
        panic!("not a log: {back:?}")
    };
    let texts: Vec<_> = log
        .contents
        .iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    assert_eq!(
        texts,
        [
            ("int", "-3".to_owned()),
            ("float", "1e+06".to_owned()),
            ("bool", "true".to_owned())
        ]
    );
}

#[test]
fn byte_arrays_travel_as_logs_with_their_bytes_as_content() {
    let group = PipelineGroupEvents::new(
        GroupInfo::default(),
        vec![
            ByteArray(b"raw\x00".to_vec()).into(),
            models::Log::with_body("b", Tags::new(), 1).into(),
        ],
    );
    let back = decode_event_group(&try_encode_event_group(&group).unwrap()).unwrap();
    assert_eq!(back.events.len(), 2);
    let PipelineEvent::Log(first) = &back.events[0] else {
        panic!("not a log: {back:?}")
    };
    assert_eq!(first.body_bytes(), Some(&b"raw\x00"[..]));
}

#[test]
fn a_group_of_mixed_kinds_is_refused_or_encoded_without_the_others() {
    let group = PipelineGroupEvents::new(
        GroupInfo::default(),
        vec![
            models::Log::with_body("a", Tags::new(), 1).into(),
            Metric::single("m", MetricType::Gauge, Tags::new(), 1, 1).into(),
            models::Log::with_body("b", Tags::new(), 2).into(),
        ],
    );
    let err = try_encode_event_group(&group).unwrap_err();
    assert_eq!(
        (err.index, err.first, err.found),
        (1, EventType::Logging, EventType::Metric)
    );
    assert_eq!(
        err.to_string(),
        "a PipelineEventGroup holds one kind of event: event 1 is a Metric, but the group's \
         first event is a Logging"
    );
    let back = decode_event_group(&encode_event_group(&group)).unwrap();
    let bodies: Vec<_> = back
        .events
        .iter()
        .map(|e| match e {
            PipelineEvent::Log(l) => l.body().map(ToString::to_string),
            other => panic!("not a log: {other:?}"),
        })
        .collect();
    assert_eq!(bodies, [Some("a".to_owned()), Some("b".to_owned())]);
}

#[test]
fn an_empty_group_is_empty_bytes_and_back() {
    let empty = PipelineGroupEvents::default();
    assert_eq!(encode_event_group(&empty), Vec::<u8>::new());
    assert_eq!(decode_event_group(&[]).unwrap(), empty);
}

#[test]
fn event_group_that_is_not_protobuf_is_an_error_naming_the_message_and_field() {
    // Logs (3) → Events (1) said to be 9 bytes long, with 1 present.
    let err = decode_event_group(&[0x1A, 0x03, 0x0A, 0x09, 0x08]).unwrap_err();
    assert_eq!(err.message(), "logtail.models.PipelineEventGroup");
    let text = err.to_string();
    assert!(
        text.starts_with("cannot decode a serialized logtail.models.PipelineEventGroup: "),
        "{text}"
    );
    // A wrong wire type for a known field: Tags (2) as a varint.
    let text = decode_event_group(&[0x10, 0x01]).unwrap_err().to_string();
    assert!(text.contains("PipelineEventGroup.tags"), "{text}");
}

#[test]
fn a_metric_without_a_value_is_an_error_naming_it() {
    #[rustfmt::skip]
    let bytes = [
        0x22, 0x0C,
            0x0A, 0x05, 0x12, 0x01, b'a', 0x22, 0x00, // a metric with a value (0)
            0x0A, 0x03, 0x12, 0x01, b'b', // and one without
    ];
    let text = decode_event_group(&bytes).unwrap_err().to_string();
    assert!(
        text.starts_with("cannot decode a serialized logtail.models.PipelineEventGroup: Metrics.Events[1]: the metric has no value"),
        "{text}"
    );
}

#[test]
fn unknown_fields_and_enum_values_from_a_newer_core_are_skipped() {
    #[rustfmt::skip]
    let bytes = [
        0x2A, 0x09,
            0x0A, 0x07,
                0x38, 0x09,       // Kind (7) = 9, unknown
                0xF8, 0x01, 0x05, // field 31 (varint), unknown to this reader
                0x68,             // Status (13) follows below
                0x07,             //   = 7, unknown
    ];
    let decoded = decode_event_group(&bytes).unwrap();
    assert_eq!(decoded.events, vec![PipelineEvent::Span(Span::default())]);
}

mod direct_log_group_encoder {
    use super::super::to_log_group_message;
    use super::*;
    use proptest::prelude::*;
    use prost::Message;

    fn text() -> impl Strategy<Value = String> {
        // Empty, short, non-ASCII, and long enough for 2- and 3-byte length varints.
        prop_oneof![
            Just(String::new()),
            "[a-z_]{1,8}",
            "\\PC{0,20}",
            (0usize..20_000).prop_map(|n| "x".repeat(n)),
        ]
    }

    fn log() -> impl Strategy<Value = protocol::Log> {
        (
            any::<u32>(),
            proptest::collection::vec((text(), text()), 0..6),
            proptest::option::of(any::<u32>()),
        )
            .prop_map(|(time, contents, time_ns)| {
                let mut log = protocol::Log::new(time, contents);
                log.time_ns = time_ns;
                log
            })
    }

    fn log_group() -> impl Strategy<Value = protocol::LogGroup> {
        (
            proptest::collection::vec(log(), 0..5),
            text(),
            text(),
            text(),
            text(),
            proptest::collection::vec((text(), text()), 0..4),
        )
            .prop_map(|(logs, category, topic, source, machine_uuid, tags)| {
                protocol::LogGroup {
                    logs,
                    category,
                    topic,
                    source,
                    machine_uuid,
                    log_tags: tags
                        .into_iter()
                        .map(|(k, v)| protocol::LogTag::new(k, v))
                        .collect(),
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn writes_the_bytes_of_the_derived_message_and_reads_back(group in log_group()) {
            let direct = encode_log_group(&group);
            prop_assert_eq!(&direct, &to_log_group_message(&group).encode_to_vec());
            prop_assert_eq!(decode_log_group(&direct).unwrap(), group);
        }

        #[test]
        fn the_direct_v2_decoder_gives_what_v1_then_group_to_v2_gives(group in log_group()) {
            let bytes = encode_log_group(&group);
            prop_assert_eq!(
                decode_log_group_v2(&bytes).unwrap(),
                pipeplug::convert::group_to_v2(&group)
            );
        }
    }

    #[test]
    fn a_group_larger_than_two_mebibytes_has_the_right_lengths() {
        // 3- and 4-byte length varints on the group's logs.
        let big = "y".repeat(3 << 20);
        let group = protocol::LogGroup {
            logs: vec![protocol::Log::new(1, [("k", big.as_str())])],
            ..protocol::LogGroup::default()
        };
        let direct = encode_log_group(&group);
        assert_eq!(direct, to_log_group_message(&group).encode_to_vec());
        assert_eq!(decode_log_group(&direct).unwrap(), group);
    }
}

#[test]
fn one_log_decodes_and_its_errors_name_the_log_message() {
    let group = protocol::LogGroup {
        logs: vec![protocol::Log {
            time: 7,
            time_ns: Some(9),
            contents: vec![protocol::LogContent::new("k", "v")],
        }],
        ..Default::default()
    };
    let message = to_log_group_message(&group);
    let bytes = prost::Message::encode_to_vec(&message.logs[0]);
    // Time = 7 (field 1, varint), Contents { Key "k", Value "v" } (field 2), Time_ns = 9
    // (field 4, fixed32): checked by hand.
    assert_eq!(
        bytes,
        [0x08, 0x07, 0x12, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, b'v', 0x25, 9, 0, 0, 0]
    );
    assert_eq!(decode_log(&bytes).unwrap(), group.logs[0]);
    let err = decode_log(&[0xff]).unwrap_err().to_string();
    assert!(
        err.starts_with("cannot decode a serialized sls_logs.Log:"),
        "{err}"
    );
    // The column layout: Time, then `values` (field 3) "x".
    let err = decode_log(&[0x08, 0x01, 0x1a, 0x01, b'x'])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cannot decode a serialized sls_logs.Log: values (field 3): logs in the column layout are not supported"
    );
}

#[test]
fn a_log_group_read_into_v2_keeps_values_that_are_not_utf8_as_bytes() {
    // LogGroup { Logs: [Log { Time: 1, Contents: [{Key "k", Value 0xff}] }], Topic: "t",
    // LogTags: [{Key "h", Value "x"}] }: worked out by hand.
    let bytes = [
        0x0a, 0x0a, // Logs, 10 bytes
        0x08, 0x01, // Time = 1
        0x12, 0x06, 0x0a, 0x01, b'k', 0x12,
        0x01, // Contents (6 bytes): Key "k", Value (1 byte)
        0xff, //
        0x1a, 0x01, b't', // Topic "t"
        0x32, 0x06, 0x0a, 0x01, b'h', 0x12, 0x01, b'x', // LogTags
    ];
    let group = decode_log_group_v2(&bytes).unwrap();
    assert_eq!(
        group.group.metadata.get("topic").map(|v| v.as_str()),
        Some("t")
    );
    assert_eq!(group.group.tags.get("h").map(|v| v.as_str()), Some("x"));
    let PipelineEvent::Log(log) = &group.events[0] else {
        panic!("{group:?}")
    };
    assert_eq!(log.timestamp, 1_000_000_000);
    assert_eq!(log.contents.get("k"), Some(&LogValue::Bytes(vec![0xff])));
    // The V1 model holds text only: the same bytes are refused there, naming the field.
    assert!(decode_log_group(&bytes).is_err());
    // The column layout is refused in both.
    let column = [0x0a, 0x05, 0x08, 0x01, 0x1a, 0x01, b'x'];
    let err = decode_log_group_v2(&column).unwrap_err().to_string();
    assert_eq!(
        err,
        "cannot decode a serialized sls_logs.LogGroup: Logs[0].values (field 3): logs in the column layout are not supported"
    );
    assert!(decode_log_group_v2(&[0xff]).is_err());
}
