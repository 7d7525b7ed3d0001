//! Conversions between the wire messages and pipeplug's V1 and V2 models.

use super::error::{DecodeError, EncodeError};
use super::event_group::{
    untyped_value_metric_type, Content, InnerEvent, LogEvent, LogEvents, MapEntry, MetricEvent,
    MetricEvents, MetricValue, MultiValueEntry, PipelineEventGroup, PipelineEvents, SpanEvent,
    SpanEvents, SpanLink, UntypedMultiDoubleValue, UntypedMultiDoubleValues, UntypedSingleValue,
};
use super::log_group;
use pipeplug::models::{
    self, ByteArray, EventType, GroupInfo, KeyValues, LogValue, Metric, MetricType, PipelineEvent,
    PipelineGroupEvents, Span, SpanKind, StatusCode, Str, BODY_KEY,
};
use pipeplug::protocol;
use prost::bytes::Bytes;
use prost::Message;

const EVENT_GROUP: &str = "logtail.models.PipelineEventGroup";
const LOG_GROUP: &str = "sls_logs.LogGroup";

/// Decodes a serialized `logtail.models.PipelineEventGroup` (what the core passes to
/// `ProcessPipelineEventGroup`) into pipeplug's V2 model.
///
/// A group without events (no `Logs`, `Metrics` or `Spans`) gives a group with none.
///
/// # Errors
///
/// When the bytes are not such a message (the error names the message and field where
/// decoding stopped), or a metric has no value.
pub fn decode_event_group(bytes: &[u8]) -> Result<PipelineGroupEvents, DecodeError> {
    // One copy of the input; the texts decoded from it are views into that copy.
    let pb = PipelineEventGroup::decode(Bytes::copy_from_slice(bytes))
        .map_err(|e| DecodeError::wire(EVENT_GROUP, &e))?;
    let group = GroupInfo::new(to_tags(pb.metadata), to_tags(pb.tags));
    let events = match pb.pipeline_events {
        None => Vec::new(),
        Some(PipelineEvents::Logs(logs)) => logs
            .events
            .into_iter()
            .map(|e| PipelineEvent::Log(to_log(e)))
            .collect(),
        Some(PipelineEvents::Metrics(metrics)) => metrics
            .events
            .into_iter()
            .enumerate()
            .map(|(i, e)| to_metric(i, e).map(PipelineEvent::Metric))
            .collect::<Result<_, _>>()?,
        Some(PipelineEvents::Spans(spans)) => spans
            .events
            .into_iter()
            .map(|e| PipelineEvent::Span(to_span(e)))
            .collect(),
    };
    Ok(PipelineGroupEvents::new(group, events))
}

/// Serializes a V2 group as a `logtail.models.PipelineEventGroup`, as the core would send it
/// (for tests and harness inputs).
///
/// The protocol carries one kind of event per group, chosen by the first event (byte arrays
/// go as logs whose one field, `content`, holds the bytes); events of another kind are left
/// out, each with a warning in the log. [`try_encode_event_group`] refuses such a group
/// instead.
#[must_use]
pub fn encode_event_group(group: &PipelineGroupEvents) -> Vec<u8> {
    let (pb, skipped) = to_event_group(group);
    for e in skipped {
        tracing::warn!(
            index = e.index,
            "left out of an encoded PipelineEventGroup: {e}"
        );
    }
    pb.encode_to_vec()
}

/// Serializes a V2 group as a `logtail.models.PipelineEventGroup`, refusing a group with
/// events of more than one kind.
///
/// # Errors
///
/// The first event whose kind differs from the first event's (byte arrays count as logs).
pub fn try_encode_event_group(group: &PipelineGroupEvents) -> Result<Vec<u8>, EncodeError> {
    let (pb, skipped) = to_event_group(group);
    match skipped.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(pb.encode_to_vec()),
    }
}

