//! The V2 data model: iLogtail's `pkg/models`.
//!
//! A V2 plugin passes [`PipelineGroupEvents`]: a [`GroupInfo`] and its [`PipelineEvent`]s
//! ([`Log`], [`Metric`], [`Span`], [`ByteArray`]). Build them with their constructors
//! ([`Metric::single`], [`GroupInfo::new`], [`Tags::from`] a list of pairs, ...) or struct
//! literals; Go's constructors by their Go names (`NewSingleValueMetric`, ...) are in
//! [`compat`](crate::compat) for porting iLogtail code.

mod event;
pub(crate) mod float;
mod key_values;
mod log;
mod metric;
mod span;

pub use event::{EventType, GroupInfo, PipelineEvent, PipelineGroupEvents};
pub use key_values::{KeyValues, Metadata, Tags};
pub use log::{Log, LogValue, BODY_KEY};
pub use metric::{Metric, MetricNumber, MetricType, MetricValue, UnknownMetricType};
pub use span::{ByteArray, Span, SpanEvent, SpanKind, SpanLink, StatusCode};
