//! The Prometheus text format of what a [`MetricsHub`] holds.

use crate::engine::{CallHistogram, MetricsHub, PipelineSnapshot, QueueDepth};
use pipeplug::{SelfMetric, SelfMetricValue};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};
use std::collections::{BTreeMap, HashSet};

/// A series' labels, in order.
type Labels = Vec<(String, String)>;

/// One sample's value.
#[derive(Debug, Clone)]
enum Value {
    Counter(u64),
    Gauge(f64),
    /// Cumulative buckets `(upper bound, count)`, the last infinite; sum; count.
    Histogram(Vec<(f64, u64)>, f64, u64),
}

/// A metric family: its type, help and samples.
#[derive(Debug)]
struct Family {
    metric_type: MetricType,
    unit: Option<Unit>,
    help: String,
    samples: Vec<(Labels, Value)>,
    /// Label sets seen, so that a family never has the same series twice.
    seen: HashSet<Labels>,
}

/// Every family of one scrape, by name (the name before the type's and unit's suffixes).
#[derive(Debug, Default)]
struct Families(BTreeMap<String, Family>);

impl Families {
    /// Adds a sample to family `name`, creating it with `metric_type`, `unit` and `help`. A
    /// sample of another type than the family's, or a series already there, is left out.
    fn add(
        &mut self,
        (name, metric_type, unit, help): (&str, MetricType, Option<Unit>, &str),
        labels: Labels,
        value: Value,
    ) {
        let family = self.0.entry(name.to_owned()).or_insert_with(|| Family {
            metric_type,
            unit,
            help: help.to_owned(),
            samples: Vec::new(),
            seen: HashSet::new(),
        });
        if family.metric_type.as_str() != metric_type.as_str() {
            tracing::debug!("metric {name}: a sample of another type is left out");
            return;
        }
        if family.seen.insert(labels.clone()) {
            family.samples.push((labels, value));
        }
    }
}

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, f) in &self.0 {
            let mut metric =
                encoder.encode_descriptor(name, &f.help, f.unit.as_ref(), f.metric_type)?;
            for (labels, value) in &f.samples {
                let e = metric.encode_family(labels)?;
                match value {
                    Value::Counter(n) => ConstCounter::new(*n).encode(e)?,
                    Value::Gauge(v) => ConstGauge::new(*v).encode(e)?,
                    Value::Histogram(buckets, sum, count) => {
                        // The encoder adds the buckets up itself: it takes them apart.
                        let mut below = 0;
                        let apart: Vec<(f64, u64)> = buckets
                            .iter()
                            .map(|&(bound, cumulative)| {
                                let n = cumulative.saturating_sub(below);
                                below = cumulative;
                                (bound, n)
                            })
                            .collect();
                        let mut e = e;
                        e.encode_histogram::<NoLabelSet>(*sum, *count, &apart, None)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A metric or label name as Prometheus allows it: `[a-zA-Z_:][a-zA-Z0-9_:]*` (label names
/// without `:`); every other character becomes `_`, and a leading digit gets a `_` before it.
#[must_use]
pub fn sanitize_name(name: &str, allow_colon: bool) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || (allow_colon && c == ':') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn plugin_labels(pipeline: &str, plugin_type: &str, plugin_id: &str) -> Labels {
    vec![
        ("pipeline".to_owned(), pipeline.to_owned()),
        ("plugin_type".to_owned(), plugin_type.to_owned()),
        ("plugin_id".to_owned(), plugin_id.to_owned()),
    ]
}

fn histogram(h: &CallHistogram) -> Value {
    Value::Histogram(h.buckets.clone(), h.sum_seconds, h.count)
}

const COUNTER: MetricType = MetricType::Counter;
const GAUGE: MetricType = MetricType::Gauge;

/// The queue depth gauges of one queue.
fn add_queue(families: &mut Families, labels: &Labels, q: QueueDepth) {
    let batches = || Some(Unit::Other("batches".to_owned()));
    families.add(
        (
            "pipeplug_queue_length",
            GAUGE,
            batches(),
            "Batches in the queue now.",
        ),
        labels.clone(),
        Value::Gauge(usize_f64(q.len)),
    );
    families.add(
        (
            "pipeplug_queue_capacity",
            GAUGE,
            batches(),
            "Batches the queue holds at most.",
        ),
        labels.clone(),
        Value::Gauge(usize_f64(q.capacity)),
    );
}

#[allow(clippy::cast_precision_loss)]
fn usize_f64(n: usize) -> f64 {
    n as f64
}

/// The engine's families of one pipeline.
fn add_engine(families: &mut Families, p: &PipelineSnapshot) {
    let pipeline = vec![("pipeline".to_owned(), p.name.clone())];
    families.add(
        (
            "pipeplug_pipeline_running",
            GAUGE,
            None,
            "1 while the pipeline runs, 0 once its stop has begun.",
        ),
        pipeline.clone(),
        Value::Gauge(if p.running { 1.0 } else { 0.0 }),
    );
    families.add(
        (
            "pipeplug_pipeline_events_in",
            COUNTER,
            None,
            "Events accepted from the pipeline's inputs.",
        ),
        pipeline.clone(),
        Value::Counter(p.events_in),
    );
    let mut input_queue = pipeline;
    input_queue.push(("queue".to_owned(), "input".to_owned()));
    add_queue(families, &input_queue, p.input_queue);
    for pl in &p.plugins {
        let labels = plugin_labels(&p.name, &pl.plugin_type, &pl.plugin_id);
        let counters = [
            ("pipeplug_plugin_events_in", "Events handed to the plugin (processors, aggregators, flushers).", pl.events_in),
            ("pipeplug_plugin_events_out", "Events the plugin gave out (inputs, processors, aggregators) or flushed (flushers).", pl.events_out),
            ("pipeplug_plugin_errors", "Calls of the plugin that returned an error.", pl.errors),
            ("pipeplug_plugin_panics", "Calls of the plugin that panicked.", pl.panics),
        ];
        for (name, help, n) in counters {
            families.add(
                (name, COUNTER, None, help),
                labels.clone(),
                Value::Counter(n),
            );
        }
        for (reason, n) in &pl.dropped {
            let mut l = labels.clone();
            l.push(("reason".to_owned(), (*reason).to_owned()));
            families.add(
                (
                    "pipeplug_plugin_dropped_events",
                    COUNTER,
                    None,
                    "Events lost at the plugin, by reason.",
                ),
                l,
                Value::Counter(*n),
            );
        }
        families.add(
            (
                "pipeplug_plugin_call_duration",
                MetricType::Histogram,
                Some(Unit::Seconds),
                "Time of the plugin's work calls (collect, process, an aggregator's adds of a batch, flush, export).",
            ),
            labels.clone(),
            histogram(&pl.calls),
        );
        if let Some(q) = pl.queue {
            let mut l = vec![
                ("pipeline".to_owned(), p.name.clone()),
                ("queue".to_owned(), "flusher".to_owned()),
            ];
            l.extend(labels.into_iter().skip(1));
            add_queue(families, &l, q);
        }
    }
}

/// A plugin's self-metric as a sample of `pipeplug_self_<name>`.
fn add_self_metric(families: &mut Families, pipeline: &str, m: &SelfMetric) {
    let mut labels = vec![("pipeline".to_owned(), pipeline.to_owned())];
    for (k, v) in &m.labels {
        match k.as_str() {
            "config_name" => {}
            "plugin" => {
                let (t, id) = v.split_once('/').unwrap_or((v.as_str(), ""));
                labels.push(("plugin_type".to_owned(), t.to_owned()));
                labels.push(("plugin_id".to_owned(), id.to_owned()));
            }
            other => {
                let key = sanitize_name(other, false);
                if !labels.iter().any(|(k, _)| *k == key) && key != "le" {
                    labels.push((key, v.clone()));
                }
            }
        }
    }
    let base = format!("pipeplug_self_{}", sanitize_name(&m.name, true));
    let help = format!("The plugins' self-metric `{}`.", m.name.replace('\n', " "));
    match &m.value {
        SelfMetricValue::Counter(n) => {
            let name = base.strip_suffix("_total").unwrap_or(&base);
            families.add((name, COUNTER, None, &help), labels, Value::Counter(*n));
        }
        SelfMetricValue::Gauge(v) => {
            families.add((&base, GAUGE, None, &help), labels, Value::Gauge(*v));
        }
        SelfMetricValue::Average(v) => {
            let help = format!("{help} The mean of the values added since the last scrape.");
            families.add((&base, GAUGE, None, &help), labels, Value::Gauge(*v));
        }
        SelfMetricValue::Latency { count, mean_ns } => {
            let name = base.strip_suffix("_seconds").unwrap_or(&base);
            #[allow(clippy::cast_precision_loss)]
            let sum = *mean_ns as f64 * *count as f64 / 1e9;
            let value = Value::Histogram(vec![(f64::INFINITY, *count)], sum, *count);
            families.add(
                (name, MetricType::Histogram, Some(Unit::Seconds), &help),
                labels,
                value,
            );
        }
    }
}

/// Every registered pipeline's metrics, read now, in the Prometheus text format (version
/// 0.0.4): the engine's (`pipeplug_pipeline_*`, `pipeplug_plugin_*`, `pipeplug_queue_*`) and
/// the plugins' self-metrics (`pipeplug_self_*`). Reading starts the next interval of the
/// plugins' averages.
#[must_use]
pub fn encode(hub: &MetricsHub) -> String {
    let mut families = Families::default();
    for p in hub.snapshot() {
        add_engine(&mut families, &p);
        for m in &p.self_metrics {
            add_self_metric(&mut families, &p.name, m);
        }
    }
    let mut registry = Registry::default();
    registry.register_collector(Box::new(families));
    let mut out = String::new();
    // Writing to a String does not fail; a collector's error would be a bug of ours.
    if let Err(e) = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry) {
        tracing::error!("cannot encode the metrics: {e}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(metrics: &[SelfMetric]) -> String {
        let mut families = Families::default();
        for m in metrics {
            add_self_metric(&mut families, "shop", m);
        }
        let mut registry = Registry::default();
        registry.register_collector(Box::new(families));
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &registry).unwrap();
        out
    }

    fn metric(name: &str, extra: &[(&str, &str)], value: SelfMetricValue) -> SelfMetric {
        let mut labels = vec![
            ("config_name".to_owned(), "shop".to_owned()),
            ("plugin".to_owned(), "processor_x/2".to_owned()),
        ];
        labels.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        SelfMetric {
            name: name.to_owned(),
            labels,
            value,
        }
    }

    #[test]
    fn names_prometheus_cannot_take_are_made_valid() {
        assert_eq!(sanitize_name("proc.in-records", true), "proc_in_records");
        assert_eq!(sanitize_name("a:b", true), "a:b");
        assert_eq!(sanitize_name("a:b", false), "a_b");
        assert_eq!(sanitize_name("9lives", true), "_9lives");
        assert_eq!(sanitize_name("", false), "_");
    }

    #[test]
    fn self_metrics_keep_their_kind_labels_and_units() {
        let text = text_of(&[
            metric(
                "proc_in_records_total",
                &[("reason", "x")],
                SelfMetricValue::Counter(7),
            ),
            metric("queue.fill", &[], SelfMetricValue::Gauge(0.5)),
            metric("cost", &[], SelfMetricValue::Average(2.5)),
            metric(
                "send_latency",
                &[],
                SelfMetricValue::Latency {
                    count: 4,
                    mean_ns: 500_000_000,
                },
            ),
        ]);
        let plugin = "pipeline=\"shop\",plugin_type=\"processor_x\",plugin_id=\"2\"";
        for line in [
            "# TYPE pipeplug_self_proc_in_records_total counter".to_owned(),
            format!("pipeplug_self_proc_in_records_total{{{plugin},reason=\"x\"}} 7"),
            format!("pipeplug_self_queue_fill{{{plugin}}} 0.5"),
            format!("pipeplug_self_cost{{{plugin}}} 2.5"),
            "# TYPE pipeplug_self_send_latency_seconds histogram".to_owned(),
            format!("pipeplug_self_send_latency_seconds_bucket{{{plugin},le=\"+Inf\"}} 4"),
            format!("pipeplug_self_send_latency_seconds_sum{{{plugin}}} 2.0"),
            format!("pipeplug_self_send_latency_seconds_count{{{plugin}}} 4"),
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
    }

    #[test]
    fn a_name_seen_as_two_kinds_or_twice_is_written_once() {
        let text = text_of(&[
            metric("hits", &[], SelfMetricValue::Counter(1)),
            metric("hits", &[], SelfMetricValue::Gauge(9.0)),
            metric("a.b", &[], SelfMetricValue::Gauge(1.0)),
            metric("a_b", &[], SelfMetricValue::Gauge(2.0)),
        ]);
        assert!(!text.contains("pipeplug_self_hits{"), "{text}");
        assert_eq!(
            text.matches("pipeplug_self_hits_total{").count(),
            1,
            "{text}"
        );
        assert_eq!(text.matches("pipeplug_self_a_b{").count(), 1, "{text}");
    }
}
