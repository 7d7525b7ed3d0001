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
mod error;
mod event_group;
mod log_group;
#[cfg(test)]
mod protoc_check;
#[cfg(test)]
mod tests;

pub use convert::{
    decode_event_group, decode_log, decode_log_group, decode_log_group_v2, encode_event_group,
    encode_log_group, to_log_group_message, try_encode_event_group,
};
pub use error::{DecodeError, EncodeError};
pub use event_group::{
    untyped_value_metric_type, Content, InnerEvent, LogEvent, LogEvents, MapEntry, MetricEvent,
    MetricEvents, MetricValue, MultiValueEntry, PipelineEventGroup, PipelineEvents, SpanEvent,
    SpanEvents, SpanLink, UntypedMultiDoubleValue, UntypedMultiDoubleValues, UntypedSingleValue,
};
pub use log_group::{Log, LogContent, LogGroup, LogTag};
