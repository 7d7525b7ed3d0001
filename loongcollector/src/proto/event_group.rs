//! `logtail.models.PipelineEventGroup` (proto3) and its events: what LoongCollector's core
//! serializes after its native processors and hands to `ProcessPipelineEventGroup`.
//!
//! Written from the wire format: the field numbers and types are the protocol. The struct
//! names are the protocol's message names, so that a decoding error names the message and
//! field it failed in. Every `map<K, V>` of the protocol is kept here as its wire form, a
//! repeated entry message with the key as field 1 and the value as field 2: the entries stay
//! in the order they were sent (and are written in the order given, so that encoding is
//! deterministic), and a key that is not UTF-8 does not fail the whole group.
//!
//! Texts are [`Bytes`]: decoded from a [`Bytes`] buffer they are views into it, not copies,
//! so that a group costs no allocation per key and value before its conversion to the V2
//! model (which copies each text once, into an inline [`Str`](pipeplug::models::Str) when
//! short).

use prost::bytes::Bytes;

/// One entry of a `map<string, bytes>` (key 1, value 2), as it is on the wire.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MapEntry {
    /// The key (a proto `string`, kept as bytes).
    #[prost(bytes = "bytes", tag = "1")]
    pub key: Bytes,
    /// The value.
    #[prost(bytes = "bytes", tag = "2")]
    pub value: Bytes,
}

impl MapEntry {
    /// An entry from a key and a value.
    pub fn new(key: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A group of events of one kind, with the group's metadata and tags.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PipelineEventGroup {
    /// Group metadata (`map<string, bytes> Metadata = 1`): the core writes names such as
    /// `source_id`, `log_file_path`, `host_ip`.
    #[prost(message, repeated, tag = "1")]
    pub metadata: Vec<MapEntry>,
    /// Group tags (`map<string, bytes> Tags = 2`).
    #[prost(message, repeated, tag = "2")]
    pub tags: Vec<MapEntry>,
    /// The events: logs (3), metrics (4) or spans (5); one kind per group.
    #[prost(oneof = "PipelineEvents", tags = "3, 4, 5")]
    pub pipeline_events: Option<PipelineEvents>,
}

/// The `PipelineEvents` oneof of [`PipelineEventGroup`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum PipelineEvents {
    /// Field 3: log events.
    #[prost(message, tag = "3")]
    Logs(LogEvents),
    /// Field 4: metric events.
    #[prost(message, tag = "4")]
    Metrics(MetricEvents),
    /// Field 5: span events.
    #[prost(message, tag = "5")]
    Spans(SpanEvents),
}

/// `PipelineEventGroup.LogEvents`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LogEvents {
    /// The logs (field 1).
    #[prost(message, repeated, tag = "1")]
    pub events: Vec<LogEvent>,
}

/// `PipelineEventGroup.MetricEvents`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricEvents {
    /// The metrics (field 1).
    #[prost(message, repeated, tag = "1")]
    pub events: Vec<MetricEvent>,
}

/// `PipelineEventGroup.SpanEvents`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SpanEvents {
    /// The spans (field 1).
    #[prost(message, repeated, tag = "1")]
    pub events: Vec<SpanEvent>,
}

/// `logtail.models.LogEvent`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LogEvent {
    /// Unix nanoseconds (field 1).
    #[prost(uint64, tag = "1")]
    pub timestamp: u64,
    /// The fields, in order (field 2).
    #[prost(message, repeated, tag = "2")]
    pub contents: Vec<Content>,
    /// Severity, empty when unknown (field 3).
    #[prost(bytes = "bytes", tag = "3")]
    pub level: Bytes,
    /// Offset in the source file (field 4).
    #[prost(uint64, tag = "4")]
    pub file_offset: u64,
    /// Size of the raw record in bytes (field 5).
    #[prost(uint64, tag = "5")]
    pub raw_size: u64,
}

/// `LogEvent.Content`: one field of a log.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Content {
    /// The key (field 1).
    #[prost(bytes = "bytes", tag = "1")]
    pub key: Bytes,
    /// The value (field 2); any bytes (a file's text need not be UTF-8).
    #[prost(bytes = "bytes", tag = "2")]
    pub value: Bytes,
}

/// `logtail.models.UntypedValueMetricType`: the kind of one of a metric's named values.
pub mod untyped_value_metric_type {
    /// `METRIC_TYPE_COUNTER`.
    pub const COUNTER: i32 = 0;
    /// `METRIC_TYPE_GAUGE`.
    pub const GAUGE: i32 = 1;
}

/// `logtail.models.MetricEvent`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricEvent {
    /// Unix nanoseconds (field 1).
    #[prost(uint64, tag = "1")]
    pub timestamp: u64,
    /// The metric name (field 2).
    #[prost(bytes = "bytes", tag = "2")]
    pub name: Bytes,
    /// Labels (`map<string, bytes> Tags = 3`).
    #[prost(message, repeated, tag = "3")]
    pub tags: Vec<MapEntry>,
    /// The value: one number (4) or named numbers (6).
    #[prost(oneof = "MetricValue", tags = "4, 6")]
    pub value: Option<MetricValue>,
    /// Per-metric metadata for flushers (`map<string, bytes> Metadata = 5`).
    #[prost(message, repeated, tag = "5")]
    pub metadata: Vec<MapEntry>,
}

