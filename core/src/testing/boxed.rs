//! The plugin traits for boxed plugins, so that what the registry's factories build
//! (`Box<dyn ServiceInputV1>`, ...) drives the same harnesses as a concrete plugin.
//!
//! Every method forwards to the boxed plugin, defaults included.

use crate::collector::LogContext;
use crate::models::PipelineGroupEvents;
use crate::plugin::{
    Aggregator, AggregatorV1, AggregatorV2, Extension, Flusher, FlusherV1, FlusherV2, MetricInput,
    MetricInputV1, MetricInputV2, Plugin, Processor, ProcessorV1, ProcessorV2, ServiceInput,
    ServiceInputV1, ServiceInputV2,
};
use crate::protocol::{Log, LogGroup};
use crate::{BoxError, Collector, Context, LogGroupQueue, PipelineContext};
use std::time::Duration;

impl<T: ?Sized + Plugin> Plugin for Box<T> {
    fn description(&self) -> &str {
        (**self).description()
    }
}

impl<T: ?Sized + MetricInput> MetricInput for Box<T> {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        (**self).init(ctx)
    }
}
impl<T: ?Sized + MetricInputV1> MetricInputV1 for Box<T> {
    fn collect(&mut self, collector: &Collector) -> Result<(), BoxError> {
        (**self).collect(collector)
    }
}
impl<T: ?Sized + MetricInputV2> MetricInputV2 for Box<T> {
    fn read(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        (**self).read(ctx)
    }
}

impl<T: ?Sized + ServiceInput> ServiceInput for Box<T> {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        (**self).init(ctx)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        (**self).stop()
    }
}
impl<T: ?Sized + ServiceInputV1> ServiceInputV1 for Box<T> {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        (**self).start(collector)
    }
}
impl<T: ?Sized + ServiceInputV2> ServiceInputV2 for Box<T> {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        (**self).start_service(ctx)
    }
}

impl<T: ?Sized + Processor> Processor for Box<T> {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        (**self).init(ctx)
    }
}
impl<T: ?Sized + ProcessorV1> ProcessorV1 for Box<T> {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        (**self).process_logs(logs)
    }
}
impl<T: ?Sized + ProcessorV2> ProcessorV2 for Box<T> {
    fn process(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext) {
        (**self).process(group, ctx);
    }
}

impl<T: ?Sized + Aggregator> Aggregator for Box<T> {
    fn init(&mut self, ctx: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
        (**self).init(ctx, queue)
    }
    fn reset(&mut self) {
        (**self).reset();
    }
}
impl<T: ?Sized + AggregatorV1> AggregatorV1 for Box<T> {
    fn add(&mut self, log: Log, ctx: Option<&LogContext>) -> Result<(), BoxError> {
        (**self).add(log, ctx)
    }
    fn flush(&mut self) -> Vec<LogGroup> {
        (**self).flush()
    }
}
impl<T: ?Sized + AggregatorV2> AggregatorV2 for Box<T> {
    fn record(
        &mut self,
        group: PipelineGroupEvents,
        ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        (**self).record(group, ctx)
    }
    fn get_result(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        (**self).get_result(ctx)
    }
}

impl<T: ?Sized + Flusher> Flusher for Box<T> {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        (**self).init(ctx)
    }
    fn is_ready(&self, project: &str, logstore: &str, logstore_key: i64) -> bool {
        (**self).is_ready(project, logstore, logstore_key)
    }
    fn set_urgent(&mut self, urgent: bool) {
        (**self).set_urgent(urgent);
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        (**self).stop()
    }
}
impl<T: ?Sized + FlusherV1> FlusherV1 for Box<T> {
    fn flush(
        &mut self,
        project: &str,
        logstore: &str,
        config_name: &str,
        groups: &[LogGroup],
    ) -> Result<(), BoxError> {
        (**self).flush(project, logstore, config_name, groups)
    }
}
impl<T: ?Sized + FlusherV2> FlusherV2 for Box<T> {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        (**self).export(groups, ctx)
    }
}

impl<T: ?Sized + Extension> Extension for Box<T> {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        (**self).init(ctx)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        (**self).stop()
    }
    fn capabilities(&self) -> crate::capability::Capabilities {
        (**self).capabilities()
    }
}
