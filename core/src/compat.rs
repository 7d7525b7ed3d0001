//! iLogtail's Go constructors by their Go names, for porting Go plugins line by line.
//!
//! Go's `pkg/models/factory.go` builds events with free functions (`models.NewSingleValueMetric`,
//! `models.NewTagsWithKeyValues`, ...). Each function here is that constructor, snake_cased,
//! with the same arguments in the same order; each is one call of the idiomatic constructor it
//! names, which new code should use instead:
//!
//! | Go | here | idiomatic |
//! |---|---|---|
//! | `models.NewMetric` | [`new_metric`] | [`Metric::new`] |
//! | `models.NewSingleValueMetric` | [`new_single_value_metric`] | [`Metric::single`] |
//! | `models.NewMultiValuesMetric` | [`new_multi_values_metric`] | [`Metric::multi`] |
//! | `models.NewMetric` (with `TypedValue`) | [`new_metric_with_typed_values`] | [`Metric::with_typed_values`] |
//! | `models.NewMetricMultiValue`, `NewMetricTypedValues` | [`new_metric_multi_value`], [`new_metric_typed_values`] | [`KeyValues::new`] |
//! | `models.NewMetricMultiValueWithMap` | [`new_metric_multi_value_with_map`] | [`KeyValues`] `from_iter` |
//! | `models.NewTags`, `NewMetadata` | [`new_tags`], [`new_metadata`] | [`Tags::new`] |
//! | `models.NewTagsWithMap`, `NewMetadataWithMap` | [`new_tags_with_map`], [`new_metadata_with_map`] | [`Tags::from`] / `from_iter` |
//! | `models.NewTagsWithKeyValues`, `NewMetadataWithKeyValues` | [`new_tags_with_key_values`], [`new_metadata_with_key_values`] | [`Tags::from`] `[("k", "v")]` |
//! | `models.NewGroup` | [`new_group`] | [`GroupInfo::new`] |
//! | `models.NewLog` | [`new_log`] | a [`Log`] struct literal |
//! | `models.NewSimpleLog`, `NewSimpleLevelLog` | [`new_simple_log`], [`new_simple_level_log`] | [`Log::with_body`] |
//! | `models.NewLogContents` | [`new_log_contents`] | [`KeyValues::new`] |
//! | `models.NewSpan` | [`new_span`] | a [`Span`] struct literal |
//! | `models.NewByteArray` | [`new_byte_array`] | [`ByteArray::from`] |
//!
//! ```
//! use pipeplug::compat::{new_single_value_metric, new_tags_with_key_values};
//! use pipeplug::models::{Metric, MetricType, Tags};
//!
//! let go = new_single_value_metric("m", MetricType::Counter, new_tags_with_key_values(&["a", "1"]), 5, 1);
//! let rust = Metric::single("m", MetricType::Counter, Tags::from([("a", "1")]), 5, 1);
//! assert_eq!(go, rust);
//! ```

use crate::models::{
    ByteArray, GroupInfo, KeyValues, Log, LogValue, Metadata, Metric, MetricNumber, MetricType,
    MetricValue, Span, SpanEvent, SpanKind, SpanLink, Str, Tags,
};

/// `models.NewMetric`, without typed values: [`Metric::new`].
#[must_use]
pub fn new_metric(
    name: impl Into<Str>,
    metric_type: MetricType,
    tags: Tags,
    timestamp: u64,
    value: MetricValue,
) -> Metric {
    Metric::new(name, metric_type, tags, timestamp, value)
}

/// `models.NewSingleValueMetric`: [`Metric::single`].
#[must_use]
pub fn new_single_value_metric(
    name: impl Into<Str>,
    metric_type: MetricType,
    tags: Tags,
    timestamp: u64,
    value: impl MetricNumber,
) -> Metric {
    Metric::single(name, metric_type, tags, timestamp, value)
}

/// `models.NewMultiValuesMetric`: [`Metric::multi`].
#[must_use]
pub fn new_multi_values_metric(
    name: impl Into<Str>,
    metric_type: MetricType,
    tags: Tags,
    timestamp: u64,
    values: KeyValues<f64>,
) -> Metric {
    Metric::multi(name, metric_type, tags, timestamp, values)
}

/// `models.NewMetricMultiValue`: no named numbers yet.
#[must_use]
pub fn new_metric_multi_value() -> KeyValues<f64> {
    KeyValues::new()
}

/// `models.NewMetricTypedValues`: no typed values yet.
#[must_use]
pub fn new_metric_typed_values() -> KeyValues<serde_json::Value> {
    KeyValues::new()
}

/// `models.NewMetric` with its typed values (Go's sixth argument):
/// [`Metric::new`] then [`Metric::with_typed_values`].
#[must_use]
pub fn new_metric_with_typed_values(
    name: impl Into<Str>,
    metric_type: MetricType,
    tags: Tags,
    timestamp: u64,
    value: MetricValue,
    typed_values: KeyValues<serde_json::Value>,
) -> Metric {
    Metric::new(name, metric_type, tags, timestamp, value).with_typed_values(typed_values)
}

