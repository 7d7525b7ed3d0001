//! The V1/V2 glue of the attribute macros: a plugin implementing one interface runs through
//! the other one's factory, taken from the registry, with its events converted.

use pipeplug::compat::*;
use pipeplug::models::{LogValue, PipelineEvent};
use pipeplug::prelude::*;
use pipeplug::protocol::Log as V1Log;
use pipeplug::registry::{self, Factories, PluginDescriptor, PluginKind};
use pipeplug::{LogWithContext, PipelineCollector};
use std::sync::{Arc, Mutex};

/// Upper-cases the `content` of every log (V1 only).
#[processor(name = "processor_glue_upper")]
pub struct Upper {}

impl Processor for Upper {}
impl ProcessorV1 for Upper {
    fn process_logs(&mut self, mut logs: Vec<V1Log>) -> Vec<V1Log> {
        for log in &mut logs {
            for c in &mut log.contents {
                if c.key == "content" {
                    c.value = c.value.to_uppercase();
                }
            }
        }
        logs
    }
}

/// Marks every event it sees (V2 only).
#[processor(name = "processor_glue_mark")]
pub struct Mark {
    /// The value of the mark.
    #[config(default = "v2")]
    mark: String,
}

impl Processor for Mark {}
impl ProcessorV2 for Mark {
    fn process(&mut self, mut group: PipelineGroupEvents, ctx: &PipelineContext) {
        for event in &mut group.events {
            if let PipelineEvent::Log(log) = event {
                log.contents.add("mark", self.mark.as_str());
            }
        }
        ctx.collector().collect(group.group, group.events);
    }
}

/// Emits one V1 log per collect (V1 only).
#[metric_input(name = "metric_glue_v1")]
pub struct EmitV1;

impl MetricInput for EmitV1 {}
impl MetricInputV1 for EmitV1 {
    fn collect(&mut self, collector: &Collector) -> Result<(), BoxError> {
        collector.add_data([("host", "h1")], [("content", "from v1")], None);
        Ok(())
    }
}

/// Emits one metric per read (V2 only).
#[metric_input(name = "metric_glue_v2")]
pub struct EmitV2 {
    /// The metric's value.
    #[config(default = 1.5)]
    value: f64,
}

impl MetricInput for EmitV2 {}
impl MetricInputV2 for EmitV2 {
    fn read(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        let metric = new_single_value_metric(
            "cpu",
            MetricType::Gauge,
            new_tags_with_key_values(&["core", "0"]),
            1_000_000_123,
            self.value,
        );
        ctx.collector()
            .collect(GroupInfo::default(), vec![PipelineEvent::Metric(metric)]);
        Ok(())
    }
}

/// Implements both interfaces.
#[flusher(name = "flusher_glue_both")]
pub struct Both;

