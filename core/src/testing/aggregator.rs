//! [`AggregatorHarness`]: add or record events, then flush or get the result.

use super::base::{common_api, plugin_api, Base, Phase};
use super::HarnessError;
use crate::collector::LogContext;
use crate::models::PipelineGroupEvents;
use crate::plugin::{Aggregator, AggregatorV1, AggregatorV2};
use crate::protocol::{Log, LogGroup};
use crate::{LogGroupQueue, PipelineContext};
use std::time::Duration;

/// Drives an aggregator: `init` with a [`MockContext`](super::MockContext) and a
/// [`LogGroupQueue`], then events in and groups out.
///
/// - V1: [`add_v1`](Self::add_v1) logs, then [`flush_v1`](Self::flush_v1); what the plugin
///   pushed into its queue on its own is in [`queued`](Self::queued);
/// - V2: [`record_v2`](Self::record_v2) groups (returning what the plugin collected at once),
///   then [`get_result_v2`](Self::get_result_v2).
///
/// The queue holds `global.DefaultLogGroupQueueSize` groups (4, as in iLogtail) unless
/// [`with_queue_capacity`](Self::with_queue_capacity) says otherwise. `init` runs by itself
/// on first need unless [`init`](Self::init) ran.
///
/// ```
/// use pipeplug::prelude::*;
/// use pipeplug::testing::{create_logs, AggregatorHarness};
///
/// /// Puts every log into one group.
/// #[derive(Default)]
/// struct OneGroup { logs: Vec<Log> }
///
/// impl Plugin for OneGroup {
///     fn description(&self) -> &str { "one group" }
/// }
/// impl Aggregator for OneGroup {}
/// impl AggregatorV1 for OneGroup {
///     fn add(&mut self, log: Log, _: Option<&LogContext>) -> Result<(), BoxError> {
///         self.logs.push(log);
///         Ok(())
///     }
///     fn flush(&mut self) -> Vec<LogGroup> {
///         if self.logs.is_empty() { return Vec::new(); }
///         vec![LogGroup { logs: std::mem::take(&mut self.logs), ..LogGroup::default() }]
///     }
/// }
///
/// let mut h = AggregatorHarness::new(OneGroup::default());
/// h.add_all_v1(create_logs([[("a", "1")], [("a", "2")]])).unwrap();
/// let groups = h.flush_v1().unwrap();
/// assert_eq!(groups.len(), 1);
/// assert_eq!(groups[0].logs.len(), 2);
/// assert_eq!(h.interval(), Some(Duration::from_secs(3))); // global.AggregatIntervalMs
/// ```
pub struct AggregatorHarness<P> {
    base: Base,
    plugin: P,
    queue: Option<LogGroupQueue>,
    capacity: Option<usize>,
    interval: Option<Duration>,
}

impl<P> std::fmt::Debug for AggregatorHarness<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.base
            .fmt_debug(f, "AggregatorHarness", &[("interval", &self.interval)])
    }
}

impl<P: Aggregator> AggregatorHarness<P> {
    fn assemble(base: Base, plugin: P) -> Self {
        Self {
            base,
            plugin,
            queue: None,
            capacity: None,
            interval: None,
        }
    }
}

common_api!(AggregatorHarness, Aggregator, AggregatorV1, AggregatorV2);
plugin_api!(AggregatorHarness, Aggregator);

impl<P: Aggregator> AggregatorHarness<P> {
    /// Makes the queue given to `init` hold `capacity` groups. Call before `init`.
    #[must_use]
    pub fn with_queue_capacity(mut self, capacity: usize) -> Self {
        self.capacity = Some(capacity);
        self
    }

    /// Calls `init` with the mock context and a fresh queue; returns the flush interval, as
    /// the engine resolves it ([`DEFAULT_INTERVAL`](crate::plugin::DEFAULT_INTERVAL) becomes
    /// `global.AggregatIntervalMs`, 3 s, as in iLogtail; then kept within 1 ms ..= a year:
    /// see [`runner::aggregator_interval`](crate::runner::aggregator_interval)). Runs by
    /// itself on first need when not called.
    ///
    /// # Errors
    /// `init` failed, or already ran.
    pub fn init(&mut self) -> Result<Duration, HarnessError> {
        if self.base.phase != Phase::Created {
            return Err(self.base.misuse("init called twice"));
        }
        let global = self.base.mock.context().global().clone();
        let queue =
            LogGroupQueue::new(self.capacity.unwrap_or(global.default_log_group_queue_size));
        self.queue = Some(queue.clone());
        let plugin = &mut self.plugin;
        let returned = self
            .base
            .ensure_init(|ctx| Aggregator::init(plugin, ctx, queue))?
            .unwrap_or_default();
        let interval = crate::runner::aggregator_interval(returned, &global).interval;
        self.interval = Some(interval);
        Ok(interval)
    }