/// `models.NewMetricMultiValueWithMap`: named numbers from pairs.
pub fn new_metric_multi_value_with_map<K: Into<Str>>(
    values: impl IntoIterator<Item = (K, f64)>,
) -> KeyValues<f64> {
    values.into_iter().collect()
}

/// `models.NewTags`: empty tags.
#[must_use]
pub fn new_tags() -> Tags {
    Tags::new()
}

/// `models.NewMetadata`: empty metadata.
#[must_use]
pub fn new_metadata() -> Metadata {
    Metadata::new()
}

/// `models.NewTagsWithMap`: tags from any map or list of pairs.
pub fn new_tags_with_map<K: Into<Str>, V: Into<Str>>(
    map: impl IntoIterator<Item = (K, V)>,
) -> Tags {
    map.into_iter().collect()
}

/// `models.NewTagsWithKeyValues`: tags from a flat `[k1, v1, k2, v2, ...]` list. A trailing
/// key without a value is ignored, as in Go.
#[must_use]
pub fn new_tags_with_key_values(flat: &[&str]) -> Tags {
    flat.chunks_exact(2).map(|kv| (kv[0], kv[1])).collect()
}

/// `models.NewMetadataWithMap`.
pub fn new_metadata_with_map<K: Into<Str>, V: Into<Str>>(
    map: impl IntoIterator<Item = (K, V)>,
) -> Metadata {
    map.into_iter().collect()
}

/// `models.NewMetadataWithKeyValues`.
#[must_use]
pub fn new_metadata_with_key_values(flat: &[&str]) -> Metadata {
    new_tags_with_key_values(flat)
}

/// `models.NewGroup`: [`GroupInfo::new`].
#[must_use]
pub fn new_group(metadata: Metadata, tags: Tags) -> GroupInfo {
    GroupInfo::new(metadata, tags)
}

/// `models.NewLogContents`: empty log contents.
#[must_use]
pub fn new_log_contents() -> KeyValues<LogValue> {
    KeyValues::new()
}

/// `models.NewLog`: a log with every field given.
#[must_use]
pub fn new_log(
    name: impl Into<Str>,
    body: impl Into<LogValue>,
    level: impl Into<Str>,
    span_id: impl Into<Str>,
    trace_id: impl Into<Str>,
    tags: Tags,
    timestamp: u64,
) -> Log {
    Log {
        name: name.into(),
        level: level.into(),
        span_id: span_id.into(),
        trace_id: trace_id.into(),
        ..Log::with_body(body, tags, timestamp)
    }
}

/// `models.NewSimpleLog`: [`Log::with_body`].
#[must_use]
pub fn new_simple_log(body: impl Into<LogValue>, tags: Tags, timestamp: u64) -> Log {
    Log::with_body(body, tags, timestamp)
}

/// `models.NewSimpleLevelLog`: as [`new_simple_log`] with a level.
#[must_use]
pub fn new_simple_level_log(
    level: impl Into<Str>,
    body: impl Into<LogValue>,
    tags: Tags,
    timestamp: u64,
) -> Log {
    Log {
        level: level.into(),
        ..Log::with_body(body, tags, timestamp)
    }
}

/// `models.NewSpan`: a [`Span`] with these fields, the others empty.
#[must_use]
#[allow(clippy::too_many_arguments)] // Go's signature
pub fn new_span(
    name: impl Into<String>,
    trace_id: impl Into<String>,
    span_id: impl Into<String>,
    kind: SpanKind,
    start_time: u64,
    end_time: u64,
    tags: Tags,
    events: Vec<SpanEvent>,
    links: Vec<SpanLink>,
) -> Span {
    Span {
        name: name.into(),
        trace_id: trace_id.into(),
        span_id: span_id.into(),
        kind,
        start_time,
        end_time,
        tags,
        events,
        links,
        ..Span::default()
    }
}

/// `models.NewByteArray`: [`ByteArray::from`].
#[must_use]
pub fn new_byte_array(bytes: impl Into<Vec<u8>>) -> ByteArray {
    ByteArray(bytes.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_constructors_equal_the_idiomatic_ones() {
        let tags = new_tags_with_key_values(&["a", "1", "b"]);
        assert_eq!(tags, Tags::from([("a", "1")]));
        assert_eq!(
            new_group(new_metadata(), tags.clone()),
            GroupInfo::new(Metadata::new(), tags.clone())
        );
        assert_eq!(
            new_simple_level_log("INFO", "x", tags.clone(), 7).level,
            "INFO"
        );
        assert_eq!(
            new_log("n", "x", "", "", "", tags.clone(), 7),
            Log {
                name: "n".into(),
                ..Log::with_body("x", tags, 7)
            }
        );
        assert_eq!(new_byte_array(b"ab".to_vec()), ByteArray::from(&b"ab"[..]));
    }
}
