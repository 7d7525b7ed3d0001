//! Helpers in the spirit of iLogtail's test kit (`plugins/test/common.go`): make logs and
//! events from key/value pairs, pick them by a key's value, read a key.

use crate::models::{self, GroupInfo, LogValue, PipelineEvent, PipelineGroupEvents, Str};
use crate::protocol::Log;

/// A V1 log with `pairs` as contents, in order, at time 0 (Go's `CreateLogs("k", "v", ...)`;
/// set `log.time` when a plugin looks at it).
///
/// ```
/// use pipeplug::testing::{create_log, read_log_val};
/// let log = create_log([("method", "GET"), ("status", "200")]);
/// assert_eq!(read_log_val(&log, "status"), "200");
/// ```
pub fn create_log<K: Into<Str>, V: Into<Str>>(pairs: impl IntoIterator<Item = (K, V)>) -> Log {
    Log::new(0, pairs)
}

/// V1 logs, one per row of pairs (see [`create_log`]).
///
/// ```
/// use pipeplug::testing::{create_logs, pick_logs};
/// let logs = create_logs([vec![("a", "1")], vec![("a", "2"), ("b", "x")]]);
/// assert_eq!(pick_logs(&logs, "a", "2").len(), 1);
/// ```
pub fn create_logs<R, K, V>(rows: impl IntoIterator<Item = R>) -> Vec<Log>
where
    R: IntoIterator<Item = (K, V)>,
    K: Into<Str>,
    V: Into<Str>,
{
    rows.into_iter().map(create_log).collect()
}

/// The logs whose content `key` is `value` (Go's `PickLogs`).
#[must_use]
pub fn pick_logs<'a>(logs: &'a [Log], key: &str, value: &str) -> Vec<&'a Log> {
    logs.iter().filter(|l| l.get(key) == Some(value)).collect()
}

/// The value of the first content `key` of `log`, or `""` when there is none (Go's
/// `ReadLogVal`; [`Log::get`] tells the two apart).
#[must_use]
pub fn read_log_val<'a>(log: &'a Log, key: &str) -> &'a str {
    log.get(key).unwrap_or("")
}

/// A V2 log event with `pairs` as contents (string values), in order, at timestamp 0.
///
/// ```
/// use pipeplug::testing::{create_log_event, read_event_val};
/// let event = create_log_event([("content", "hello")]);
/// assert_eq!(read_event_val(&event, "content"), "hello");
/// ```
pub fn create_log_event<K: Into<Str>, V: Into<Str>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> PipelineEvent {
    let mut log = models::Log::default();
    for (k, v) in pairs {
        log.contents.add(k, LogValue::String(v.into()));
    }
    PipelineEvent::Log(log)
}

/// V2 log events, one per row of pairs (see [`create_log_event`]).
pub fn create_log_events<R, K, V>(rows: impl IntoIterator<Item = R>) -> Vec<PipelineEvent>
where
    R: IntoIterator<Item = (K, V)>,
    K: Into<Str>,
    V: Into<Str>,
{
    rows.into_iter().map(create_log_event).collect()
}

/// A group of `events` with no metadata or tags.
#[must_use]
pub fn create_group(events: Vec<PipelineEvent>) -> PipelineGroupEvents {
    PipelineGroupEvents::new(GroupInfo::default(), events)
}

/// The value of `key` in `event` as text, or `""` when there is none: a log's content
/// `key`, else its tag `key`; a metric's or a span's tag `key`; nothing for byte arrays.
///
/// ```
/// use pipeplug::models::{Metric, MetricType, Tags};
/// use pipeplug::testing::read_event_val;
/// let m = Metric::single("m", MetricType::Gauge, Tags::from([("host", "a")]), 0, 1.0);
/// assert_eq!(read_event_val(&m.into(), "host"), "a");
/// ```
#[must_use]
pub fn read_event_val(event: &PipelineEvent, key: &str) -> String {
    if let PipelineEvent::Log(log) = event {
        if let Some(v) = log.contents.get(key) {
            return v.to_string();
        }
    }
    event
        .tags()
        .get(key)
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The events whose `key` reads `value` (see [`read_event_val`]).
#[must_use]
pub fn pick_events<'a>(
    events: &'a [PipelineEvent],
    key: &str,
    value: &str,
) -> Vec<&'a PipelineEvent> {
    events.iter().filter(|e| has_value(e, key, value)).collect()
}

fn has_value(event: &PipelineEvent, key: &str, value: &str) -> bool {
    match event {
        PipelineEvent::Log(log) => match log.contents.get(key) {
            Some(v) => v.to_string() == value,
            None => log.tags.get(key).is_some_and(|v| v == value),
        },
        other => other.tags().get(key).is_some_and(|v| v == value),
    }
}
