//! `metric_mock`: a metric input that makes up data (iLogtail's `metric_mock`).

use pipeplug::convert;
use pipeplug::models::{KeyValues, MetricNumber};
use pipeplug::prelude::*;
use serde_json::Value;

/// Mock metric input: one record per collection, counting up from `Index`.
///
/// V1: each collection adds `Index` by one and emits one log with the `Tags`, then
/// `Index` and the `Fields` as contents (values as text). With `OpenPrometheusPattern`, the
/// log is instead the metric `metrics_mock` (value `Index`, labels `Tags` and `Fields`) in
/// iLogtail's V1 metric form (`__name__`, `__time_nano__`, `__labels__`, `__value__`).
///
/// V2: each collection adds `Index` by one and emits one group (metadata `GroupMeta`, tags
/// `GroupTags`) holding two metrics tagged with `Tags`: the counter `single_metrics_mock`
/// (value `Index`) and the untyped multi-value `multi_values_metrics_mock` (`Index` and the
/// numeric `Fields` as values, the other `Fields` as typed values: booleans as booleans,
/// anything else as text).
///
/// It runs on the entry's `IntervalMs`, the engine key of every metric input (else on
/// `global.InputIntervalMs`, 1 s).
#[metric_input(
    name = "metric_mock",
    rename_all = "PascalCase",
    example = "IntervalMs: 1000\nTags: {host: web-1}\nFields: {value: 1}"
)]
#[derive(Debug)]
pub struct MetricMock {
    /// Metadata of the V2 group.
    group_meta: KeyValues<pipeplug::models::Str>,
    /// Tags of the V2 group.
    group_tags: KeyValues<pipeplug::models::Str>,
    /// Tags of every record (V1: contents before the fields; V2: metric tags).
    tags: KeyValues<pipeplug::models::Str>,
    /// Fields of every record: any JSON values (V1: contents; V2: metric values).
    fields: KeyValues<Value>,
    /// The count before the first collection; the first record carries `Index + 1`.
    index: i64,
    /// V1: emit the Prometheus-style metric `metrics_mock` instead of a plain log.
    open_prometheus_pattern: bool,
    /// The context from `init`: its clock times the records.
    #[state]
    ctx: Context,
}

/// A JSON value as text, as Go's `fmt.Sprint` writes a decoded config value: strings as
/// they are, numbers and booleans as JSON writes them, `null`, lists and maps as JSON.
fn sprint(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl MetricMock {
    fn next_index(&mut self) -> i64 {
        self.index = self.index.saturating_add(1);
        self.index
    }
}

impl MetricInput for MetricMock {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        // The engine's choice: the entry's `IntervalMs` (an engine key every metric input
        // accepts), else `global.InputIntervalMs`.
        Ok(DEFAULT_INTERVAL)
    }
}

impl MetricInputV1 for MetricMock {
    fn collect(&mut self, collector: &Collector) -> Result<(), BoxError> {
        let index = self.next_index();
        if self.open_prometheus_pattern {
            let mut labels = self.tags.clone();
            for (k, v) in self.fields.iter() {
                labels.add(k, sprint(v));
            }
            let metric = Metric::single(
                "metrics_mock",
                MetricType::Untyped,
                labels,
                self.ctx.clock().now_nanos(),
                index,
            );
            for log in convert::metric_to_v1_logs(&metric) {
                collector.add_raw_log(log);
            }
        } else {
            let mut fields = KeyValues::<String>::new();
            fields.add("Index", index.to_string());
            for (k, v) in self.fields.iter() {
                fields.add(k, sprint(v));
            }
            collector.add_data(self.tags.iter().map(|(k, v)| (k, v.as_str())), fields, None);
        }
        Ok(())
    }
}

impl MetricInputV2 for MetricMock {
    fn read(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        let index = self.next_index();
        let now = self.ctx.clock().now_nanos();
        let group = GroupInfo::new(self.group_meta.clone(), self.group_tags.clone());
        let single = Metric::single(
            "single_metrics_mock",
            MetricType::Counter,
            self.tags.clone(),
            now,
            index,
        );
        let mut values = KeyValues::<f64>::new();
        values.add("Index", index.to_f64());
        let mut typed = KeyValues::<Value>::new();
        for (k, v) in self.fields.iter() {
            match v {
                Value::Number(n) => match n.as_f64() {
                    Some(x) => values.add(k, x),
                    None => typed.add(k, Value::String(n.to_string())),
                },
                Value::Bool(b) => typed.add(k, Value::Bool(*b)),
                other => typed.add(k, Value::String(sprint(other))),
            }
        }
        let multi = Metric::multi(
            "multi_values_metrics_mock",
            MetricType::Untyped,
            self.tags.clone(),
            now,
            values,
        )
        .with_typed_values(typed);
        ctx.collector()
            .collect(group, vec![single.into(), multi.into()]);
        Ok(())
    }
}
