//! One plugin of every kind, V1 only, V2 only and both, registered and built from the
//! registry.
use pipeplug::prelude::*;
use pipeplug::registry::{self, Factories, PluginKind};

/// A metric input (V1).
#[metric_input(name = "metric_pass")]
pub struct Metric {
    /// How often.
    #[config(default = "1s")]
    interval: Duration,
}
impl MetricInput for Metric {
    fn init(&mut self, _: &Context) -> Result<Duration, BoxError> {
        Ok(self.interval)
    }
}
impl MetricInputV1 for Metric {
    fn collect(&mut self, _: &Collector) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A service input (V2).
#[service_input(name = "service_pass")]
pub struct Service {}
impl ServiceInput for Service {}
impl ServiceInputV2 for Service {
    fn start_service(&mut self, _: PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A processor (both).
#[processor(name = "processor_pass")]
pub struct Proc {}
impl Processor for Proc {}
impl ProcessorV1 for Proc {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}
impl ProcessorV2 for Proc {
    fn process(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext) {
        ctx.collector().collect(group.group, group.events);
    }
}

/// An aggregator (V2).
#[aggregator(name = "aggregator_pass")]
pub struct Agg {}
impl Aggregator for Agg {}
impl AggregatorV2 for Agg {
    fn record(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext) -> Result<(), BoxError> {
        ctx.collector().collect(group.group, group.events);
        Ok(())
    }
    fn get_result(&mut self, _: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A flusher (V1).
#[flusher(name = "flusher_pass")]
pub struct Flush {}
impl Flusher for Flush {}
impl FlusherV1 for Flush {
    fn flush(&mut self, _: &str, _: &str, _: &str, _: &[LogGroup]) -> Result<(), BoxError> {
        Ok(())
    }
}

/// An extension.
#[extension(name = "ext_pass")]
pub struct Ext {}
impl Extension for Ext {}

fn main() {
    let reg = registry::global().unwrap();
    let null = serde_json::Value::Null;
    for (kind, name, v1, v2) in [
        (PluginKind::MetricInput, "metric_pass", true, false),
        (PluginKind::ServiceInput, "service_pass", false, true),
        (PluginKind::Processor, "processor_pass", true, true),
        (PluginKind::Aggregator, "aggregator_pass", false, true),
        (PluginKind::Flusher, "flusher_pass", true, false),
        (PluginKind::Extension, "ext_pass", true, true),
    ] {
        let d = reg.get(kind, name).unwrap();
        assert_eq!((d.native.v1, d.native.v2), (v1, v2), "{name}");
        assert!(d.description.starts_with("A"), "{name}");
        let built = match d.factories {
            Factories::MetricInput { v1, v2 } => v1(&null).is_ok() && v2(&null).is_ok(),
            Factories::ServiceInput { v1, v2 } => v1(&null).is_ok() && v2(&null).is_ok(),
            Factories::Processor { v1, v2 } => v1(&null).is_ok() && v2(&null).is_ok(),
            Factories::Aggregator { v1, v2 } => v1(&null).is_ok() && v2(&null).is_ok(),
            Factories::Flusher { v1, v2 } => v1(&null).is_ok() && v2(&null).is_ok(),
            Factories::Extension { new } => new(&null).is_ok(),
        };
        assert!(built, "{name}");
    }
}
