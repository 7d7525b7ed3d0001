//! V1 ↔ V2 conversion, with iLogtail's conventions. Every adapter uses these functions.
//!
//! | V2 | V1 |
//! |---|---|
//! | [`Log`](models::Log) | a log with the same contents (values as text), then each event tag as `__tag__:key`; time from `timestamp` |
//! | [`Metric`](models::Metric) | a log with `__name__`, `__labels__` (`k#$#v\|k#$#v`, sorted by key), `__value__`, `__time_nano__` |
//! | [`Span`](models::Span) | a log with `traceID`, `spanID`, `parentSpanID`, `name`, `kind`, `status`, `startTime`, `endTime`, `duration` (ns), `traceState`, `attributes`, `links` and `events` (JSON) |
//! | [`ByteArray`](models::ByteArray) | a log with one content `content`, the bytes as UTF-8 (invalid sequences replaced) |
//! | [`GroupInfo`](models::GroupInfo) | `LogGroup` tags from group tags; `category`, `topic`, `source`, `machine_uuid` from metadata of those names |
//!
//! A V1 log becomes a V2 [`Log`](models::Log) event with the same contents, in order, and
//! `timestamp = time * 10^9 + time_ns`. V1 → V2 → V1 is the identity for logs whose keys are
//! unique (V2 contents are a map: of repeated keys the last value is kept, at the first
//! key's position) and whose `time_ns` is not `Some(0)` (which becomes `None`; both mean the
//! same instant). [`v1_log_to_metric`] reads a metric log back.

use crate::models::{
    self, ByteArray, GroupInfo, KeyValues, LogValue, Metadata, Metric, MetricValue,
    PipelineEvent, PipelineGroupEvents, Span, Tags,
};
use crate::protocol::{Log, LogContent, LogGroup, LogTag};

/// Key of a metric's name in a V1 metric log.
pub const METRIC_NAME_KEY: &str = "__name__";
/// Key of a metric's labels in a V1 metric log.
pub const METRIC_LABELS_KEY: &str = "__labels__";
/// Key of a metric's value in a V1 metric log.
pub const METRIC_VALUE_KEY: &str = "__value__";
/// Key of a metric's time in nanoseconds in a V1 metric log.
pub const METRIC_TIME_NANO_KEY: &str = "__time_nano__";
/// Separator between a label's key and value.
pub const LABEL_KV_SEPARATOR: &str = "#$#";
/// Separator between labels.
pub const LABEL_SEPARATOR: &str = "|";
/// Prefix of event tags written as V1 contents.
pub const TAG_PREFIX: &str = "__tag__:";

/// A V1 log as a V2 log event.
#[must_use]
pub fn v1_log_to_v2(log: &Log) -> models::Log {
    let mut contents = KeyValues::new();
    for c in &log.contents {
        contents.add(c.key.clone(), LogValue::String(c.value.clone()));
    }
    models::Log {
        timestamp: log.timestamp_nanos(),
        contents,
        ..models::Log::default()
    }
}

