//! # pipeplug
//!
//! Write plugins for an iLogtail-style observability pipeline in Rust.
#![warn(missing_docs)]

pub mod adapter;
mod checkpoint;
mod clock;
mod collector;
pub mod config;
mod context;
pub mod convert;
mod error;
mod global;
mod link;
pub mod models;
mod pipeline_collector;
pub mod plugin;
pub mod prelude;
pub mod protocol;
mod queue;
pub mod registry;
mod self_metrics;
mod stop;
mod suggest;
pub mod testing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use checkpoint::{CheckpointStore, MemoryCheckpoints};
pub use clock::{Clock, Ticker, VirtualClock};
pub use collector::{Collector, LogContext, LogSink, LogWithContext};
pub use config::PluginConfig;
pub use context::{
    Context, ContextBuilder, ExtensionFactory, ExtensionHandle, Level, LogRecord, Logger,
    PluginMeta,
};
pub use error::{
    BoxError, CheckpointError, ConfigError, ConfigProblem, ConfigProblemKind, ExtensionError,
    LookupError, QueueError, RegistryError, TypeStringError,
};
pub use global::GlobalConfig;
pub use pipeline_collector::{GroupSink, PipelineCollector, PipelineContext};
pub use queue::LogGroupQueue;
pub use self_metrics::{Counter, Gauge, Latency, SelfMetric, SelfMetricValue};
pub use stop::{StopSignal, Worker};

pub use pipeplug_macros::{aggregator, extension, flusher, metric_input, processor, service_input};
