//! The V2 span event (`models.Span`) and byte arrays (`models.ByteArray`).

use super::Tags;
use serde::{Deserialize, Serialize};

/// The role of a span (`models.SpanKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SpanKind {
    /// Not given.
    #[default]
    Unspecified,
    /// An internal operation.
    Internal,
    /// The server side of a call.
    Server,
    /// The client side of a call.
    Client,
    /// A message producer.
    Producer,
    /// A message consumer.
    Consumer,
}

/// The outcome of a span (`models.StatusCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StatusCode {
    /// Not set.
    #[default]
    Unset,
    /// Succeeded.
    Ok,
    /// Failed.
    Error,
}

/// A link from a span to another trace (`models.SpanLink`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SpanLink {
    /// The linked trace.
    pub trace_id: String,
    /// The linked span.
    pub span_id: String,
    /// The linked trace state.
    pub trace_state: String,
    /// Link attributes.
    pub tags: Tags,
}

/// A timed event inside a span (`models.SpanEvent`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SpanEvent {
    /// Unix nanoseconds.
    pub timestamp: i64,
    /// The event name.
    pub name: String,
    /// Event attributes.
    pub tags: Tags,
}

/// A span event of a V2 pipeline.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Span {
    /// The trace it belongs to.
    pub trace_id: String,
    /// Its own ID.
    pub span_id: String,
    /// The parent span, empty for a root span.
    pub parent_span_id: String,
    /// The operation name.
    pub name: String,
    /// W3C trace state.
    pub trace_state: String,
    /// Start, in Unix nanoseconds (also the event's timestamp).
    pub start_time: u64,
    /// End, in Unix nanoseconds.
    pub end_time: u64,
    /// When the agent saw it, in Unix nanoseconds.
    pub observed_timestamp: u64,
    /// The role of the span.
    pub kind: SpanKind,
    /// The outcome.
    pub status: StatusCode,
    /// Attributes.
    pub tags: Tags,
    /// Links to other spans.
    pub links: Vec<SpanLink>,
    /// Timed events.
    pub events: Vec<SpanEvent>,
}

/// Raw bytes as an event (`models.ByteArray`). Its name and tags are empty, as in Go.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ByteArray(pub Vec<u8>);

impl From<Vec<u8>> for ByteArray {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<&[u8]> for ByteArray {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}
