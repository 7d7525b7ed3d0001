//! The V2 metric event (`models.Metric`).

use super::{KeyValues, Str, Tags};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kind of a metric (`models.MetricType`); the numbers are Go's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum MetricType {
    /// No declared kind.
    #[default]
    Untyped = 1,
    /// A monotonically increasing count.
    Counter = 2,
    /// A value that goes up and down.
    Gauge = 3,
    /// Bucketed observations.
    Histogram = 4,
    /// Quantiles of observations.
    Summary = 5,
    /// A rate meter.
    Meter = 6,
    /// A counter reported as a rate.
    RateCounter = 7,
}

impl MetricType {
    /// Every type, in Go's order.
    pub const ALL: [Self; 7] = [
        Self::Untyped,
        Self::Counter,
        Self::Gauge,
        Self::Histogram,
        Self::Summary,
        Self::Meter,
        Self::RateCounter,
    ];

    /// Go's text for the type (`MetricTypeTexts`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Untyped => "Untyped",
            Self::Counter => "Counter",
            Self::Gauge => "Gauge",
            Self::Histogram => "Histogram",
            Self::Summary => "Summary",
            Self::Meter => "Meter",
            Self::RateCounter => "RateCounter",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses Go's text for a type (`MetricTypeValues`), ignoring ASCII case.
impl FromStr for MetricType {
    type Err = UnknownMetricType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownMetricType(s.to_owned()))
    }
}

/// A metric type name that is not one of Go's `MetricTypeTexts`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric type `{0}`; expected one of Untyped, Counter, Gauge, Histogram, Summary, Meter, RateCounter")]
pub struct UnknownMetricType(pub String);

/// The value of a metric: one number, or named numbers (`MetricSingleValue` / `MetricMultiValue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricValue {
    /// One number.
    Single(f64),
    /// Several named numbers (for example histogram buckets).
    Multi(KeyValues<f64>),
}

impl MetricValue {
    /// Whether it is one number (`IsSingleValue`).
    #[must_use]
    pub fn is_single_value(&self) -> bool {
        matches!(self, Self::Single(_))
    }

    /// Whether it is named numbers (`IsMultiValues`).
    #[must_use]
    pub fn is_multi_values(&self) -> bool {
        matches!(self, Self::Multi(_))
    }

    /// The number, if it is one (`GetSingleValue`, which answers 0 for multi-values).
    #[must_use]
    pub fn single_value(&self) -> Option<f64> {
        match self {
            Self::Single(v) => Some(*v),
            Self::Multi(_) => None,
        }
    }

    /// The named numbers, if it has them (`GetMultiValues`).
    #[must_use]
    pub fn multi_values(&self) -> Option<&KeyValues<f64>> {
        match self {
            Self::Single(_) => None,
            Self::Multi(values) => Some(values),
        }
    }
}

impl Default for MetricValue {
    fn default() -> Self {
        Self::Single(0.0)
    }
}

/// A metric event of a V2 pipeline.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metric {
    /// The metric name.
    pub name: Str,
    /// The unit, empty when none.
    pub unit: Str,
    /// A description, empty when none.
    pub description: Str,
    /// When it was measured, in Unix nanoseconds.
    pub timestamp: u64,
    /// When the agent saw it, in Unix nanoseconds.
    pub observed_timestamp: u64,
    /// Labels.
    pub tags: Tags,
    /// The kind of metric.
    pub metric_type: MetricType,
    /// The numbers.
    pub value: MetricValue,
    /// Non-numeric values (`TypedValue`), empty for most metrics.
    pub typed_values: KeyValues<serde_json::Value>,
}

impl Metric {
    /// A metric with a value: its name, type, labels and time (Unix nanoseconds).
    #[must_use]
    pub fn new(
        name: impl Into<Str>,
        metric_type: MetricType,
        tags: Tags,
        timestamp: u64,
        value: MetricValue,
    ) -> Self {
        Self {
            name: name.into(),
            metric_type,
            tags,
            timestamp,
            value,
            ..Self::default()
        }
    }

    /// A metric with one number (any integer or float).
    ///
    /// ```
    /// use pipeplug::models::{Metric, MetricType, Tags};
    /// let m = Metric::single("test_metric", MetricType::Counter, Tags::from([("hello", "world")]), 1, 1);
    /// assert_eq!(m.single_value(), Some(1.0));
    /// ```
    #[must_use]
    pub fn single(
        name: impl Into<Str>,
        metric_type: MetricType,
        tags: Tags,
        timestamp: u64,
        value: impl MetricNumber,
    ) -> Self {
        Self::new(
            name,
            metric_type,
            tags,
            timestamp,
            MetricValue::Single(value.to_f64()),
        )
    }

    /// A metric with named numbers.
    #[must_use]
    pub fn multi(
        name: impl Into<Str>,
        metric_type: MetricType,
        tags: Tags,
        timestamp: u64,
        values: KeyValues<f64>,
    ) -> Self {
        Self::new(
            name,
            metric_type,
            tags,
            timestamp,
            MetricValue::Multi(values),
        )
    }

    /// The same metric with these typed (non-numeric) values.
    #[must_use]
    pub fn with_typed_values(self, typed_values: KeyValues<serde_json::Value>) -> Self {
        Self {
            typed_values,
            ..self
        }
    }

    /// The single value, if the metric has one.
    #[must_use]
    pub fn single_value(&self) -> Option<f64> {
        self.value.single_value()
    }

    /// The named values, if the metric has them.
    #[must_use]
    pub fn multi_values(&self) -> Option<&KeyValues<f64>> {
        self.value.multi_values()
    }
}

/// A number a metric value can be made from: any integer or float, as Go's
/// `NewSingleValueMetric[T int|uint|float]` takes (integers beyond 2^53 round to the
/// nearest `f64`).
pub trait MetricNumber: Copy {
    /// The number as an `f64`.
    fn to_f64(self) -> f64;
}

macro_rules! metric_numbers {
    ($($t:ty),*) => {$(
        impl MetricNumber for $t {
            #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
metric_numbers!(f64, f32, i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);