/// Serializes a V1 log group (what a flusher gets) as an uncompressed `sls_logs.LogGroup`, the
/// form the adapter's `SendPbV2` takes.
///
/// Required fields (`Time`, each content's `Key` and `Value`, each tag's) are always written;
/// `Category`, `Topic`, `Source` and `MachineUUID` only when not empty.
#[must_use]
pub fn encode_log_group(group: &protocol::LogGroup) -> Vec<u8> {
    log_group::write_log_group(group)
}

/// The message [`encode_log_group`] writes, built as a [`log_group::LogGroup`] value: its
/// derived encoding gives the same bytes, with a copy of every text (the tests compare the
/// two, and the benchmark measures what the direct encoder saves).
#[must_use]
pub fn to_log_group_message(group: &protocol::LogGroup) -> log_group::LogGroup {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    log_group::LogGroup {
        logs: group
            .logs
            .iter()
            .map(|log| log_group::Log {
                time: log.time,
                contents: log
                    .contents
                    .iter()
                    .map(|c| log_group::LogContent {
                        key: c.key.to_string(),
                        value: c.value.to_string(),
                    })
                    .collect(),
                values: Vec::new(),
                time_ns: log.time_ns,
            })
            .collect(),
        category: non_empty(&group.category),
        topic: non_empty(&group.topic),
        source: non_empty(&group.source),
        machine_uuid: non_empty(&group.machine_uuid),
        log_tags: group
            .log_tags
            .iter()
            .map(|t| log_group::LogTag {
                key: t.key.to_string(),
                value: t.value.to_string(),
            })
            .collect(),
    }
}

/// Decodes a serialized `sls_logs.LogGroup` into pipeplug's V1 log group (to check what was
/// sent to the adapter). Absent optional texts read as "".
///
/// # Errors
///
/// When the bytes are not such a message (the error names the message and field where
/// decoding stopped: a text that is not UTF-8, a message cut short, ...), or a log uses the
/// column layout (`values`, field 3), which the V1 model cannot hold.
pub fn decode_log_group(bytes: &[u8]) -> Result<protocol::LogGroup, DecodeError> {
    let pb = log_group::LogGroup::decode(bytes).map_err(|e| DecodeError::wire(LOG_GROUP, &e))?;
    let mut logs = Vec::with_capacity(pb.logs.len());
    for (i, log) in pb.logs.into_iter().enumerate() {
        logs.push(log_from_message(log, LOG_GROUP, &format!("Logs[{i}]."))?);
    }
    Ok(protocol::LogGroup {
        logs,
        category: pb.category.unwrap_or_default(),
        topic: pb.topic.unwrap_or_default(),
        source: pb.source.unwrap_or_default(),
        machine_uuid: pb.machine_uuid.unwrap_or_default(),
        log_tags: pb
            .log_tags
            .into_iter()
            .map(|t| protocol::LogTag::new(t.key, t.value))
            .collect(),
    })
}

