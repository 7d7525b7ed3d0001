//! The protobuf messages LoongCollector's core and its plugin library exchange, and their
//! conversion to and from pipeplug's data models.
//!
//! - The core hands each group of events to `ProcessPipelineEventGroup` as a serialized
//!   `logtail.models.PipelineEventGroup` (proto3, [`PipelineEventGroup`]);
//!   [`decode_event_group`] turns it into pipeplug's V2 model, [`encode_event_group`] the
//!   other way (for tests and harness inputs).
//! - Plugins send groups back through the adapter's `SendPbV2` as an uncompressed
//!   `sls_logs.LogGroup` (proto2, [`LogGroup`]); [`encode_log_group`] writes one from a V1
//!   [`pipeplug::protocol::LogGroup`], [`decode_log_group`] reads one back.
//!
//! The messages are hand-written [`prost`] structs: the field numbers and types are the wire
//! protocol's, nothing is generated at build time.
//!
//! # What the V2 model keeps
//!
//! | protocol | V2 model |
//! |---|---|
//! | group `Metadata`, `Tags` | [`GroupInfo`](pipeplug::models::GroupInfo) `metadata`, `tags` |
//! | `LogEvent` `Timestamp`, `Level`, `FileOffset`, `RawSize` | [`Log`](pipeplug::models::Log) `timestamp`, `level`, `offset`, `raw_size` |
//! | `LogEvent.Contents` | `Log::contents`, in order; a value that is not UTF-8 becomes [`LogValue::Bytes`](pipeplug::models::LogValue::Bytes) |
//! | `MetricEvent` `Timestamp`, `Name`, `Tags` | [`Metric`](pipeplug::models::Metric) `timestamp`, `name`, `tags` |
//! | `UntypedSingleValue` / `UntypedMultiDoubleValues` | [`MetricValue::Single`](pipeplug::models::MetricValue::Single) / [`MetricValue::Multi`](pipeplug::models::MetricValue::Multi) |
//! | `SpanEvent` fields | [`Span`](pipeplug::models::Span) fields; `Timestamp` is `observed_timestamp` |
//!
//! Texts that must be UTF-8 in the V2 model (keys, tags, names, IDs) are read with invalid
//! sequences replaced by U+FFFD. Not kept: a metric's own `Metadata`, a span's `ScopeTags`,
//! and the counter/gauge kind of a multi-value metric's values unless all are gauges (then
//! the metric is a [`Gauge`](pipeplug::models::MetricType::Gauge); otherwise it is
//! [`Untyped`](pipeplug::models::MetricType::Untyped), as in iLogtail's Go library). When
//! encoding, what the protocol has no field for is left out: a log's name, tags, span and
//! trace IDs and observed time, a metric's unit, description and typed values, and the
//! metric type of a single-value metric.

mod convert;
mod event_group;
mod log_group;
#[cfg(test)]
mod tests;

pub use convert::{
    decode_event_group, decode_log_group, encode_event_group, encode_log_group,
    try_encode_event_group,
};
pub use event_group::{
    untyped_value_metric_type, Content, InnerEvent, LogEvent, LogEvents, MapEntry, MetricEvent,
    MetricEvents, MetricValue, MultiValueEntry, PipelineEventGroup, PipelineEvents, SpanEvent,
    SpanEvents, SpanLink, UntypedMultiDoubleValue, UntypedMultiDoubleValues, UntypedSingleValue,
};
pub use log_group::{Log, LogContent, LogGroup, LogTag};

/// Bytes that are not the message they were given as: not protobuf, cut short, or holding
/// something the model cannot take. The text names the message and, where known, the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode a serialized {message}: {detail}")]
pub struct DecodeError {
    message: &'static str,
    detail: String,
}

impl DecodeError {
    fn wire(message: &'static str, source: &prost::DecodeError) -> Self {
        Self {
            message,
            detail: source.to_string(),
        }
    }

    fn field(message: &'static str, field: impl std::fmt::Display, why: &str) -> Self {
        Self {
            message,
            detail: format!("{field}: {why}"),
        }
    }

    /// The protocol message being decoded (`logtail.models.PipelineEventGroup` or
    /// `sls_logs.LogGroup`).
    #[must_use]
    pub fn message(&self) -> &'static str {
        self.message
    }
}

/// A V2 group that one `PipelineEventGroup` cannot carry: the protocol has one kind of event
/// per group (logs, metrics or spans).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a PipelineEventGroup holds one kind of event: event {index} is a {found:?}, \
     but the group's first event is a {first:?}"
)]
pub struct EncodeError {
    /// The position of the first event of another kind.
    pub index: usize,
    /// The kind of the group's first event.
    pub first: pipeplug::models::EventType,
    /// The kind of the event at `index`.
    pub found: pipeplug::models::EventType,
}
