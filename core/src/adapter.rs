//! Adapters that run a V1 plugin in a V2 pipeline and a V2 plugin in a V1 pipeline.
//!
//! The attribute macros register one of these as the factory of the interface a plugin does
//! not implement; [`registry::add_service_creator`](crate::registry::add_service_creator)
//! and its siblings do the same. Events are converted with [`convert`]:
//! V1 logs reach V2 plugins with their `__tag__:key` contents as event tags
//! ([`convert::v1_log_to_v2_with_tags`]), and V2 groups reach V1
//! plugins that take bare logs with the group tags as `__tag__:key` contents
//! ([`convert::group_to_v1_logs`]).
//!
//! In V2 pipelines, a V1 processor sees only the log events of a group: metrics, spans and
//! byte arrays pass it unchanged, ahead of the processed logs (iLogtail drops what a
//! processor does not collect; the adapter never drops).

use crate::collector::{LogContext, LogWithContext};
use crate::convert::{
    self, group_to_v1, group_to_v1_logs, group_to_v2_with_tags, v1_log_to_v2_with_tags,
};
use crate::models::{GroupInfo, PipelineEvent, PipelineGroupEvents};
use crate::plugin::{
    Aggregator, AggregatorV1, AggregatorV2, Flusher, FlusherV1, FlusherV2, MetricInput,
    MetricInputV1, MetricInputV2, Plugin, Processor, ProcessorV1, ProcessorV2, ServiceInput,
    ServiceInputV1, ServiceInputV2,
};
use crate::protocol::{Log, LogGroup};
use crate::{
    BoxError, Clock, Collector, Context, LogGroupQueue, PipelineCollector, PipelineContext,
};
use std::sync::Arc;
use std::time::Duration;

/// A V1 log as a V2 log event, `__tag__:k` contents as tags.
fn v1_to_v2_event(log: &Log) -> PipelineEvent {
    PipelineEvent::Log(v1_log_to_v2_with_tags(log))
}

/// A collector turning V1 logs into V2 log events of an empty group.
fn v1_collector_into(target: PipelineCollector, clock: Clock) -> Collector {
    Collector::new(Arc::new(move |l: LogWithContext| {
        target.collect(GroupInfo::default(), vec![v1_to_v2_event(&l.log)]);
    }))
    .with_clock(clock)
}

/// A V2 context whose groups become V1 logs (group tags as `__tag__:k` contents).
fn v2_context_into(target: Collector) -> PipelineContext {
    PipelineContext::new(PipelineCollector::from_sink(Arc::new(
        move |g: PipelineGroupEvents| {
            for log in group_to_v1_logs(&g) {
                target.add_raw_log(log);
            }
        },
    )))
}

macro_rules! adapter_struct {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<T> {
            inner: T,
            ctx: Context,
        }

        impl<T> $name<T> {
            /// Wraps `inner`.
            pub fn new(inner: T) -> Self {
                Self { inner, ctx: Context::default() }
            }
            /// The wrapped plugin.
            pub fn inner(&self) -> &T {
                &self.inner
            }
            /// The wrapped plugin, mutably.
            pub fn inner_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }

        impl<T: Plugin> Plugin for $name<T> {
            fn description(&self) -> &str {
                self.inner.description()
            }
        }
    )*};
}

adapter_struct! {
    /// A V1 metric input in a V2 pipeline.
    MetricInputV1AsV2;
    /// A V2 metric input in a V1 pipeline.
    MetricInputV2AsV1;
    /// A V1 service input in a V2 pipeline. Its `start_service` is the V1 `start`, so it
    /// blocks when that does, until [`Context::stopping`] fires: a runner calls it on a
    /// thread of its own, as it does V1 `start`.
    ServiceInputV1AsV2;
    /// A V2 service input in a V1 pipeline.
    ServiceInputV2AsV1;
    /// A V1 processor in a V2 pipeline: log events go through it, other events pass by.
    ProcessorV1AsV2;
    /// A V2 processor in a V1 pipeline.
    ProcessorV2AsV1;
    /// A V1 flusher in a V2 pipeline.
    FlusherV1AsV2;
    /// A V2 flusher in a V1 pipeline.
    FlusherV2AsV1;
}

macro_rules! metric_base {
    ($($name:ident: $bound:ident;)*) => {$(
        impl<T: $bound> MetricInput for $name<T> {
            fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
                self.ctx = ctx.clone();
                MetricInput::init(&mut self.inner, ctx)
            }
        }
    )*};
}
metric_base! { MetricInputV1AsV2: MetricInputV1; MetricInputV2AsV1: MetricInputV2; }