/// Reads a serialized `sls_logs.LogGroup` (what LoongCollector v3.3.5's core hands to
/// `ProcessLogGroup`) straight into the V2 model: what [`decode_log_group`] followed by
/// [`pipeplug::convert::group_to_v2`] gives (the non-empty category, topic, source and
/// machine UUID as metadata, the log tags as the group's tags, each log's contents in order
/// and its time in nanoseconds), read from views into one copy of the input. A value that is
/// not UTF-8 stays as bytes (`LogValue::Bytes`) and keys and tags that are not have the bad
/// sequences replaced, as for a `PipelineEventGroup`.
///
/// # Errors
///
/// When the bytes are not such a message, or a log uses the column layout.
pub fn decode_log_group_v2(bytes: &[u8]) -> Result<PipelineGroupEvents, DecodeError> {
    let pb = log_group::view::LogGroup::decode(Bytes::copy_from_slice(bytes))
        .map_err(|e| DecodeError::wire(LOG_GROUP, &e))?;
    let mut metadata = KeyValues::new();
    for (key, value) in pipeplug::convert::GROUP_METADATA_KEYS.iter().zip([
        &pb.category,
        &pb.topic,
        &pb.source,
        &pb.machine_uuid,
    ]) {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            metadata.add(*key, text(v));
        }
    }
    let mut tags = KeyValues::with_capacity(pb.log_tags.len());
    for t in &pb.log_tags {
        tags.add(text(&t.key), text(&t.value));
    }
    let mut events = Vec::with_capacity(pb.logs.len());
    for (i, log) in pb.logs.into_iter().enumerate() {
        if !log.values.is_empty() {
            return Err(DecodeError::field(
                LOG_GROUP,
                format_args!("Logs[{i}].values (field 3)"),
                "logs in the column layout are not supported",
            ));
        }
        let mut contents = KeyValues::with_capacity(log.contents.len());
        for c in log.contents {
            let value = match std::str::from_utf8(&c.value) {
                Ok(s) => LogValue::String(s.into()),
                Err(_) => LogValue::Bytes(c.value.to_vec()),
            };
            contents.add(text(&c.key), value);
        }
        events.push(PipelineEvent::Log(models::Log {
            timestamp: u64::from(log.time) * 1_000_000_000 + u64::from(log.time_ns.unwrap_or(0)),
            contents,
            ..models::Log::default()
        }));
    }
    Ok(PipelineGroupEvents::new(
        GroupInfo::new(metadata, tags),
        events,
    ))
}

/// The name of one log's message, as errors give it.
const LOG: &str = "sls_logs.Log";

/// Reads one serialized `sls_logs.Log` (what LoongCollector v3.3.5's core hands to
/// `ProcessLog`) into the V1 model.
///
/// # Errors
///
/// As [`decode_log_group`]: the bytes are not such a message, or the log uses the column
/// layout.
pub fn decode_log(bytes: &[u8]) -> Result<protocol::Log, DecodeError> {
    let pb = log_group::Log::decode(bytes).map_err(|e| DecodeError::wire(LOG, &e))?;
    log_from_message(pb, LOG, "")
}

/// A decoded `sls_logs.Log` in the V1 model; `path` prefixes the field an error names.
fn log_from_message(
    log: log_group::Log,
    message: &'static str,
    path: &str,
) -> Result<protocol::Log, DecodeError> {
    if !log.values.is_empty() {
        return Err(DecodeError::field(
            message,
            format_args!("{path}values (field 3)"),
            "logs in the column layout are not supported",
        ));
    }
    Ok(protocol::Log {
        time: log.time,
        contents: log
            .contents
            .into_iter()
            .map(|c| protocol::LogContent::new(c.key, c.value))
            .collect(),
        time_ns: log.time_ns,
    })
}

// --- protocol → V2 ---

/// Text from bytes, invalid UTF-8 replaced.
fn text(bytes: &Bytes) -> Str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => String::from_utf8_lossy(bytes).into(),
    }
}

fn text_string(bytes: &Bytes) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn to_tags(entries: Vec<MapEntry>) -> KeyValues<Str> {
    let mut tags = KeyValues::with_capacity(entries.len());
    for e in entries {
        tags.add(text(&e.key), text(&e.value));
    }
    tags
}

fn to_log(e: LogEvent) -> models::Log {
    let mut contents = KeyValues::with_capacity(e.contents.len());
    for c in e.contents {
        let value = match std::str::from_utf8(&c.value) {
            Ok(s) => LogValue::String(s.into()),
            Err(_) => LogValue::Bytes(c.value.to_vec()),
        };
        contents.add(text(&c.key), value);
    }
    models::Log {
        level: text(&e.level),
        timestamp: e.timestamp,
        offset: e.file_offset,
        raw_size: e.raw_size,
        contents,
        ..models::Log::default()
    }
}

