//! V1 ↔ V2 conversion, with iLogtail's conventions. Every adapter uses these functions.
//!
//! # V2 → V1
//!
//! | V2 | V1 |
//! |---|---|
//! | [`Log`](models::Log) | a log with the same contents, in order (values as text, see [`LogValue`]'s `Display`), then each event tag as a `__tag__:key` content; time from `timestamp` |
//! | [`Metric`] | a log with `__name__`, `__time_nano__`, `__labels__` (`k#$#v\|k#$#v`, sorted by key), `__value__` (Go's number format: `1`, `1.5`, `1e+06`, `NaN`, `+Inf`), in that order, as iLogtail's `helper.NewMetricLog` writes it |
//! | multi-value [`Metric`] | one such log per value, named `name_field`, sorted by field; then one per typed value (`name_field`, the value as text); a metric with no value at all still gives one log, with an empty `__value__` |
//! | [`Span`] | a log with `traceID`, `spanID`, `parentSpanID`, `name`, `kind`, `status`, `startTime`, `endTime`, `duration` (ns), `traceState`, `attributes`, `links` and `events` (JSON); time from `start_time` |
//! | [`ByteArray`] | a log with one content `content`, the bytes as UTF-8 (invalid sequences replaced); time 0 (a collector sets it to now) |
//! | [`GroupInfo`] | [`group_to_v1`]: `LogGroup` tags from group tags; `category`, `topic`, `source`, `machine_uuid` from the metadata keys of those names (other metadata is dropped). [`group_to_v1_logs`], for V1 plugins that take logs without a group: each log gets the group tags as `__tag__:key` contents |
//!
//! A V2 log's `name`, `level`, `span_id`, `trace_id`, `observed_timestamp`, `offset` and
//! `raw_size` have no place in a V1 log and are dropped; so are a metric's `metric_type`,
//! `unit` and `description`.
//!
//! # V1 → V2
//!
//! [`v1_log_to_v2`] makes a V2 [`Log`](models::Log) event with the same contents, in order,
//! as text values, and `timestamp = time * 10^9 + time_ns`. [`v1_log_to_v2_with_tags`]
//! also moves `__tag__:key` contents into the event's tags (what the adapters hand to V2
//! plugins). [`v1_log_to_metric`] reads a metric log back; [`group_to_v2`] converts a whole
//! log group.
//!
//! # What round-trips
//!
//! - **V1 → V2 → V1** ([`v1_log_to_v2`] then [`v2_log_to_v1`]) is the identity for every V1
//!   log whose keys are unique and whose `time_ns` is below 10^9, except that
//!   `time_ns: Some(0)` comes back as `None`: both mean the same instant, and the V2 event
//!   has one `u64` of nanoseconds, with no room to remember which of the two it was. (V2
//!   contents are a map: of repeated keys the last value is kept, at the first key's
//!   position. A `time_ns` of 10^9 or more is not a V1 time; it is carried into the
//!   seconds.)
//! - **V2 → V1 → V2** ([`v2_log_to_v1`] then [`v1_log_to_v2_with_tags`]) keeps the contents
//!   (as text) and the tags of a log whose content keys do not start with `__tag__:`, and
//!   its timestamp unless the seconds exceed `u32::MAX` (year 2106; they saturate).
//! - **Metric → V1 → metric** ([`metric_to_v1_logs`] then [`v1_log_to_metric`]) keeps a
//!   single-value metric's name, labels, value (bit for bit, NaN aside: any NaN reads back
//!   as NaN) and time (`__time_nano__` carries the full `u64`). The type reads back as
//!   `Untyped`. **Limitation:** the `__labels__` text has no escaping, as in iLogtail, so
//!   labels only read back when no key or value contains `|`, and no key contains `#$#` or
//!   ends with `#$` (either makes the first `#$#` of the label ambiguous). Values may
//!   contain `#$#`.
//! - **Log group V1 → V2 → V1** ([`group_to_v2`] then [`group_to_v1`]) is the identity
//!   under the log conditions above, for groups whose tag keys are unique.

