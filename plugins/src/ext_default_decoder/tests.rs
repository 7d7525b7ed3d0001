use super::*;
use pipeplug::models::{MetricType, MetricValue, Tags};
use pipeplug::testing::ExtensionHarness;
use std::time::{Duration, UNIX_EPOCH};

fn decoder(yaml: &str) -> Arc<dyn Decoder> {
    let mut h = ExtensionHarness::<ExtDefaultDecoder>::from_yaml(yaml).unwrap();
    h.capability::<dyn Decoder>().unwrap()
}

fn req(query: &str) -> HttpRequest {
    HttpRequest::new("POST", format!("http://h/write?{query}"))
}

const LINES: &str = "cpu,host=web-1,dc=a usage=0.5,count=3i,ok=true,note=\"hi\" 1700000000\n\
                     \n\
                     mem value=42u 1700000001\n";

#[test]
fn influx_v2_is_one_untyped_metric_per_line_with_db_and_precision() {
    let groups = decoder("Format: influxdb")
        .decode_v2(LINES.as_bytes(), Some(&req("db=mydb&precision=s")))
        .unwrap();
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!(g.group.metadata.get("db").map(|v| v.as_str()), Some("mydb"));
    assert_eq!(g.events.len(), 2);
    let PipelineEvent::Metric(cpu) = &g.events[0] else {
        panic!("{:?}", g.events[0])
    };
    assert_eq!(cpu.name, "cpu");
    assert_eq!(cpu.metric_type, MetricType::Untyped);
    assert_eq!(cpu.timestamp, 1_700_000_000_000_000_000);
    assert_eq!(cpu.tags, Tags::from([("host", "web-1"), ("dc", "a")]));
    let values = cpu.multi_values().unwrap();
    assert_eq!(values.get("usage"), Some(&0.5));
    assert_eq!(values.get("count"), Some(&3.0));
    assert_eq!(
        cpu.typed_values.get("ok"),
        Some(&serde_json::Value::Bool(true))
    );
    assert_eq!(cpu.typed_values.get("note"), Some(&serde_json::json!("hi")));
    let PipelineEvent::Metric(mem) = &g.events[1] else {
        panic!()
    };
    assert_eq!(
        mem.value,
        MetricValue::Multi([("value", 42.0)].into_iter().collect())
    );
}

#[test]
fn influx_v1_is_one_metric_log_per_field_as_ilogtail() {
    let logs = decoder("Format: influx")
        .decode_v1(LINES.as_bytes(), Some(&req("precision=s")))
        .unwrap();
    // `note` (a string) is skipped without FieldsExtend.
    let names: Vec<_> = logs.iter().map(|l| l.get("__name__").unwrap()).collect();
    assert_eq!(names, ["cpu:usage", "cpu:count", "cpu:ok", "mem"]);
    assert_eq!(logs[0].get("__labels__"), Some("dc#$#a|host#$#web-1"));
    assert_eq!(logs[0].get("__value__"), Some("0.5"));
    assert_eq!(logs[2].get("__value__"), Some("1"));
    assert_eq!(logs[3].get("__time_nano__"), Some("1700000001000000000"));
    assert_eq!(logs[3].time, 1_700_000_001);
    assert_eq!(logs[0].get("__type__"), None);
}

#[test]
fn influx_v1_fields_extend_keeps_strings_and_adds_type_field_and_db() {
    let logs = decoder("Format: influxdb\nFieldsExtend: true")
        .decode_v1(b"m.x,a-b=1 note=\"hi\" 5", Some(&req("db=d1")))
        .unwrap();
    assert_eq!(logs.len(), 1);
    let l = &logs[0];
    assert_eq!(l.get("__name__"), Some("m.x:note"));
    assert_eq!(l.get("__labels__"), Some("a-b#$#1"));
    assert_eq!(l.get("__value__"), Some("hi"));
    assert_eq!(l.get("__type__"), Some("string"));
    assert_eq!(l.get("__field__"), Some("note"));
    assert_eq!(l.get("__tag__:db"), Some("d1"));
    // Without it, names are made valid metric names.
    let logs = decoder("Format: influxdb")
        .decode_v1(b"m.x,a-b=1 v=1 5", None)
        .unwrap();
    assert_eq!(logs[0].get("__name__"), Some("m_x:v"));
    assert_eq!(logs[0].get("__labels__"), Some("a_b#$#1"));
}

