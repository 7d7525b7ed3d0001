//! Everything a plugin file needs: `use pipeplug::prelude::*;`.

pub use crate::capability::{
    Capabilities, ClientAuthenticator, Decoder, Encoder, FlushInterceptor, RequestInterceptor,
};
pub use crate::models::{GroupInfo, Metric, MetricType, PipelineEvent, PipelineGroupEvents, Tags};
pub use crate::plugin::{
    Aggregator, AggregatorV1, AggregatorV2, Extension, Flusher, FlusherV1, FlusherV2, MetricInput,
    MetricInputV1, MetricInputV2, Plugin, Processor, ProcessorV1, ProcessorV2, ServiceInput,
    ServiceInputV1, ServiceInputV2, DEFAULT_INTERVAL,
};
pub use crate::protocol::{Log, LogContent, LogGroup};
pub use crate::{aggregator, extension, flusher, metric_input, processor, service_input};
pub use crate::{
    AlarmLevel, BoxError, Collector, Context, GroupQueue, LogContext, LogGroupQueue,
    PipelineContext, PluginConfig, StopSignal, Worker,
};
pub use std::time::Duration;