    fn ensure_init(&mut self) -> Result<(), HarnessError> {
        if self.base.phase == Phase::Created {
            self.init()?;
        }
        Ok(())
    }

    /// The flush interval, once initialised.
    #[must_use]
    pub fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// The queue the plugin was given, once initialised.
    #[must_use]
    pub fn queue(&self) -> Option<&LogGroupQueue> {
        self.queue.as_ref()
    }

    /// Takes the groups the plugin pushed into its queue on its own.
    #[must_use]
    pub fn queued(&self) -> Vec<LogGroup> {
        self.queue
            .as_ref()
            .map(LogGroupQueue::drain)
            .unwrap_or_default()
    }

    /// Calls `reset` (drop everything held).
    ///
    /// # Errors
    /// `init` failed.
    pub fn reset(&mut self) -> Result<(), HarnessError> {
        self.ensure_init()?;
        self.plugin.reset();
        Ok(())
    }
}

impl<P: AggregatorV1> AggregatorHarness<P> {
    /// Adds one log (without a context).
    ///
    /// # Errors
    /// `init` failed, or `add` refused the log (which the runner would retry).
    pub fn add_v1(&mut self, log: Log) -> Result<(), HarnessError> {
        self.ensure_init()?;
        self.plugin
            .add(log, None)
            .map_err(|e| HarnessError::plugin(&self.base.name, "add", e))
    }

    /// Adds one log with a context (source, topic, tags, ...).
    ///
    /// # Errors
    /// As [`add_v1`](Self::add_v1).
    pub fn add_v1_with_context(
        &mut self,
        log: Log,
        context: &LogContext,
    ) -> Result<(), HarnessError> {
        self.ensure_init()?;
        self.plugin
            .add(log, Some(context))
            .map_err(|e| HarnessError::plugin(&self.base.name, "add", e))
    }

    /// Adds every log, in order, stopping at the first refusal.
    ///
    /// # Errors
    /// As [`add_v1`](Self::add_v1).
    pub fn add_all_v1(&mut self, logs: impl IntoIterator<Item = Log>) -> Result<(), HarnessError> {
        logs.into_iter().try_for_each(|l| self.add_v1(l))
    }

    /// Calls `flush`; returns the groups.
    ///
    /// # Errors
    /// `init` failed.
    pub fn flush_v1(&mut self) -> Result<Vec<LogGroup>, HarnessError> {
        self.ensure_init()?;
        Ok(self.plugin.flush())
    }
}

impl<P: AggregatorV2> AggregatorHarness<P> {
    /// Records one group; returns what the plugin collected at once (often nothing: most
    /// aggregators keep groups until `get_result`).
    ///
    /// # Errors
    /// `init` or `record` failed.
    pub fn record_v2(
        &mut self,
        group: PipelineGroupEvents,
    ) -> Result<Vec<PipelineGroupEvents>, HarnessError> {
        self.ensure_init()?;
        let ctx = PipelineContext::grouped();
        self.plugin
            .record(group, &ctx)
            .map_err(|e| HarnessError::plugin(&self.base.name, "record", e))?;
        Ok(ctx.collector().to_array())
    }

    /// Calls `get_result`; returns the groups it collected.
    ///
    /// # Errors
    /// `init` or `get_result` failed.
    pub fn get_result_v2(&mut self) -> Result<Vec<PipelineGroupEvents>, HarnessError> {
        self.ensure_init()?;
        let ctx = PipelineContext::grouped();
        self.plugin
            .get_result(&ctx)
            .map_err(|e| HarnessError::plugin(&self.base.name, "get_result", e))?;
        Ok(ctx.collector().to_array())
    }
}
