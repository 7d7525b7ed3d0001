//! `PipelineEvent`, `GroupInfo` and `PipelineGroupEvents`.

use super::{ByteArray, Log, Metadata, Metric, Span, Str, Tags};
use serde::{Deserialize, Serialize};

/// The kind of an event (`models.EventType`); the numbers are Go's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// A [`Metric`].
    Metric = 1,
    /// A [`Span`].
    Span = 2,
    /// A [`Log`].
    Logging = 3,
    /// A [`ByteArray`].
    ByteArray = 4,
}

/// One event of a V2 pipeline (Go's `PipelineEvent` interface, as an enum).
///
/// Serialized as the event's own fields plus `"eventType"`: `"log"`, `"metric"`, `"span"`,
/// or `"byteArray"` (whose bytes are under `"bytes"`, as a list of numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "eventType", rename_all = "camelCase")]
pub enum PipelineEvent {
    /// A log.
    Log(Log),
    /// A metric.
    Metric(Metric),
    /// A span.
    Span(Span),
    /// Raw bytes.
    // An internally tagged enum cannot hold a bare sequence: the bytes get a field.
    #[serde(with = "byte_array_fields")]
    ByteArray(ByteArray),
}

/// `{"bytes": [...]}`, the serde form of a byte array inside a [`PipelineEvent`].
mod byte_array_fields {
    use super::ByteArray;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    struct Out<'a> {
        bytes: &'a [u8],
    }

    #[derive(Deserialize)]
    struct In {
        bytes: Vec<u8>,
    }

    pub(super) fn serialize<S: Serializer>(b: &ByteArray, s: S) -> Result<S::Ok, S::Error> {
        Out { bytes: &b.0 }.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ByteArray, D::Error> {
        In::deserialize(d).map(|i| ByteArray(i.bytes))
    }
}

static EMPTY_TAGS: std::sync::LazyLock<Tags> = std::sync::LazyLock::new(Tags::new);

impl PipelineEvent {
    /// The kind of event (`GetType`).
    #[must_use]
    pub fn event_type(&self) -> EventType {
        match self {
            Self::Log(_) => EventType::Logging,
            Self::Metric(_) => EventType::Metric,
            Self::Span(_) => EventType::Span,
            Self::ByteArray(_) => EventType::ByteArray,
        }
    }

    /// The event name (`GetName`); empty for byte arrays.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Log(l) => &l.name,
            Self::Metric(m) => &m.name,
            Self::Span(s) => &s.name,
            Self::ByteArray(_) => "",
        }
    }

    /// The event tags (`GetTags`); empty for byte arrays.
    #[must_use]
    pub fn tags(&self) -> &Tags {
        match self {
            Self::Log(l) => &l.tags,
            Self::Metric(m) => &m.tags,
            Self::Span(s) => &s.tags,
            Self::ByteArray(_) => &EMPTY_TAGS,
        }
    }

    /// Renames the event (`SetName`); byte arrays have no name, so it does nothing to them.
    pub fn set_name(&mut self, name: impl Into<Str>) {
        match self {
            Self::Log(l) => l.name = name.into(),
            Self::Metric(m) => m.name = name.into(),
            Self::Span(s) => s.name = name.into().into(),
            Self::ByteArray(_) => {}
        }
    }

    /// When the agent saw the event, in Unix nanoseconds (`GetObservedTimestamp`); 0 for
    /// byte arrays.
    #[must_use]
    pub fn observed_timestamp(&self) -> u64 {
        match self {
            Self::Log(l) => l.observed_timestamp,
            Self::Metric(m) => m.observed_timestamp,
            Self::Span(s) => s.observed_timestamp,
            Self::ByteArray(_) => 0,
        }
    }

    /// Sets when the agent saw the event (`SetObservedTimestamp`); does nothing to byte
    /// arrays.
    pub fn set_observed_timestamp(&mut self, nanos: u64) {
        match self {
            Self::Log(l) => l.observed_timestamp = nanos,
            Self::Metric(m) => m.observed_timestamp = nanos,
            Self::Span(s) => s.observed_timestamp = nanos,
            Self::ByteArray(_) => {}
        }
    }

    /// Mutable tags; `None` for byte arrays, which have none.
    pub fn tags_mut(&mut self) -> Option<&mut Tags> {
        match self {
            Self::Log(l) => Some(&mut l.tags),
            Self::Metric(m) => Some(&mut m.tags),
            Self::Span(s) => Some(&mut s.tags),
            Self::ByteArray(_) => None,
        }
    }

    /// The event time in Unix nanoseconds (`GetTimestamp`; a span's start).
    #[must_use]
    pub fn timestamp(&self) -> u64 {
        match self {
            Self::Log(l) => l.timestamp,
            Self::Metric(m) => m.timestamp,
            Self::Span(s) => s.start_time,
            Self::ByteArray(_) => 0,
        }
    }
}

impl From<Log> for PipelineEvent {
    fn from(e: Log) -> Self {
        Self::Log(e)
    }
}
impl From<Metric> for PipelineEvent {
    fn from(e: Metric) -> Self {
        Self::Metric(e)
    }
}
impl From<Span> for PipelineEvent {
    fn from(e: Span) -> Self {
        Self::Span(e)
    }
}
impl From<ByteArray> for PipelineEvent {
    fn from(e: ByteArray) -> Self {
        Self::ByteArray(e)
    }
}

/// What a group of events shares: metadata and tags (`models.GroupInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupInfo {
    /// Metadata of the group (source, file, ...).
    pub metadata: Metadata,
    /// Tags shared by the group's events.
    pub tags: Tags,
}

impl GroupInfo {
    /// A group with metadata and tags.
    #[must_use]
    pub fn new(metadata: Metadata, tags: Tags) -> Self {
        Self { metadata, tags }
    }
}

/// A group and its events: what V2 plugins pass along (`models.PipelineGroupEvents`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PipelineGroupEvents {
    /// The group.
    pub group: GroupInfo,
    /// Its events.
    pub events: Vec<PipelineEvent>,
}

impl PipelineGroupEvents {
    /// A group with events.
    #[must_use]
    pub fn new(group: GroupInfo, events: Vec<PipelineEvent>) -> Self {
        Self { group, events }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::{new_byte_array, new_simple_log, new_span};
    use crate::models::{MetricType, SpanKind};

    #[test]
    fn every_event_kind_serializes_and_reads_back() {
        let tags = Tags::from([("k", "v")]);
        let group = PipelineGroupEvents::new(
            GroupInfo::new(Metadata::new(), tags.clone()),
            vec![
                new_simple_log("body", tags.clone(), 1).into(),
                Metric::single("m", MetricType::Gauge, tags.clone(), 2, 0.5).into(),
                new_span("s", "t", "i", SpanKind::Client, 3, 4, tags, vec![], vec![]).into(),
                new_byte_array(b"\x00raw".to_vec()).into(),
            ],
        );
        let json = serde_json::to_value(&group).unwrap();
        let types: Vec<_> = json["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["eventType"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["log", "metric", "span", "byteArray"]);
        assert_eq!(
            json["events"][3]["bytes"],
            serde_json::json!([0, 114, 97, 119])
        );
        let back: PipelineGroupEvents = serde_json::from_value(json).unwrap();
        assert_eq!(back, group);
    }
}