impl Flusher for Both {}
impl FlusherV1 for Both {
    fn flush(&mut self, _: &str, _: &str, _: &str, _: &[LogGroup]) -> Result<(), BoxError> {
        Ok(())
    }
}
impl FlusherV2 for Both {
    fn export(&mut self, _: &[PipelineGroupEvents], _: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A helper with one interface and one factory.
#[extension(name = "ext_glue_helper")]
pub struct Helper {
    /// A greeting.
    #[config(default = "hi")]
    greeting: String,
}

impl Extension for Helper {}

fn descriptor(kind: PluginKind, name: &str) -> &'static PluginDescriptor {
    registry::global()
        .expect("the registry has no duplicates")
        .get(kind, name)
        .unwrap_or_else(|| panic!("{name} is not registered"))
}

fn null() -> serde_json::Value {
    serde_json::Value::Null
}

#[test]
fn a_v1_processor_runs_in_a_v2_pipeline() {
    let d = descriptor(PluginKind::Processor, "processor_glue_upper");
    assert_eq!((d.native.v1, d.native.v2), (true, false));
    let Factories::Processor { v2, .. } = d.factories else {
        panic!("{:?}", d.factories)
    };
    let mut plugin = v2(&null()).unwrap();
    assert_eq!(
        plugin.description(),
        "Upper-cases the `content` of every log (V1 only)."
    );

    let log = new_simple_log(
        "hello",
        new_tags_with_key_values(&["t", "1"]),
        5_000_000_000,
    );
    let metric = new_single_value_metric("m", MetricType::Counter, Tags::new(), 1, 2.0);
    let group = PipelineGroupEvents::new(
        GroupInfo::default(),
        vec![
            PipelineEvent::Log(log),
            PipelineEvent::Metric(metric.clone()),
        ],
    );
    let ctx = PipelineContext::new(PipelineCollector::grouped());
    plugin.process(group, &ctx);

    let out = ctx.collector().to_array();
    let events: Vec<&PipelineEvent> = out.iter().flat_map(|g| &g.events).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    // The metric passes the V1 processor unchanged; the log went through it.
    assert!(events.contains(&&PipelineEvent::Metric(metric)));
    let log = events
        .iter()
        .find_map(|e| match e {
            PipelineEvent::Log(l) => Some(l),
            _ => None,
        })
        .unwrap();
    assert_eq!(log.body(), Some(&LogValue::from("HELLO")));
    assert_eq!(log.tags.get("t").map(|v| v.as_str()), Some("1"));
    assert_eq!(log.timestamp, 5_000_000_000);
}

#[test]
fn a_v2_processor_runs_in_a_v1_pipeline() {
    let d = descriptor(PluginKind::Processor, "processor_glue_mark");
    assert_eq!((d.native.v1, d.native.v2), (false, true));
    let Factories::Processor { v1, .. } = d.factories else {
        panic!("{:?}", d.factories)
    };
    let mut plugin = v1(&serde_json::json!({"mark": "seen"})).unwrap();
    let out = plugin.process_logs(vec![V1Log::new(7, [("content", "a"), ("k", "v")])]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].get("content"), Some("a"));
    assert_eq!(out[0].get("k"), Some("v"));
    assert_eq!(out[0].get("mark"), Some("seen"));
    assert_eq!(out[0].time, 7);
    // The adapted factory decodes the config like the native one.
    let err = v1(&serde_json::json!({"mrk": "x"})).err().unwrap();
    assert_eq!(
        err.to_string(),
        "plugin `processor_glue_mark`: key `mrk`: unknown key, did you mean `mark`?; accepted \
         keys: `mark`"
    );
}

#[test]
fn a_v1_metric_input_runs_in_a_v2_pipeline() {
    let d = descriptor(PluginKind::MetricInput, "metric_glue_v1");
    assert_eq!((d.native.v1, d.native.v2), (true, false));
    let Factories::MetricInput { v2, .. } = d.factories else {
        panic!("{:?}", d.factories)
    };
    let mut plugin = v2(&null()).unwrap();
    let ctx = PipelineContext::new(PipelineCollector::grouped());
    plugin.read(&ctx).unwrap();
    let out = ctx.collector().to_array();
    let events: Vec<&PipelineEvent> = out.iter().flat_map(|g| &g.events).collect();
    assert_eq!(events.len(), 1);
    let PipelineEvent::Log(log) = events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        log.contents.get("content"),
        Some(&LogValue::from("from v1"))
    );
    assert_eq!(log.contents.get("host"), Some(&LogValue::from("h1")));
}

#[test]
fn a_v2_metric_input_runs_in_a_v1_pipeline() {
    let d = descriptor(PluginKind::MetricInput, "metric_glue_v2");
    assert_eq!((d.native.v1, d.native.v2), (false, true));
    let Factories::MetricInput { v1, .. } = d.factories else {
        panic!("{:?}", d.factories)
    };
    let mut plugin = v1(&null()).unwrap();
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&logs);
    let collector = Collector::new(Arc::new(move |l: LogWithContext| {
        sink.lock().unwrap().push(l.log);
    }));
    plugin.collect(&collector).unwrap();
    let logs = logs.lock().unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    // iLogtail's metric-as-log layout.
    assert_eq!(logs[0].get("__name__"), Some("cpu"));
    assert_eq!(logs[0].get("__labels__"), Some("core#$#0"));
    assert_eq!(logs[0].get("__value__"), Some("1.5"));
    assert_eq!(logs[0].get("__time_nano__"), Some("1000000123"));
}

#[test]
fn native_interfaces_are_recorded() {
    let d = descriptor(PluginKind::Flusher, "flusher_glue_both");
    assert_eq!((d.native.v1, d.native.v2), (true, true));
    let Factories::Flusher { v1, v2 } = d.factories else {
        panic!("{:?}", d.factories)
    };
    assert!(v1(&null()).is_ok() && v2(&null()).is_ok());

    let d = descriptor(PluginKind::Extension, "ext_glue_helper");
    let Factories::Extension { new } = d.factories else {
        panic!("{:?}", d.factories)
    };
    let ext = new(&serde_json::json!({"Greeting": "hello"})).unwrap();
    let helper = (ext.as_ref() as &dyn std::any::Any).downcast_ref::<Helper>();
    assert_eq!(helper.map(|h| h.greeting.as_str()), Some("hello"));
}