impl<T: MetricInputV1> MetricInputV2 for MetricInputV1AsV2<T> {
    fn read(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        let collector = v1_collector_into(ctx.collector().clone(), self.ctx.clock().clone());
        self.inner.collect(&collector)
    }
}

impl<T: MetricInputV2> MetricInputV1 for MetricInputV2AsV1<T> {
    fn collect(&mut self, collector: &Collector) -> Result<(), BoxError> {
        self.inner.read(&v2_context_into(collector.clone()))
    }
}

macro_rules! service_base {
    ($($name:ident: $bound:ident;)*) => {$(
        impl<T: $bound> ServiceInput for $name<T> {
            fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
                self.ctx = ctx.clone();
                ServiceInput::init(&mut self.inner, ctx)
            }
            fn stop(&mut self) -> Result<(), BoxError> {
                ServiceInput::stop(&mut self.inner)
            }
        }
    )*};
}
service_base! { ServiceInputV1AsV2: ServiceInputV1; ServiceInputV2AsV1: ServiceInputV2; }

impl<T: ServiceInputV1> ServiceInputV2 for ServiceInputV1AsV2<T> {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        let collector = v1_collector_into(ctx.collector().clone(), self.ctx.clock().clone());
        self.inner.start(collector)
    }
}

impl<T: ServiceInputV2> ServiceInputV1 for ServiceInputV2AsV1<T> {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        self.inner.start_service(v2_context_into(collector))
    }
}

macro_rules! processor_base {
    ($($name:ident: $bound:ident;)*) => {$(
        impl<T: $bound> Processor for $name<T> {
            fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
                self.ctx = ctx.clone();
                Processor::init(&mut self.inner, ctx)
            }
        }
    )*};
}
processor_base! { ProcessorV1AsV2: ProcessorV1; ProcessorV2AsV1: ProcessorV2; }

impl<T: ProcessorV1> ProcessorV2 for ProcessorV1AsV2<T> {
    fn process(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext) {
        let mut passed = Vec::new();
        let mut logs = Vec::new();
        for event in group.events {
            match event {
                PipelineEvent::Log(l) => logs.push(convert::v2_log_to_v1(&l)),
                other => passed.push(other),
            }
        }
        if !logs.is_empty() {
            passed.extend(self.inner.process_logs(logs).iter().map(v1_to_v2_event));
        }
        ctx.collector().collect(group.group, passed);
    }
}

impl<T: ProcessorV2> ProcessorV1 for ProcessorV2AsV1<T> {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        if logs.is_empty() {
            return logs;
        }
        let out = PipelineContext::new(PipelineCollector::grouped());
        let group = PipelineGroupEvents::new(
            GroupInfo::default(),
            logs.iter().map(v1_to_v2_event).collect(),
        );
        self.inner.process(group, &out);
        out.collector()
            .to_array()
            .iter()
            .flat_map(group_to_v1_logs)
            .collect()
    }
}

macro_rules! aggregator_base {
    ($($name:ident: $bound:ident;)*) => {$(
        impl<T: $bound> Aggregator for $name<T> {
            fn init(&mut self, ctx: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
                self.ctx = ctx.clone();
                Aggregator::init(&mut self.inner, ctx, queue)
            }
            fn reset(&mut self) {
                Aggregator::reset(&mut self.inner);
            }
        }
    )*};
}
aggregator_base! { AggregatorV2AsV1: AggregatorV2; }

/// A V1 aggregator in a V2 pipeline. `record` adds the group's logs one by one, with the
/// group tags as `__tag__:key` contents and as the log context; a V1 `add` error ("full, try
/// again") ends the `record` with that error, and the rest of the group is dropped, as a
/// failed V2 `record` is.
///
/// What the V1 aggregator pushes into its [`LogGroupQueue`] (a full group, before the
/// interval) goes on with the next `record` or `get_result`: a V2 pipeline does not read the
/// queue itself.
#[derive(Debug)]
pub struct AggregatorV1AsV2<T> {
    inner: T,
    ctx: Context,
    queue: Option<LogGroupQueue>,
}

impl<T> AggregatorV1AsV2<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            ctx: Context::default(),
            queue: None,
        }
    }

    /// The wrapped plugin.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped plugin, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Collects what the V1 aggregator queued on its own.
    fn forward_queued(&self, ctx: &PipelineContext) {
        if let Some(queue) = &self.queue {
            let queued = queue.drain();
            ctx.collector()
                .collect_list(queued.iter().map(group_to_v2_with_tags));
        }
    }
}