/// A V2 log event as a V1 log.
#[must_use]
pub fn v2_log_to_v1(log: &models::Log) -> Log {
    let mut out = Log::default();
    out.contents.reserve(log.contents.len() + log.tags.len());
    for (k, v) in log.contents.iter() {
        let value = match v {
            LogValue::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.contents.push(LogContent {
            key: k.to_owned(),
            value,
        });
    }
    for (k, v) in log.tags.iter() {
        out.contents
            .push(LogContent::new(format!("{TAG_PREFIX}{k}"), v.clone()));
    }
    out.set_time_nanos(log.timestamp);
    out
}

/// Labels as `k#$#v|k#$#v`, sorted by key.
#[must_use]
pub fn format_labels(tags: &Tags) -> String {
    let mut s = String::new();
    for (i, (k, v)) in tags.sorted().into_iter().enumerate() {
        if i > 0 {
            s.push_str(LABEL_SEPARATOR);
        }
        s.push_str(k);
        s.push_str(LABEL_KV_SEPARATOR);
        s.push_str(v);
    }
    s
}

/// Parses `k#$#v|k#$#v` labels; a label without `#$#` becomes a key with an empty value.
#[must_use]
pub fn parse_labels(s: &str) -> Tags {
    let mut tags = Tags::new();
    if s.is_empty() {
        return tags;
    }
    for label in s.split(LABEL_SEPARATOR) {
        match label.split_once(LABEL_KV_SEPARATOR) {
            Some((k, v)) => tags.add(k, v),
            None => tags.add(label, ""),
        }
    }
    tags
}

/// A metric as a V1 log. A multi-value metric gets one log per value, named
/// `name:field` (iLogtail's convention for multi-value metrics in V1).
#[must_use]
pub fn metric_to_v1_logs(metric: &Metric) -> Vec<Log> {
    match &metric.value {
        MetricValue::Single(v) => vec![metric_log(&metric.name, metric, *v)],
        MetricValue::Multi(values) => values
            .iter()
            .map(|(field, v)| metric_log(&format!("{}:{field}", metric.name), metric, *v))
            .collect(),
    }
}

fn metric_log(name: &str, metric: &Metric, value: f64) -> Log {
    let mut log = Log {
        contents: vec![
            LogContent::new(METRIC_NAME_KEY, name),
            LogContent::new(METRIC_LABELS_KEY, format_labels(&metric.tags)),
            LogContent::new(METRIC_VALUE_KEY, format_value(value)),
            LogContent::new(METRIC_TIME_NANO_KEY, metric.timestamp.to_string()),
        ],
        ..Log::default()
    };
    log.set_time_nanos(metric.timestamp);
    log
}

/// A metric value as V1 text: the shortest form that reads back to the same number.
#[must_use]
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{v}")
    }
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

/// Reads a V1 metric log back into a single-value metric (type `Untyped`, as V1 logs do not
/// carry it). `None` when `__name__` or `__value__` is missing or the value is not a number.
#[must_use]
pub fn v1_log_to_metric(log: &Log) -> Option<Metric> {
    let name = log.get(METRIC_NAME_KEY)?;
    let value = parse_value(log.get(METRIC_VALUE_KEY)?)?;
    let tags = log.get(METRIC_LABELS_KEY).map(parse_labels).unwrap_or_default();
    let timestamp = log
        .get(METRIC_TIME_NANO_KEY)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| log.timestamp_nanos());
    Some(models::new_single_value_metric(
        name,
        models::MetricType::Untyped,
        tags,
        timestamp,
        value,
    ))
}

/// A span as a V1 log (see the module docs for the keys).
#[must_use]
pub fn span_to_v1_log(span: &Span) -> Log {
    let json = |v: serde_json::Result<String>| v.unwrap_or_default();
    let mut log = Log::new(
        0,
        [
            ("traceID", span.trace_id.clone()),
            ("spanID", span.span_id.clone()),
            ("parentSpanID", span.parent_span_id.clone()),
            ("name", span.name.clone()),
            ("kind", format!("{:?}", span.kind)),
            ("status", format!("{:?}", span.status)),
            ("startTime", span.start_time.to_string()),
            ("endTime", span.end_time.to_string()),
            (
                "duration",
                span.end_time.saturating_sub(span.start_time).to_string(),
            ),
            ("traceState", span.trace_state.clone()),
            ("attributes", json(serde_json::to_string(&span.tags))),
            ("links", json(serde_json::to_string(&span.links))),
            ("events", json(serde_json::to_string(&span.events))),
        ],
    );
    log.set_time_nanos(span.start_time);
    log
}

/// Raw bytes as a V1 log with one content `content`.
#[must_use]
pub fn byte_array_to_v1_log(bytes: &ByteArray) -> Log {
    Log::new(
        0,
        [(
            models::BODY_KEY,
            String::from_utf8_lossy(&bytes.0).into_owned(),
        )],
    )
}

/// Any event as V1 logs (one, or one per value for multi-value metrics).
#[must_use]
pub fn event_to_v1_logs(event: &PipelineEvent) -> Vec<Log> {
    match event {
        PipelineEvent::Log(l) => vec![v2_log_to_v1(l)],
        PipelineEvent::Metric(m) => metric_to_v1_logs(m),
        PipelineEvent::Span(s) => vec![span_to_v1_log(s)],
        PipelineEvent::ByteArray(b) => vec![byte_array_to_v1_log(b)],
    }
}

