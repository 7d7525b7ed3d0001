use super::Plugin;
use crate::collector::LogContext;
use crate::models::PipelineGroupEvents;
use crate::protocol::{Log, LogGroup};
use crate::{BoxError, Context, LogGroupQueue, PipelineContext};
use std::time::Duration;

/// Batches processed events into groups for the flushers (`pipeline.Aggregator`).
pub trait Aggregator: Plugin {
    /// Prepares the plugin and returns its flush interval.
    ///
    /// Zero ([`DEFAULT_INTERVAL`](super::DEFAULT_INTERVAL)) means
    /// `global.AggregatIntervalMs` (3 s). `queue` takes groups the plugin wants flushed
    /// before the next interval (V1).
    ///
    /// # Errors
    /// The plugin cannot run; the pipeline does not start.
    fn init(&mut self, ctx: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
        let _ = (ctx, queue);
        Ok(super::DEFAULT_INTERVAL)
    }

    /// Drops everything held (`Reset`).
    fn reset(&mut self) {}
}

/// A V1 aggregator: logs in, log groups out on every flush.
pub trait AggregatorV1: Aggregator {
    /// Adds one log. An error means "full, try again": the runner retries every 10 ms.
    ///
    /// # Errors
    /// The log cannot be taken now.
    fn add(&mut self, log: Log, ctx: Option<&LogContext>) -> Result<(), BoxError>;

    /// Returns the groups ready to go and forgets them. Called every flush interval and once
    /// at stop.
    fn flush(&mut self) -> Vec<LogGroup>;
}

/// A V2 aggregator: groups in, groups collected out on every flush.
pub trait AggregatorV2: Aggregator {
    /// Records one group; may collect into `ctx.collector()` at once or keep it for
    /// `get_result`.
    ///
    /// # Errors
    /// Logged with the plugin's name; the group is dropped.
    fn record(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext)
        -> Result<(), BoxError>;

    /// Collects everything kept into `ctx.collector()`. Called every flush interval and once
    /// at stop.
    ///
    /// # Errors
    /// Logged with the plugin's name.
    fn get_result(&mut self, ctx: &PipelineContext) -> Result<(), BoxError>;
}
