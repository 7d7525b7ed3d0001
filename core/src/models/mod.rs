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

/// The text type of event keys, values, tags and names, in both data models.
///
/// A `String`-like type ([`compact_str::CompactString`]): text of up to 24 bytes (most keys,
/// tags and short values) is kept inline, without an allocation, so that making, copying and
/// freeing an event costs a fraction of what owned `String`s cost. It derefs to `&str`, compares
/// with `&str` and `String`, and converts from `&str`, `String` and `Cow<str>` (`"k".into()`);
/// `String::from(s)` or `s.to_string()` gives a `String` back.
///
/// ```
/// use pipeplug::models::Str;
/// let key: Str = "host".into();
/// assert_eq!(key, "host");
/// assert_eq!(key.len(), 4);
/// let owned: String = key.into();
/// assert_eq!(owned, "host");
/// ```
pub type Str = compact_str::CompactString;
