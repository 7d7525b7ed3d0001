use super::Plugin;
use crate::{BoxError, Collector, Context, PipelineContext};
use std::time::Duration;

/// An input the pipeline polls on an interval (`pipeline.MetricInput`).
pub trait MetricInput: Plugin {
    /// Prepares the plugin and returns its collection interval.
    ///
    /// [`DEFAULT_INTERVAL`](super::DEFAULT_INTERVAL) (zero) means the pipeline's default:
    /// the plugin config's `IntervalMs` if present, else `global.InputIntervalMs` (1 s).
    ///
    /// # Errors
    /// The plugin cannot run; the pipeline does not start.
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        let _ = ctx;
        Ok(super::DEFAULT_INTERVAL)
    }
}

/// A V1 metric input: called every interval with a V1 [`Collector`].
pub trait MetricInputV1: MetricInput {
    /// Collects once. Must return; it is called again after the interval.
    ///
    /// # Errors
    /// Logged with the plugin's name; the next interval runs as usual.
    fn collect(&mut self, collector: &Collector) -> Result<(), BoxError>;
}

/// A V2 metric input: called every interval with a [`PipelineContext`].
pub trait MetricInputV2: MetricInput {
    /// Reads once, putting events into `ctx.collector()`. Must return.
    ///
    /// # Errors
    /// Logged with the plugin's name; the next interval runs as usual.
    fn read(&mut self, ctx: &PipelineContext) -> Result<(), BoxError>;
}

/// An input that pushes data on its own (`pipeline.ServiceInput`): it is started once and
/// stopped once.
pub trait ServiceInput: Plugin {
    /// Prepares the plugin. The returned interval is ignored, as in iLogtail; return
    /// [`DEFAULT_INTERVAL`](super::DEFAULT_INTERVAL).
    ///
    /// # Errors
    /// The plugin cannot run; the pipeline does not start.
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        let _ = ctx;
        Ok(super::DEFAULT_INTERVAL)
    }

    /// Stops the plugin: stop and join every thread it started, flush what it holds.
    /// Called after `start`/`start_service` returned. Must return promptly.
    ///
    /// # Errors
    /// Logged with the plugin's name; the pipeline still stops.
    fn stop(&mut self) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A V1 service input: emits V1 logs through a [`Collector`].
pub trait ServiceInputV1: ServiceInput {
    /// Starts the plugin.
    ///
    /// **Blocking rule:** `start` may return at once after spawning its own threads (best:
    /// use a [`Worker`](crate::Worker), which `stop` then stops), or it may block until the
    /// pipeline stops. A blocking `start` must return once
    /// [`Context::stopping`](crate::Context::stopping) fires; `stop` is called after it
    /// returns. The runner calls `start` on a thread of its own.
    ///
    /// # Errors
    /// Logged with the plugin's name.
    fn start(&mut self, collector: Collector) -> Result<(), BoxError>;
}

/// A V2 service input: emits events through a [`PipelineContext`].
pub trait ServiceInputV2: ServiceInput {
    /// Starts the plugin.
    ///
    /// **Blocking rule:** `start_service` must return: spawn the threads that produce events
    /// (a [`Worker`](crate::Worker)) and return; `stop` stops them. (iLogtail's shutdown
    /// waits for `StartService`; pipeplug's runner bounds that wait and reports a plugin
    /// that overstays.)
    ///
    /// # Errors
    /// Logged with the plugin's name.
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError>;
}
