//! The errors of decoding and encoding the wire messages.

/// Bytes that are not the message they were given as: not protobuf, cut short, or holding
/// something the model cannot take. The text names the message and, where known, the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode a serialized {message}: {detail}")]
pub struct DecodeError {
    message: &'static str,
    detail: String,
}

impl DecodeError {
    pub(super) fn wire(message: &'static str, source: &prost::DecodeError) -> Self {
        Self {
            message,
            detail: source.to_string(),
        }
    }

    pub(super) fn field(message: &'static str, field: impl std::fmt::Display, why: &str) -> Self {
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
