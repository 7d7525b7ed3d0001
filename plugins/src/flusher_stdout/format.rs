//! The lines `flusher_stdout` writes: one JSON object per log or event (see the plugin's
//! docs for the fields).

use super::json::Object;
use pipeplug::convert::TAG_PREFIX;
use pipeplug::models::{self, LogValue, Metric, MetricValue, PipelineEvent, Span};
use pipeplug::prelude::*;

/// Writes the lines of a V1 log group.
pub(super) fn v1_group(out: &mut Vec<u8>, group: &LogGroup, header: bool, key_value_pairs: bool) {
    if header {
        let mut line = Object::new(out);
        line.object("logGroup", |g| {
            g.str("topic", &group.topic);
            g.str("logstore", &group.category);
            g.str("source", &group.source);
            g.str("machineUUID", &group.machine_uuid);
            g.str_map(
                "tags",
                group
                    .log_tags
                    .iter()
                    .map(|t| (t.key.as_str(), t.value.as_str())),
            );
            g.uint("logCount", group.logs.len() as u64);
        });
        line.end();
        out.push(b'\n');
    }
    for log in &group.logs {
        if key_value_pairs {
            v1_log_pairs(out, log, group);
        } else {
            v1_log_struct(out, log, group);
        }
        out.push(b'\n');
    }
}

/// `{"k":"v",...,"__tag__:k":"v",...,"__time__":"secs"}`: the contents in order, the
/// group's tags, the time (and `__time_ns_part__` when the log has nanoseconds), as SLS
/// shows a log.
fn v1_log_pairs(out: &mut Vec<u8>, log: &Log, group: &LogGroup) {
    let mut line = Object::new(out);
    for c in &log.contents {
        line.str(&c.key, &c.value);
    }
    let mut key = String::new();
    for t in &group.log_tags {
        key.clear();
        key.push_str(TAG_PREFIX);
        key.push_str(&t.key);
        line.str(&key, &t.value);
    }
    line.str("__time__", &log.time.to_string());
    if let Some(ns) = log.time_ns.filter(|ns| *ns != 0) {
        line.str("__time_ns_part__", &ns.to_string());
    }
    line.end();
}

/// `{"time":secs,"contents":[{"key":..,"value":..}],"log_tags":[...]}` (`KeyValuePairs:
/// false`): the log as a structure, nothing merged.
fn v1_log_struct(out: &mut Vec<u8>, log: &Log, group: &LogGroup) {
    let mut line = Object::new(out);
    line.uint("time", u64::from(log.time));
    if let Some(ns) = log.time_ns {
        line.uint("time_ns", u64::from(ns));
    }
    line.objects("contents", &log.contents, |o, c| {
        o.str("key", &c.key);
        o.str("value", &c.value);
    });
    line.objects("log_tags", &group.log_tags, |o, t| {
        o.str("key", &t.key);
        o.str("value", &t.value);
    });
    line.end();
}

/// Writes the lines of a V2 group.
pub(super) fn v2_group(out: &mut Vec<u8>, group: &PipelineGroupEvents, header: bool) {
    if header {
        let mut line = Object::new(out);
        line.object("group", |g| {
            g.str_map("metadata", group.group.metadata.iter().map(str_pair));
            g.str_map("tags", group.group.tags.iter().map(str_pair));
            g.uint("eventCount", group.events.len() as u64);
        });
        line.end();
        out.push(b'\n');
    }
    for event in &group.events {
        v2_event(out, event, &group.group.tags);
        out.push(b'\n');
    }
}

fn str_pair<'a>((k, v): (&'a str, &'a models::Str)) -> (&'a str, &'a str) {
    (k, v.as_str())
}

/// One V2 event: the fields every event has, then those of its kind.
fn v2_event(out: &mut Vec<u8>, event: &PipelineEvent, group_tags: &Tags) {
    let mut line = Object::new(out);
    let kind = match event {
        PipelineEvent::Log(_) => "log",
        PipelineEvent::Metric(_) => "metric",
        PipelineEvent::Span(_) => "span",
        PipelineEvent::ByteArray(_) => "byteArray",
    };
    line.str("eventType", kind);
    line.str("name", event.name());
    line.uint("timestamp", event.timestamp());
    line.uint("observedTimestamp", event.observed_timestamp());
    line.str_map("tags", event.tags().iter().map(str_pair));
    line.str_map("groupTags", group_tags.iter().map(str_pair));
    match event {
        PipelineEvent::Log(log) => log_fields(&mut line, log),
        PipelineEvent::Metric(metric) => metric_fields(&mut line, metric),
        PipelineEvent::Span(span) => span_fields(&mut line, span),
        PipelineEvent::ByteArray(bytes) => {
            line.str("byteArray", &String::from_utf8_lossy(&bytes.0));
        }
    }
    line.end();
}

fn log_fields(line: &mut Object<'_>, log: &models::Log) {
    line.str("level", &log.level);
    line.str("traceID", &log.trace_id);
    line.str("spanID", &log.span_id);
    line.uint("offset", log.offset);
    line.object("contents", |c| {
        for (k, v) in log.contents.iter() {
            match v {
                LogValue::String(s) => c.str(k, s),
                LogValue::Int(i) => c.raw(k, &i.to_string()),
                LogValue::Float(x) => c.float(k, *x),
                LogValue::Bool(b) => c.raw(k, if *b { "true" } else { "false" }),
                LogValue::Bytes(b) => c.str(k, &String::from_utf8_lossy(b)),
            }
        }
    });
}

fn metric_fields(line: &mut Object<'_>, metric: &Metric) {
    line.str("metricType", metric.metric_type.as_str());
    match &metric.value {
        MetricValue::Single(v) => line.float("value", *v),
        MetricValue::Multi(values) => line.object("values", |o| {
            for (k, v) in values.iter() {
                o.float(k, *v);
            }
        }),
    }
    if !metric.typed_values.is_empty() {
        line.object("typedValues", |o| {
            for (k, v) in metric.typed_values.iter() {
                // serde_json's text of a JSON value is valid JSON.
                o.raw(k, &v.to_string());
            }
        });
    }
    if !metric.unit.is_empty() {
        line.str("unit", &metric.unit);
    }
    if !metric.description.is_empty() {
        line.str("description", &metric.description);
    }
}

fn span_fields(line: &mut Object<'_>, span: &Span) {
    line.str("traceID", &span.trace_id);
    line.str("spanID", &span.span_id);
    line.str("parentSpanID", &span.parent_span_id);
    line.str("traceState", &span.trace_state);
    line.str("kind", &format!("{:?}", span.kind));
    line.str("status", &format!("{:?}", span.status));
    line.uint("startTime", span.start_time);
    line.uint("endTime", span.end_time);
    line.objects("links", &span.links, |o, l| {
        o.str("traceID", &l.trace_id);
        o.str("spanID", &l.span_id);
        o.str("traceState", &l.trace_state);
        o.str_map("tags", l.tags.iter().map(str_pair));
    });
    line.objects("events", &span.events, |o, e| {
        o.str("name", &e.name);
        o.raw("timestamp", &e.timestamp.to_string());
        o.str_map("tags", e.tags.iter().map(str_pair));
    });
}