fn to_metric(index: usize, e: MetricEvent) -> Result<Metric, DecodeError> {
    let (metric_type, value) = match e.value {
        Some(MetricValue::UntypedSingleValue(v)) => {
            (MetricType::Untyped, models::MetricValue::Single(v.value))
        }
        Some(MetricValue::UntypedMultiDoubleValues(values)) => {
            let all_gauges = !values.values.is_empty()
                && values.values.iter().all(|v| {
                    v.value.as_ref().map(|v| v.metric_type)
                        == Some(untyped_value_metric_type::GAUGE)
                });
            let mut named = KeyValues::with_capacity(values.values.len());
            for v in values.values {
                named.add(text(&v.key), v.value.map_or(0.0, |v| v.value));
            }
            let kind = if all_gauges {
                MetricType::Gauge
            } else {
                MetricType::Untyped
            };
            (kind, models::MetricValue::Multi(named))
        }
        None => {
            return Err(DecodeError::field(
                EVENT_GROUP,
                format_args!("Metrics.Events[{index}]"),
                "the metric has no value (neither UntypedSingleValue, field 4, nor \
                 UntypedMultiDoubleValues, field 6)",
            ))
        }
    };
    Ok(Metric::new(
        text(&e.name),
        metric_type,
        to_tags(e.tags),
        e.timestamp,
        value,
    ))
}

fn span_kind(kind: i32) -> SpanKind {
    match kind {
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        // 0, and values newer than this reader (proto3 enums are open).
        _ => SpanKind::Unspecified,
    }
}