#[test]
fn influx_without_timestamp_uses_the_pipeline_clock() {
    let mut h = ExtensionHarness::<ExtDefaultDecoder>::from_yaml("Format: influxdb").unwrap();
    let d = h.capability::<dyn Decoder>().unwrap();
    // The harness's context runs on a virtual clock: move it, and the point's time follows.
    h.mock().advance(Duration::from_secs(3600));
    let now = h.mock().now().duration_since(UNIX_EPOCH).unwrap();
    let g = d.decode_v2(b"up value=1", None).unwrap();
    assert_eq!(u128::from(g[0].events[0].timestamp()), now.as_nanos());
}

#[test]
fn influx_errors_name_the_line_and_the_precision() {
    let d = decoder("Format: influxdb");
    let err = d
        .decode_v2(b"ok value=1 1\nbad,tag value=1 2\n", None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("ext_default_decoder (influxdb): line 2: "),
        "{err}"
    );
    let err = d
        .decode_v1(b"ok value=1", Some(&req("precision=d")))
        .unwrap_err();
    assert!(
        err.to_string().contains("precision `d` is not one of"),
        "{err}"
    );
    let err = d.decode_v2(&[0xff, 0xfe], None).unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    let err = d.decode_v2(b"m value=1 -5", None).unwrap_err();
    assert!(
        err.to_string()
            .contains("line 1: timestamp -5 is out of range"),
        "{err}"
    );
}

#[test]
fn raw_is_one_byte_array_in_v2_and_one_content_log_in_v1() {
    let d = decoder("Format: raw");
    let g = d.decode_v2(b"\x00hello", None).unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!(
        g[0].events,
        vec![PipelineEvent::ByteArray(ByteArray(b"\x00hello".to_vec()))]
    );
    let logs = d.decode_v1(b"line one", None).unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].get("content"), Some("line one"));
    assert!(logs[0].time > 0);
}

#[test]
fn json_reads_back_what_the_json_encoder_writes() {
    use crate::ExtDefaultEncoder;
    let mut enc = ExtensionHarness::<ExtDefaultEncoder>::from_yaml("Format: json").unwrap();
    let enc = enc.capability::<dyn Encoder>().unwrap();
    let group = PipelineGroupEvents::new(
        GroupInfo::default(),
        vec![
            pipeplug::models::Log::with_body("hello", Tags::from([("t", "1")]), 7).into(),
            ByteArray(vec![1, 2]).into(),
        ],
    );
    let bytes = enc.encode_v2(&group).unwrap().concat();
    let d = decoder("Format: JSON");
    let back = d.decode_v2(&bytes, None).unwrap();
    assert_eq!(back, vec![group]);
    let logs = d.decode_v1(&bytes, None).unwrap();
    assert_eq!(logs.len(), 2);
    let first = String::from_utf8_lossy(&bytes)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let err = d
        .decode_v2(format!("{first}\nnot json\n").as_bytes(), None)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("ext_default_decoder (json): line 2: "),
        "{err}"
    );
}

#[test]
fn an_unsupported_format_fails_init_naming_the_supported_ones() {
    let mut h = ExtensionHarness::<ExtDefaultDecoder>::from_yaml("Format: prometheus").unwrap();
    let err = h.init().unwrap_err().to_string();
    assert!(
        err.contains(
            "format `prometheus` is not supported (supported: raw, influx, influxdb, json)"
        ),
        "{err}"
    );
    let err = ExtensionHarness::<ExtDefaultDecoder>::from_yaml("FieldsExtend: true")
        .unwrap_err()
        .to_string();
    assert!(err.contains("key `Format` is required"), "{err}");
}

fn json_events_of(text: &str) -> Vec<PipelineEvent> {
    let groups = decoder("Format: json")
        .decode_v2(text.as_bytes(), None)
        .unwrap();
    assert_eq!(groups.len(), 1);
    groups.into_iter().next().unwrap().events
}

fn log_of(e: &PipelineEvent) -> &pipeplug::models::Log {
    match e {
        PipelineEvent::Log(l) => l,
        other => panic!("not a log: {other:?}"),
    }
}

#[test]
fn json_plain_objects_become_logs_with_their_keys_typed() {
    let events = json_events_of(
        "{\"a\":1,\"b\":\"x\",\"f\":1.5,\"t\":false,\"n\":null,\"o\":{\"k\":[1]},\"big\":18446744073709551615}\n",
    );
    let log = log_of(&events[0]);
    use pipeplug::models::LogValue;
    assert_eq!(log.contents.get("a"), Some(&LogValue::Int(1)));
    assert_eq!(log.contents.get("b"), Some(&LogValue::String("x".into())));
    assert_eq!(log.contents.get("f"), Some(&LogValue::Float(1.5)));
    assert_eq!(log.contents.get("t"), Some(&LogValue::Bool(false)));
    assert_eq!(log.contents.get("n"), Some(&LogValue::String("".into())));
    assert_eq!(
        log.contents.get("o"),
        Some(&LogValue::String("{\"k\":[1]}".into()))
    );
    assert_eq!(
        log.contents.get("big"),
        Some(&LogValue::String("18446744073709551615".into()))
    );
    assert!(log.timestamp > 0, "the clock's now");
}