const META_KEYS: [&str; 4] = ["category", "topic", "source", "machine_uuid"];

/// A V2 group as a V1 log group.
#[must_use]
pub fn group_to_v1(group: &PipelineGroupEvents) -> LogGroup {
    let meta = |k: &str| group.group.metadata.get(k).cloned().unwrap_or_default();
    LogGroup {
        logs: group.events.iter().flat_map(event_to_v1_logs).collect(),
        category: meta("category"),
        topic: meta("topic"),
        source: meta("source"),
        machine_uuid: meta("machine_uuid"),
        log_tags: group
            .group
            .tags
            .iter()
            .map(|(k, v)| LogTag::new(k, v.clone()))
            .collect(),
    }
}

/// A V1 log group as a V2 group of log events.
#[must_use]
pub fn group_to_v2(group: &LogGroup) -> PipelineGroupEvents {
    let mut metadata = Metadata::new();
    for (k, v) in META_KEYS.iter().zip([
        &group.category,
        &group.topic,
        &group.source,
        &group.machine_uuid,
    ]) {
        if !v.is_empty() {
            metadata.add(*k, v.clone());
        }
    }
    PipelineGroupEvents {
        group: GroupInfo {
            metadata,
            tags: group
                .log_tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
        },
        events: group
            .logs
            .iter()
            .map(|l| PipelineEvent::Log(v1_log_to_v2(l)))
            .collect(),
    }
}

/// V1 logs as one V2 group with no metadata or tags.
#[must_use]
pub fn logs_to_group(logs: &[Log]) -> PipelineGroupEvents {
    PipelineGroupEvents {
        group: GroupInfo::default(),
        events: logs
            .iter()
            .map(|l| PipelineEvent::Log(v1_log_to_v2(l)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{new_single_value_metric, new_tags_with_key_values, MetricType};

    #[test]
    fn metric_log_has_ilogtail_keys() {
        let m = new_single_value_metric(
            "test_metric",
            MetricType::Counter,
            new_tags_with_key_values(&["z", "1", "hello", "world"]),
            1_700_000_000_123_456_789,
            1.0,
        );
        let logs = metric_to_v1_logs(&m);
        let log = &logs[0];
        assert_eq!(log.get("__name__"), Some("test_metric"));
        assert_eq!(log.get("__labels__"), Some("hello#$#world|z#$#1"));
        assert_eq!(log.get("__value__"), Some("1"));
        assert_eq!(log.get("__time_nano__"), Some("1700000000123456789"));
        assert_eq!(log.time, 1_700_000_000);
        let back = v1_log_to_metric(log).unwrap();
        assert_eq!(back.tags, m.tags.sorted().into_iter().map(|(k, v)| (k, v.clone())).collect());
        assert_eq!(back.single_value(), Some(1.0));
    }

    #[test]
    fn repeated_v1_keys_keep_the_last_value() {
        let log = Log::new(1, [("a", "1"), ("b", "2"), ("a", "3")]);
        let v2 = v1_log_to_v2(&log);
        assert_eq!(v2.contents.get("a"), Some(&LogValue::from("3")));
        assert_eq!(v2_log_to_v1(&v2).contents.len(), 2);
    }

    #[test]
    fn event_tags_become_tag_contents() {
        let mut l = models::new_simple_log("body", new_tags_with_key_values(&["k", "v"]), 5);
        l.contents.add("n", 3_i64);
        let v1 = v2_log_to_v1(&l);
        assert_eq!(v1.get("content"), Some("body"));
        assert_eq!(v1.get("n"), Some("3"));
        assert_eq!(v1.get("__tag__:k"), Some("v"));
    }

    #[test]
    fn groups_round_trip_metadata_and_tags() {
        let g = LogGroup {
            logs: vec![Log::new(3, [("a", "b")])],
            topic: "t".into(),
            source: "s".into(),
            log_tags: vec![LogTag::new("x", "y")],
            ..LogGroup::default()
        };
        assert_eq!(group_to_v1(&group_to_v2(&g)), g);
    }
}
