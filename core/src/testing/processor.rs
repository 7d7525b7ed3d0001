//! [`ProcessorHarness`]: feed a processor V1 logs or V2 groups, get what it passes on.

use super::base::{common_api, plugin_api, Base, Phase};
use super::HarnessError;
use crate::models::{GroupInfo, PipelineEvent, PipelineGroupEvents};
use crate::plugin::{Processor, ProcessorV1, ProcessorV2};
use crate::protocol::Log;
use crate::PipelineContext;

/// Drives a processor: `init` with a [`MockContext`](super::MockContext), then batches in,
/// batches out.
///
/// - [`process_v1`](Self::process_v1): V1 logs in, V1 logs out;
/// - [`process_v2`](Self::process_v2): a V2 group in, the groups it collected out (into a
///   grouped collector, as the runner gives each processor: events of equal groups merge);
/// - [`process_events`](Self::process_events): V2 events of one plain group in, events out.
///
/// `init` runs by itself before the first batch unless [`init`](Self::init) ran.
///
/// ```
/// use pipeplug::prelude::*;
/// use pipeplug::testing::{create_logs, create_log_event, ProcessorHarness};
///
/// /// Drops the key `secret` from logs.
/// struct DropSecret;
///
/// impl Plugin for DropSecret {
///     fn description(&self) -> &str { "drops `secret`" }
/// }
/// impl Processor for DropSecret {}
/// impl ProcessorV1 for DropSecret {
///     fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
///         for log in &mut logs {
///             log.contents.retain(|c| c.key != "secret");
///         }
///         logs
///     }
/// }
///
/// let mut h = ProcessorHarness::new(DropSecret);
/// let out = h.process_v1(create_logs([vec![("a", "1"), ("secret", "x")]])).unwrap();
/// assert_eq!(out[0].get("secret"), None);
/// assert_eq!(out[0].get("a"), Some("1"));
///
/// // In V2 through the adapter, metrics pass it untouched:
/// let mut h = ProcessorHarness::new(pipeplug::adapter::ProcessorV1AsV2::new(DropSecret));
/// let metric = Metric::single("m", MetricType::Gauge, Tags::new(), 0, 1.0);
/// let out = h.process_events(vec![create_log_event([("secret", "x")]), metric.into()]).unwrap();
/// assert_eq!(out.len(), 2);
/// ```
pub struct ProcessorHarness<P> {
    base: Base,
    plugin: P,
}

impl<P> std::fmt::Debug for ProcessorHarness<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.base.fmt_debug(f, "ProcessorHarness", &[])
    }
}

impl<P: Processor> ProcessorHarness<P> {
    fn assemble(base: Base, plugin: P) -> Self {
        Self { base, plugin }
    }
}

common_api!(ProcessorHarness, Processor, ProcessorV1, ProcessorV2);
plugin_api!(ProcessorHarness, Processor);

impl<P: Processor> ProcessorHarness<P> {
    /// Calls `init` with the mock context. Runs by itself before the first batch when not
    /// called.
    ///
    /// # Errors
    /// `init` failed, or already ran.
    pub fn init(&mut self) -> Result<(), HarnessError> {
        if self.base.phase != Phase::Created {
            return Err(self.base.misuse("init called twice"));
        }
        let plugin = &mut self.plugin;
        self.base
            .ensure_init(|ctx| Processor::init(plugin, ctx))
            .map(drop)
    }

    fn ensure_init(&mut self) -> Result<(), HarnessError> {
        if self.base.phase == Phase::Created {
            self.init()?;
        }
        Ok(())
    }
}

impl<P: ProcessorV1> ProcessorHarness<P> {
    /// Feeds `logs` to the V1 `process_logs`; returns what it passed on.
    ///
    /// # Errors
    /// `init` failed.
    pub fn process_v1(&mut self, logs: Vec<Log>) -> Result<Vec<Log>, HarnessError> {
        self.ensure_init()?;
        Ok(self.plugin.process_logs(logs))
    }
}

impl<P: ProcessorV2> ProcessorHarness<P> {
    /// Feeds `group` to the V2 `process`; returns the groups it collected.
    ///
    /// # Errors
    /// `init` failed.
    pub fn process_v2(
        &mut self,
        group: PipelineGroupEvents,
    ) -> Result<Vec<PipelineGroupEvents>, HarnessError> {
        self.ensure_init()?;
        let ctx = PipelineContext::grouped();
        self.plugin.process(group, &ctx);
        Ok(ctx.collector().to_array())
    }

    /// Feeds `events`, in a group with no metadata or tags, to the V2 `process`; returns
    /// every event it collected, in order.
    ///
    /// # Errors
    /// `init` failed.
    pub fn process_events(
        &mut self,
        events: Vec<PipelineEvent>,
    ) -> Result<Vec<PipelineEvent>, HarnessError> {
        let groups = self.process_v2(PipelineGroupEvents::new(GroupInfo::default(), events))?;
        Ok(groups.into_iter().flat_map(|g| g.events).collect())
    }
}