use crate::models::{
    self, float, ByteArray, GroupInfo, KeyValues, LogValue, Metadata, Metric, MetricValue,
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
/// Between a multi-value metric's name and a field, in the V1 name (`name_field`).
pub const METRIC_FIELD_SEPARATOR: &str = "_";
/// Prefix of event tags written as V1 contents.
pub const TAG_PREFIX: &str = "__tag__:";

/// A V1 log as a V2 log event: the same contents, in order, as text values; the time in
/// nanoseconds. Nothing is interpreted (see [`v1_log_to_v2_with_tags`]).
#[must_use]
pub fn v1_log_to_v2(log: &Log) -> models::Log {
    let mut contents = KeyValues::with_capacity(log.contents.len());
    for c in &log.contents {
        contents.add(c.key.clone(), LogValue::String(c.value.clone()));
    }
    models::Log {
        timestamp: log.timestamp_nanos(),
        contents,
        ..models::Log::default()
    }
}

/// A V1 log as a V2 log event, with its `__tag__:key` contents moved into the event's tags
/// (the inverse of how [`v2_log_to_v1`] writes tags).
#[must_use]
pub fn v1_log_to_v2_with_tags(log: &Log) -> models::Log {
    let mut contents = KeyValues::with_capacity(log.contents.len());
    let mut tags = Tags::new();
    for c in &log.contents {
        match c.key.strip_prefix(TAG_PREFIX) {
            Some(tag) => tags.add(tag, c.value.clone()),
            None => contents.add(c.key.clone(), LogValue::String(c.value.clone())),
        }
    }
    models::Log {
        timestamp: log.timestamp_nanos(),
        contents,
        tags,
        ..models::Log::default()
    }
}

/// A V2 log event as a V1 log: its contents as text, then its tags as `__tag__:key`
/// contents.
#[must_use]
pub fn v2_log_to_v1(log: &models::Log) -> Log {
    let mut out = Log::default();
    out.contents.reserve(log.contents.len() + log.tags.len());
    for (k, v) in log.contents.iter() {
        let value = match v {
            LogValue::String(s) => s.clone(),
            other => compact_str::ToCompactString::to_compact_string(other),
        };
        out.contents.push(LogContent {
            key: k.into(),
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

/// Labels as `k#$#v|k#$#v`, sorted by key (no escaping: see the module docs).
#[must_use]
pub fn format_labels(tags: &Tags) -> String {
    join_labels(tags.sorted().into_iter().map(|(k, v)| (k, v.as_str())))
}

/// Labels, already in order, as `k#$#v|k#$#v`.
fn join_labels<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = String::new();
    for (i, (k, v)) in labels.into_iter().enumerate() {
        if i > 0 {
            s.push_str(LABEL_SEPARATOR);
        }
        s.push_str(k);
        s.push_str(LABEL_KV_SEPARATOR);
        s.push_str(v);
    }
    s
}

/// Parses `k#$#v|k#$#v` labels, splitting each label at its first `#$#`; a label without
/// `#$#` becomes a key with an empty value. Never fails: any text gives some labels.
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

/// A metric as V1 logs: one for a single-value metric; one per value (named `name_field`,
/// sorted by field) then one per typed value for a multi-value one; see the module docs.
#[must_use]
pub fn metric_to_v1_logs(metric: &Metric) -> Vec<Log> {
    let labels = format_labels(&metric.tags);
    let field_name = |field: &str| format!("{}{METRIC_FIELD_SEPARATOR}{field}", metric.name);
    let mut logs = Vec::with_capacity(1);
    match &metric.value {
        MetricValue::Single(v) => {
            logs.push(metric_log(
                &metric.name,
                metric.timestamp,
                &labels,
                format_value(*v),
            ));
        }
        MetricValue::Multi(values) => {
            for (field, v) in values.sorted() {
                let name = field_name(field);
                logs.push(metric_log(
                    &name,
                    metric.timestamp,
                    &labels,
                    format_value(*v),
                ));
            }
        }
    }
    for (field, v) in metric.typed_values.sorted() {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        logs.push(metric_log(
            &field_name(field),
            metric.timestamp,
            &labels,
            text,
        ));
    }
    if logs.is_empty() {
        // No value at all: still say the metric was there, as iLogtail does.
        logs.push(metric_log(
            &metric.name,
            metric.timestamp,
            &labels,
            String::new(),
        ));
    }
    logs
}

/// A V1 metric log from its parts, as iLogtail's `helper.NewMetricLog` makes it: contents
/// `__name__`, `__time_nano__`, `__labels__` (`k#$#v|k#$#v`, sorted by key; labels of the
/// same key keep their order), `__value__` (Go's number format, see [`format_value`]), in
/// that order; the log's time is `time_nanos`. [`v1_log_to_metric`] reads one back.
///
/// ```
/// use pipeplug::convert::{new_metric_log, v1_log_to_metric};
///
/// let log = new_metric_log("cpu_usage", &[("host", "h1"), ("core", "0")], 0.5, 1_700_000_000_000_000_000);
/// assert_eq!(log.get("__name__"), Some("cpu_usage"));
/// assert_eq!(log.get("__labels__"), Some("core#$#0|host#$#h1"));
/// assert_eq!(log.get("__value__"), Some("0.5"));
/// assert_eq!(log.get("__time_nano__"), Some("1700000000000000000"));
/// assert_eq!(log.time, 1_700_000_000);
///
/// let metric = v1_log_to_metric(&log).unwrap();
/// assert_eq!(metric.single_value(), Some(0.5));
/// assert_eq!(metric.tags.get("host").map(|v| v.as_str()), Some("h1"));
/// ```
#[must_use]
pub fn new_metric_log(name: &str, labels: &[(&str, &str)], value: f64, time_nanos: u64) -> Log {
    let mut sorted = labels.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    metric_log(name, time_nanos, &join_labels(sorted), format_value(value))
}

fn metric_log(name: &str, timestamp: u64, labels: &str, value: String) -> Log {
    let mut log = Log {
        contents: vec![
            LogContent::new(METRIC_NAME_KEY, name),
            LogContent::new(
                METRIC_TIME_NANO_KEY,
                compact_str::ToCompactString::to_compact_string(&timestamp),
            ),
            LogContent::new(METRIC_LABELS_KEY, labels),
            LogContent::new(METRIC_VALUE_KEY, value),
        ],
        ..Log::default()
    };
    log.set_time_nanos(timestamp);
    log
}

/// A metric value as V1 text, as Go's `strconv.FormatFloat(v, 'g', -1, 64)` writes it: the
/// fewest digits that read back to the same number (`1`, `0.25`, `1e+06`, `1.5e-05`),
/// `NaN`, `+Inf`, `-Inf`, and iLogtail's `__STALE_NAN__` for the stale-sample NaN.
#[must_use]
pub fn format_value(v: f64) -> String {
    float::format_go(v)
}

/// Reads a V1 metric value: any number Rust or Go writes, `NaN`, `+Inf`, `Inf`, `-Inf`,
/// `__STALE_NAN__`. `None` for anything else.
#[must_use]
pub fn parse_value(s: &str) -> Option<f64> {
    float::parse_go(s)
}

/// Reads a V1 metric log back into a single-value metric (type `Untyped`, as V1 logs do not
/// carry it). The time is `__time_nano__`, else the log's time. `None` when `__name__` or
/// `__value__` is missing or the value is not a number.
#[must_use]
pub fn v1_log_to_metric(log: &Log) -> Option<Metric> {
    let name = log.get(METRIC_NAME_KEY)?;
    let value = parse_value(log.get(METRIC_VALUE_KEY)?)?;
    let tags = log
        .get(METRIC_LABELS_KEY)
        .map(parse_labels)
        .unwrap_or_default();
    let timestamp = log
        .get(METRIC_TIME_NANO_KEY)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| log.timestamp_nanos());
    Some(Metric::single(
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
    // Serializing string maps and plain structs cannot fail; an empty text would do if it did.
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

/// The metadata keys that map onto [`LogGroup`] fields.
pub const GROUP_METADATA_KEYS: [&str; 4] = ["category", "topic", "source", "machine_uuid"];

/// A V2 group as a V1 log group (see the module docs).
#[must_use]
pub fn group_to_v1(group: &PipelineGroupEvents) -> LogGroup {
    let meta = |k: &str| {
        group
            .group
            .metadata
            .get(k)
            .map(ToString::to_string)
            .unwrap_or_default()
    };
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

/// A V2 group as V1 logs without a group, for V1 plugins that take bare logs (processors,
/// collectors, aggregators): each log gets the group tags as `__tag__:key` contents, after
/// its own.
#[must_use]
pub fn group_to_v1_logs(group: &PipelineGroupEvents) -> Vec<Log> {
    let mut logs: Vec<Log> = group.events.iter().flat_map(event_to_v1_logs).collect();
    if !group.group.tags.is_empty() {
        for log in &mut logs {
            for (k, v) in group.group.tags.iter() {
                log.push(format!("{TAG_PREFIX}{k}"), v.clone());
            }
        }
    }
    logs
}

fn group_info_of(group: &LogGroup) -> GroupInfo {
    let mut metadata = Metadata::new();
    for (k, v) in GROUP_METADATA_KEYS.iter().zip([
        &group.category,
        &group.topic,
        &group.source,
        &group.machine_uuid,
    ]) {
        if !v.is_empty() {
            metadata.add(*k, v.clone());
        }
    }
    GroupInfo {
        metadata,
        tags: group
            .log_tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect(),
    }
}

/// A V1 log group as a V2 group of log events, contents kept verbatim ([`v1_log_to_v2`]):
/// the non-empty `category`, `topic`, `source`, `machine_uuid` become metadata, the log
/// tags group tags.
#[must_use]
pub fn group_to_v2(group: &LogGroup) -> PipelineGroupEvents {
    PipelineGroupEvents {
        group: group_info_of(group),
        events: group
            .logs
            .iter()
            .map(|l| PipelineEvent::Log(v1_log_to_v2(l)))
            .collect(),
    }
}

/// As [`group_to_v2`], with each log's `__tag__:key` contents moved into its event tags
/// ([`v1_log_to_v2_with_tags`]).
#[must_use]
pub fn group_to_v2_with_tags(group: &LogGroup) -> PipelineGroupEvents {
    PipelineGroupEvents {
        group: group_info_of(group),
        events: group
            .logs
            .iter()
            .map(|l| PipelineEvent::Log(v1_log_to_v2_with_tags(l)))
            .collect(),
    }
}

/// V1 logs as one V2 group with no metadata or tags, contents kept verbatim.
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
    use crate::compat::{
        new_metric_multi_value_with_map, new_multi_values_metric, new_tags_with_key_values,
    };
    use crate::models::MetricType;

    fn keys(log: &Log) -> Vec<&str> {
        log.contents.iter().map(|c| c.key.as_str()).collect()
    }

    #[test]
    fn metric_log_is_what_ilogtail_writes() {
        let m = Metric::single(
            "test_metric",
            MetricType::Counter,
            new_tags_with_key_values(&["z", "1", "hello", "world"]),
            1_700_000_000_123_456_789,
            1.0,
        );
        let logs = metric_to_v1_logs(&m);
        assert_eq!(logs.len(), 1);
        let log = &logs[0];
        assert_eq!(
            keys(log),
            ["__name__", "__time_nano__", "__labels__", "__value__"]
        );
        assert_eq!(log.get("__name__"), Some("test_metric"));
        assert_eq!(log.get("__labels__"), Some("hello#$#world|z#$#1"));
        assert_eq!(log.get("__value__"), Some("1"));
        assert_eq!(log.get("__time_nano__"), Some("1700000000123456789"));
        assert_eq!((log.time, log.time_ns), (1_700_000_000, Some(123_456_789)));
        let back = v1_log_to_metric(log).unwrap();
        assert_eq!(back.name, "test_metric");
        assert_eq!(back.tags, m.tags);
        assert_eq!(back.single_value(), Some(1.0));
        assert_eq!(back.timestamp, m.timestamp);
        assert_eq!(back.metric_type, MetricType::Untyped);
    }

    #[test]
    fn new_metric_log_is_what_a_metric_converts_to() {
        let m = Metric::single(
            "rt",
            MetricType::Gauge,
            new_tags_with_key_values(&["z", "1", "a", "x|y"]),
            1_500_000_000,
            2_500_000.0,
        );
        let log = new_metric_log(
            "rt",
            &[("z", "1"), ("a", "x|y")],
            2_500_000.0,
            1_500_000_000,
        );
        assert_eq!(log, metric_to_v1_logs(&m)[0]);
        assert_eq!(log.get("__labels__"), Some("a#$#x|y|z#$#1"));
        assert_eq!(log.get("__value__"), Some("2.5e+06"));
        assert_eq!((log.time, log.time_ns), (1, Some(500_000_000)));
        let bare = new_metric_log("up", &[], f64::NAN, 0);
        assert_eq!(bare.get("__labels__"), Some(""));
        assert_eq!(bare.get("__value__"), Some("NaN"));
    }

    #[test]
    fn large_values_use_go_exponent_form() {
        let m = Metric::single("m", MetricType::Gauge, Tags::new(), 0, 2_500_000);
        assert_eq!(metric_to_v1_logs(&m)[0].get("__value__"), Some("2.5e+06"));
    }

    #[test]
    fn multi_value_metric_gives_one_log_per_field_sorted() {
        let values = new_metric_multi_value_with_map([("sum", 10.0), ("count", 2.0)]);
        let mut m = new_multi_values_metric("rt", MetricType::Summary, Tags::new(), 5, values);
        m.typed_values.add("state", serde_json::Value::from("ok"));
        let logs = metric_to_v1_logs(&m);
        let names: Vec<_> = logs.iter().filter_map(|l| l.get("__name__")).collect();
        assert_eq!(names, ["rt_count", "rt_sum", "rt_state"]);
        let values: Vec<_> = logs.iter().filter_map(|l| l.get("__value__")).collect();
        assert_eq!(values, ["2", "10", "ok"]);
    }

    #[test]
    fn metric_without_values_is_not_dropped() {
        let m =
            new_multi_values_metric("empty", MetricType::Gauge, Tags::new(), 5, KeyValues::new());
        let logs = metric_to_v1_logs(&m);
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].get("__name__"), Some("empty"));
        assert_eq!(logs[0].get("__value__"), Some(""));
        assert_eq!(v1_log_to_metric(&logs[0]), None);
    }

    #[test]
    fn metric_log_without_time_nano_uses_the_log_time() {
        let log = Log::new(7, [("__name__", "m"), ("__value__", "+Inf")]);
        let m = v1_log_to_metric(&log).unwrap();
        assert_eq!(m.timestamp, 7_000_000_000);
        assert_eq!(m.single_value(), Some(f64::INFINITY));
        assert!(m.tags.is_empty());
        assert_eq!(v1_log_to_metric(&Log::new(7, [("__name__", "m")])), None);
        let bad = Log::new(7, [("__name__", "m"), ("__value__", "high")]);
        assert_eq!(v1_log_to_metric(&bad), None);
    }

    #[test]
    fn labels_split_at_the_first_separator() {
        let tags = parse_labels("a#$#x#$#y|b|#$#");
        assert_eq!(tags.get("a").map(|v| v.as_str()), Some("x#$#y"));
        assert_eq!(tags.get("b").map(|v| v.as_str()), Some(""));
        assert_eq!(tags.get("").map(|v| v.as_str()), Some(""));
        assert!(parse_labels("").is_empty());
    }

    #[test]
    fn repeated_v1_keys_keep_the_last_value() {
        let log = Log::new(1, [("a", "1"), ("b", "2"), ("a", "3")]);
        let v2 = v1_log_to_v2(&log);
        assert_eq!(v2.contents.get("a"), Some(&LogValue::from("3")));
        assert_eq!(keys(&v2_log_to_v1(&v2)), ["a", "b"]);
    }

    #[test]
    fn event_tags_become_tag_contents_and_back() {
        let mut l = crate::compat::new_simple_log("body", Tags::from([("k", "v")]), 5);
        l.contents.add("n", 3_i64);
        l.contents.add("ratio", 0.5);
        let v1 = v2_log_to_v1(&l);
        assert_eq!(keys(&v1), ["content", "n", "ratio", "__tag__:k"]);
        assert_eq!(v1.get("n"), Some("3"));
        assert_eq!(v1.get("ratio"), Some("0.5"));
        assert_eq!(v1.get("__tag__:k"), Some("v"));
        let back = v1_log_to_v2_with_tags(&v1);
        assert_eq!(back.tags, l.tags);
        assert_eq!(back.contents.get("n"), Some(&LogValue::from("3")));
        assert_eq!(back.timestamp, 5);
        // The plain conversion keeps `__tag__:` contents as contents.
        assert!(v1_log_to_v2(&v1).contents.contains("__tag__:k"));
    }

    #[test]
    fn group_tags_go_to_every_bare_log() {
        let mut g = logs_to_group(&[Log::new(1, [("a", "1")]), Log::new(2, [("b", "2")])]);
        g.group.tags.add("host", "h1");
        let logs = group_to_v1_logs(&g);
        assert_eq!(logs.len(), 2);
        assert!(logs.iter().all(|l| l.get("__tag__:host") == Some("h1")));
        assert_eq!(keys(&logs[0]), ["a", "__tag__:host"]);
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
        let v2 = group_to_v2(&g);
        assert_eq!(
            v2.group.metadata.get("topic").map(|v| v.as_str()),
            Some("t")
        );
        assert!(!v2.group.metadata.contains("category"));
        assert_eq!(group_to_v1(&v2), g);
    }

    #[test]
    fn spans_and_bytes_have_their_documented_keys() {
        let span = crate::compat::new_span(
            "GET /",
            "t1",
            "s1",
            models::SpanKind::Server,
            1_000_000_000,
            1_500_000_000,
            Tags::from([("http.method", "GET")]),
            vec![],
            vec![],
        );
        let log = span_to_v1_log(&span);
        assert_eq!(log.get("traceID"), Some("t1"));
        assert_eq!(log.get("kind"), Some("Server"));
        assert_eq!(log.get("duration"), Some("500000000"));
        assert_eq!(log.get("attributes"), Some(r#"{"http.method":"GET"}"#));
        assert_eq!(log.time, 1);
        let bytes = byte_array_to_v1_log(&crate::compat::new_byte_array(b"a\xffb".to_vec()));
        assert_eq!(bytes.get("content"), Some("a\u{fffd}b"));
    }
}