impl<T: Plugin> Plugin for AggregatorV1AsV2<T> {
    fn description(&self) -> &str {
        self.inner.description()
    }
}

impl<T: AggregatorV1> Aggregator for AggregatorV1AsV2<T> {
    fn init(&mut self, ctx: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        self.queue = Some(queue.clone());
        Aggregator::init(&mut self.inner, ctx, queue)
    }
    fn reset(&mut self) {
        Aggregator::reset(&mut self.inner);
    }
}

impl<T: AggregatorV1> AggregatorV2 for AggregatorV1AsV2<T> {
    fn record(
        &mut self,
        group: PipelineGroupEvents,
        ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        let mut context = LogContext::new();
        for (k, v) in group.group.tags.iter() {
            context.insert(k.to_owned(), serde_json::Value::String(v.to_string()));
        }
        let added = group_to_v1_logs(&group)
            .into_iter()
            .try_for_each(|log| self.inner.add(log, Some(&context)));
        self.forward_queued(ctx);
        added
    }

    fn get_result(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        self.forward_queued(ctx);
        let groups: Vec<LogGroup> = self.inner.flush();
        ctx.collector()
            .collect_list(groups.iter().map(group_to_v2_with_tags));
        Ok(())
    }
}

/// A V2 aggregator in a V1 pipeline. What it collects is kept until `flush`.
///
/// Each log is recorded as a group of one event; the text values of the log's context
/// (Go's `ctx map[string]interface{}`) become the group's tags, the other values are
/// dropped.
#[derive(Debug)]
pub struct AggregatorV2AsV1<T> {
    inner: T,
    ctx: Context,
    buffer: PipelineContext,
}

impl<T> AggregatorV2AsV1<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            ctx: Context::default(),
            buffer: PipelineContext::new(PipelineCollector::grouped()),
        }
    }
}

impl<T: Plugin> Plugin for AggregatorV2AsV1<T> {
    fn description(&self) -> &str {
        self.inner.description()
    }
}

impl<T: AggregatorV2> AggregatorV1 for AggregatorV2AsV1<T> {
    fn add(&mut self, log: Log, ctx: Option<&LogContext>) -> Result<(), BoxError> {
        let mut group = GroupInfo::default();
        for (k, v) in ctx.into_iter().flatten() {
            if let serde_json::Value::String(s) = v {
                group.tags.add(k.clone(), s.clone());
            }
        }
        let events = vec![v1_to_v2_event(&log)];
        self.inner
            .record(PipelineGroupEvents::new(group, events), &self.buffer)
    }

    fn flush(&mut self) -> Vec<LogGroup> {
        if let Err(e) = self.inner.get_result(&self.buffer) {
            self.ctx
                .logger()
                .error(format!("get_result failed: {}", crate::error_chain(&*e)));
        }
        self.buffer
            .collector()
            .to_array()
            .iter()
            .map(group_to_v1)
            .collect()
    }
}

macro_rules! flusher_base {
    ($($name:ident: $bound:ident;)*) => {$(
        impl<T: $bound> Flusher for $name<T> {
            fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
                self.ctx = ctx.clone();
                Flusher::init(&mut self.inner, ctx)
            }
            fn is_ready(&self, project: &str, logstore: &str, key: i64) -> bool {
                self.inner.is_ready(project, logstore, key)
            }
            fn set_urgent(&mut self, urgent: bool) {
                self.inner.set_urgent(urgent);
            }
            fn stop(&mut self) -> Result<(), BoxError> {
                Flusher::stop(&mut self.inner)
            }
        }
    )*};
}
flusher_base! { FlusherV1AsV2: FlusherV1; FlusherV2AsV1: FlusherV2; }

impl<T: FlusherV1> FlusherV2 for FlusherV1AsV2<T> {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        let groups: Vec<LogGroup> = groups.iter().map(group_to_v1).collect();
        let ctx = &self.ctx;
        self.inner
            .flush(ctx.project(), ctx.logstore(), ctx.config_name(), &groups)
    }
}

impl<T: FlusherV2> FlusherV1 for FlusherV2AsV1<T> {
    fn flush(
        &mut self,
        _project: &str,
        _logstore: &str,
        _config_name: &str,
        groups: &[LogGroup],
    ) -> Result<(), BoxError> {
        let groups: Vec<PipelineGroupEvents> = groups.iter().map(group_to_v2_with_tags).collect();
        self.inner
            .export(&groups, &PipelineContext::new(PipelineCollector::noop()))
    }
}