#[test]
fn json_custom_single_and_flatten_lines_keep_tags_and_time_in_any_unit() {
    let events = json_events_of(concat!(
        "{\"contents\":{\"m\":\"a\"},\"tags\":{\"h\":\"x\",\"n\":2},\"time\":1700000000}\n",
        "{\"contents\":{\"m\":\"b\"},\"time\":1700000000123}\n",
        "{\"m\":\"c\",\"__time__\":1700000000123456,\"__tag__:h\":\"y\"}\n",
        "{\"m\":\"d\",\"__time__\":1700000000123456789}\n",
        "{\"m\":\"e\",\"__time__\":1700000000.5}\n",
        // `contents` with other keys besides: a plain object, `contents` kept as text.
        "{\"contents\":{\"m\":1},\"other\":1}\n",
        // custom_single_flatten: a numeric `time` is the time, and stays a content.
        "{\"a\":\"2\",\"host.ip\":\"\",\"time\":1700000002}\n",
        // A time of 0 (a log without one): now.
        "{\"contents\":{},\"time\":0}\n",
        // A `time` that is not a number is only a content.
        "{\"time\":\"yesterday\"}\n",
    ));
    let times: Vec<u64> = events.iter().take(5).map(|e| log_of(e).timestamp).collect();
    assert_eq!(
        times,
        [
            1_700_000_000_000_000_000,
            1_700_000_000_123_000_000,
            1_700_000_000_123_456_000,
            1_700_000_000_123_456_789,
            1_700_000_000_500_000_000
        ]
    );
    let first = log_of(&events[0]);
    assert_eq!(
        first.tags.get("h").map(|v| v.to_string()),
        Some("x".to_owned())
    );
    assert_eq!(
        first.tags.get("n").map(|v| v.to_string()),
        Some("2".to_owned())
    );
    let flat = log_of(&events[2]);
    assert_eq!(
        flat.tags.get("h").map(|v| v.to_string()),
        Some("y".to_owned())
    );
    assert!(flat.contents.get("__tag__:h").is_none());
    let plain = log_of(&events[5]);
    assert!(plain.contents.get("contents").is_some());
    assert!(plain.contents.get("other").is_some());
    let flatten = log_of(&events[6]);
    assert_eq!(flatten.timestamp, 1_700_000_002_000_000_000);
    assert_eq!(
        flatten.contents.get("time"),
        Some(&pipeplug::models::LogValue::Int(1_700_000_002))
    );
    assert!(flatten.contents.get("host.ip").is_some());
    let now = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    for e in &events[7..] {
        let t = log_of(e).timestamp;
        assert!(t.abs_diff(now) < 60_000_000_000, "now-ish: {t}");
    }
}

#[test]
fn json_plain_objects_in_v1_become_logs_with_their_keys() {
    let logs = decoder("Format: json")
        .decode_v1(b"{\"a\":1,\"b\":\"x\",\"__time__\":1700000000}\n", None)
        .unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].get("a"), Some("1"));
    assert_eq!(logs[0].get("b"), Some("x"));
    assert_eq!(logs[0].time, 1_700_000_000);
}

#[test]
fn json_lines_that_are_not_objects_or_have_bad_times_are_errors_naming_the_line() {
    let cases = [
        ("[1,2]", "line 1: expected a JSON object, found an array"),
        (
            "{\"a\":1}\n\"s\"",
            "line 2: expected a JSON object, found a string",
        ),
        (
            "{\"__time__\":\"now\"}",
            "line 1: `__time__` must be a number (a Unix time), found a string",
        ),
        (
            "{\"contents\":{},\"time\":-5}",
            "line 1: `time` must not be negative, found -5",
        ),
        (
            "{\"contents\":{},\"tags\":[1]}",
            "line 1: `tags` must be an object, found an array",
        ),
    ];
    for (text, want) in cases {
        let err = decoder("Format: json")
            .decode_v2(text.as_bytes(), None)
            .unwrap_err()
            .to_string();
        assert_eq!(err, format!("ext_default_decoder (json): {want}"), "{text}");
    }
}
