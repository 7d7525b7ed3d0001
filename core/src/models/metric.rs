//! The V2 metric event (`models.Metric`).

use super::{KeyValues, Tags};
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

impl FromStr for MetricType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown metric type `{s}`"))
    }
}

/// The value of a metric: one number, or named numbers (`MetricSingleValue` / `MetricMultiValue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricValue {
    /// One number.
    Single(f64),
    /// Several named numbers (for example histogram buckets).
    Multi(KeyValues<f64>),
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
    pub name: String,
    /// The unit, empty when none.
    pub unit: String,
    /// A description, empty when none.
    pub description: String,
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
    /// The single value, if the metric has one.
    #[must_use]
    pub fn single_value(&self) -> Option<f64> {
        match self.value {
            MetricValue::Single(v) => Some(v),
            MetricValue::Multi(_) => None,
        }
    }
}

/// `models.NewMetric`.
#[must_use]
pub fn new_metric(
    name: impl Into<String>,
    metric_type: MetricType,
    tags: Tags,
    timestamp: u64,
    value: MetricValue,
) -> Metric {
    Metric {
        name: name.into(),
        metric_type,
        tags,
        timestamp,
        value,
        ..Metric::default()
    }
}

/// `models.NewSingleValueMetric`: a metric with one number.
#[must_use]
pub fn new_single_value_metric(
    name: impl Into<String>,
    metric_type: MetricType,
    tags: Tags,
    timestamp: u64,
    value: impl Into<f64>,
) -> Metric {
    new_metric(name, metric_type, tags, timestamp, MetricValue::Single(value.into()))
}

/// `models.NewMultiValuesMetric`: a metric with named numbers.
#[must_use]
pub fn new_multi_values_metric(
    name: impl Into<String>,
    metric_type: MetricType,
    tags: Tags,
    timestamp: u64,
    values: KeyValues<f64>,
) -> Metric {
    new_metric(name, metric_type, tags, timestamp, MetricValue::Multi(values))
}

/// `models.NewMetricMultiValueWithMap`: named numbers from pairs.
pub fn new_metric_multi_value_with_map<K: Into<String>>(
    values: impl IntoIterator<Item = (K, f64)>,
) -> KeyValues<f64> {
    values.into_iter().collect()
}