fn status_code(status: i32) -> StatusCode {
    match status {
        1 => StatusCode::Ok,
        2 => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

fn to_span(e: SpanEvent) -> Span {
    Span {
        trace_id: text_string(&e.trace_id),
        span_id: text_string(&e.span_id),
        parent_span_id: text_string(&e.parent_span_id),
        name: text_string(&e.name),
        trace_state: text_string(&e.trace_state),
        start_time: e.start_time,
        end_time: e.end_time,
        observed_timestamp: e.timestamp,
        kind: span_kind(e.kind),
        status: status_code(e.status),
        tags: to_tags(e.tags),
        links: e
            .links
            .into_iter()
            .map(|l| models::SpanLink {
                trace_id: text_string(&l.trace_id),
                span_id: text_string(&l.span_id),
                trace_state: text_string(&l.trace_state),
                tags: to_tags(l.tags),
            })
            .collect(),
        events: e
            .events
            .into_iter()
            .map(|ev| models::SpanEvent {
                timestamp: i64::try_from(ev.timestamp).unwrap_or(i64::MAX),
                name: text_string(&ev.name),
                tags: to_tags(ev.tags),
            })
            .collect(),
    }
}

// --- V2 → protocol ---

fn copy(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn from_tags(tags: &KeyValues<Str>) -> Vec<MapEntry> {
    tags.iter()
        .map(|(k, v)| MapEntry::new(copy(k), copy(v)))
        .collect()
}

/// The group's kind: byte arrays travel as logs.
fn wire_kind(t: EventType) -> EventType {
    match t {
        EventType::ByteArray => EventType::Logging,
        other => other,
    }
}

fn to_event_group(group: &PipelineGroupEvents) -> (PipelineEventGroup, Vec<EncodeError>) {
    let mut skipped = Vec::new();
    let first = group.events.first().map(PipelineEvent::event_type);
    let mut logs = Vec::new();
    let mut metrics = Vec::new();
    let mut spans = Vec::new();
    for (index, event) in group.events.iter().enumerate() {
        let found = event.event_type();
        if let Some(first) = first {
            if wire_kind(found) != wire_kind(first) {
                skipped.push(EncodeError {
                    index,
                    first,
                    found,
                });
                continue;
            }
        }
        match event {
            PipelineEvent::Log(log) => logs.push(from_log(log)),
            PipelineEvent::ByteArray(bytes) => logs.push(from_byte_array(bytes)),
            PipelineEvent::Metric(metric) => metrics.push(from_metric(metric)),
            PipelineEvent::Span(span) => spans.push(from_span(span)),
        }
    }
    let pipeline_events = match first.map(wire_kind) {
        None => None,
        Some(EventType::Metric) => Some(PipelineEvents::Metrics(MetricEvents { events: metrics })),
        Some(EventType::Span) => Some(PipelineEvents::Spans(SpanEvents { events: spans })),
        Some(_) => Some(PipelineEvents::Logs(LogEvents { events: logs })),
    };
    let pb = PipelineEventGroup {
        metadata: from_tags(&group.group.metadata),
        tags: from_tags(&group.group.tags),
        pipeline_events,
    };
    (pb, skipped)
}

fn from_log(log: &models::Log) -> LogEvent {
    LogEvent {
        timestamp: log.timestamp,
        contents: log
            .contents
            .iter()
            .map(|(k, v)| Content {
                key: copy(k),
                value: match v {
                    LogValue::String(s) => copy(s),
                    LogValue::Bytes(b) => Bytes::copy_from_slice(b),
                    other => other.to_string().into(),
                },
            })
            .collect(),
        level: copy(&log.level),
        file_offset: log.offset,
        raw_size: log.raw_size,
    }
}

fn from_byte_array(bytes: &ByteArray) -> LogEvent {
    LogEvent {
        contents: vec![Content {
            key: Bytes::from_static(BODY_KEY.as_bytes()),
            value: Bytes::copy_from_slice(&bytes.0),
        }],
        ..LogEvent::default()
    }
}

fn from_metric(metric: &Metric) -> MetricEvent {
    let value = match &metric.value {
        models::MetricValue::Single(v) => {
            MetricValue::UntypedSingleValue(UntypedSingleValue { value: *v })
        }
        models::MetricValue::Multi(values) => {
            let metric_type = if metric.metric_type == MetricType::Gauge {
                untyped_value_metric_type::GAUGE
            } else {
                untyped_value_metric_type::COUNTER
            };
            MetricValue::UntypedMultiDoubleValues(UntypedMultiDoubleValues {
                values: values
                    .iter()
                    .map(|(k, v)| MultiValueEntry {
                        key: copy(k),
                        value: Some(UntypedMultiDoubleValue {
                            metric_type,
                            value: *v,
                        }),
                    })
                    .collect(),
            })
        }
    };
    MetricEvent {
        timestamp: metric.timestamp,
        name: copy(&metric.name),
        tags: from_tags(&metric.tags),
        value: Some(value),
        metadata: Vec::new(),
    }
}

fn from_span(span: &Span) -> SpanEvent {
    SpanEvent {
        timestamp: span.observed_timestamp,
        trace_id: copy(&span.trace_id),
        span_id: copy(&span.span_id),
        trace_state: copy(&span.trace_state),
        parent_span_id: copy(&span.parent_span_id),
        name: copy(&span.name),
        kind: match span.kind {
            SpanKind::Unspecified => 0,
            SpanKind::Internal => 1,
            SpanKind::Server => 2,
            SpanKind::Client => 3,
            SpanKind::Producer => 4,
            SpanKind::Consumer => 5,
        },
        start_time: span.start_time,
        end_time: span.end_time,
        tags: from_tags(&span.tags),
        events: span
            .events
            .iter()
            .map(|ev| InnerEvent {
                timestamp: u64::try_from(ev.timestamp).unwrap_or(0),
                name: copy(&ev.name),
                tags: from_tags(&ev.tags),
            })
            .collect(),
        links: span
            .links
            .iter()
            .map(|l| SpanLink {
                trace_id: copy(&l.trace_id),
                span_id: copy(&l.span_id),
                trace_state: copy(&l.trace_state),
                tags: from_tags(&l.tags),
            })
            .collect(),
        status: match span.status {
            StatusCode::Unset => 0,
            StatusCode::Ok => 1,
            StatusCode::Error => 2,
        },
        scope_tags: Vec::new(),
    }
}