/// The `Value` oneof of [`MetricEvent`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum MetricValue {
    /// Field 4: one number.
    #[prost(message, tag = "4")]
    UntypedSingleValue(UntypedSingleValue),
    /// Field 6: named numbers.
    #[prost(message, tag = "6")]
    UntypedMultiDoubleValues(UntypedMultiDoubleValues),
}

/// `logtail.models.UntypedSingleValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UntypedSingleValue {
    /// The number (field 1, a `double`).
    #[prost(double, tag = "1")]
    pub value: f64,
}

/// `logtail.models.UntypedMultiDoubleValue`: one named number and its kind.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UntypedMultiDoubleValue {
    /// [`untyped_value_metric_type::COUNTER`] or [`untyped_value_metric_type::GAUGE`]
    /// (field 1, an enum).
    #[prost(int32, tag = "1")]
    pub metric_type: i32,
    /// The number (field 2, a `double`).
    #[prost(double, tag = "2")]
    pub value: f64,
}

/// `logtail.models.UntypedMultiDoubleValues`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UntypedMultiDoubleValues {
    /// `map<string, UntypedMultiDoubleValue> Values = 1`, as its entries.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<MultiValueEntry>,
}

/// One entry of [`UntypedMultiDoubleValues::values`] (key 1, value 2).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MultiValueEntry {
    /// The value's name.
    #[prost(bytes = "bytes", tag = "1")]
    pub key: Bytes,
    /// The value; a missing one reads as 0, a counter.
    #[prost(message, optional, tag = "2")]
    pub value: Option<UntypedMultiDoubleValue>,
}

/// `logtail.models.SpanEvent`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SpanEvent {
    /// When the core saw the span, Unix nanoseconds (field 1).
    #[prost(uint64, tag = "1")]
    pub timestamp: u64,
    /// Field 2.
    #[prost(bytes = "bytes", tag = "2")]
    pub trace_id: Bytes,
    /// Field 3.
    #[prost(bytes = "bytes", tag = "3")]
    pub span_id: Bytes,
    /// Field 4.
    #[prost(bytes = "bytes", tag = "4")]
    pub trace_state: Bytes,
    /// Field 5.
    #[prost(bytes = "bytes", tag = "5")]
    pub parent_span_id: Bytes,
    /// Field 6.
    #[prost(bytes = "bytes", tag = "6")]
    pub name: Bytes,
    /// `SpanKind` (field 7): 0 unspecified, 1 internal, 2 server, 3 client, 4 producer,
    /// 5 consumer.
    #[prost(int32, tag = "7")]
    pub kind: i32,
    /// Unix nanoseconds (field 8).
    #[prost(uint64, tag = "8")]
    pub start_time: u64,
    /// Unix nanoseconds (field 9).
    #[prost(uint64, tag = "9")]
    pub end_time: u64,
    /// Attributes (`map<string, bytes> Tags = 10`).
    #[prost(message, repeated, tag = "10")]
    pub tags: Vec<MapEntry>,
    /// Timed events inside the span (field 11).
    #[prost(message, repeated, tag = "11")]
    pub events: Vec<InnerEvent>,
    /// Links to other spans (field 12).
    #[prost(message, repeated, tag = "12")]
    pub links: Vec<SpanLink>,
    /// `StatusCode` (field 13): 0 unset, 1 ok, 2 error.
    #[prost(int32, tag = "13")]
    pub status: i32,
    /// Instrumentation scope attributes (`map<string, bytes> ScopeTags = 14`).
    #[prost(message, repeated, tag = "14")]
    pub scope_tags: Vec<MapEntry>,
}

/// `SpanEvent.InnerEvent`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InnerEvent {
    /// Unix nanoseconds (field 1).
    #[prost(uint64, tag = "1")]
    pub timestamp: u64,
    /// Field 2.
    #[prost(bytes = "bytes", tag = "2")]
    pub name: Bytes,
    /// Attributes (`map<string, bytes> Tags = 3`).
    #[prost(message, repeated, tag = "3")]
    pub tags: Vec<MapEntry>,
}

/// `SpanEvent.SpanLink`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SpanLink {
    /// Field 1.
    #[prost(bytes = "bytes", tag = "1")]
    pub trace_id: Bytes,
    /// Field 2.
    #[prost(bytes = "bytes", tag = "2")]
    pub span_id: Bytes,
    /// Field 3.
    #[prost(bytes = "bytes", tag = "3")]
    pub trace_state: Bytes,
    /// Attributes (`map<string, bytes> Tags = 4`).
    #[prost(message, repeated, tag = "4")]
    pub tags: Vec<MapEntry>,
}
