//! The V2 data model: iLogtail's `pkg/models`.
//!
//! A V2 plugin passes [`PipelineGroupEvents`]: a [`GroupInfo`] and its [`PipelineEvent`]s
//! ([`Log`], [`Metric`], [`Span`], [`ByteArray`]). The constructors mirror Go's
//! (`models.NewSingleValueMetric` is [`new_single_value_metric`], and so on).

mod event;
pub(crate) mod float;
mod key_values;
mod log;
mod metric;
mod span;

pub use event::{new_group, EventType, GroupInfo, PipelineEvent, PipelineGroupEvents};
pub use key_values::{
    new_metadata, new_metadata_with_key_values, new_metadata_with_map, new_tags,
    new_tags_with_key_values, new_tags_with_map, KeyValues, Metadata, Tags,
};
pub use log::{
    new_log, new_log_contents, new_simple_level_log, new_simple_log, Log, LogValue, BODY_KEY,
};
pub use metric::{
    new_metric, new_metric_multi_value, new_metric_multi_value_with_map, new_metric_typed_values,
    new_metric_with_typed_values, new_multi_values_metric, new_single_value_metric, Metric,
    MetricNumber, MetricType, MetricValue, UnknownMetricType,
};
pub use span::{
    new_byte_array, new_span, ByteArray, Span, SpanEvent, SpanKind, SpanLink, StatusCode,
};
