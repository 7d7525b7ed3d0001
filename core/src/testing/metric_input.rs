//! [`MetricInputHarness`]: run a metric input's collection rounds and read what it emitted.

use super::base::{common_api, output_api, plugin_api, Base, Phase};
use super::{Capture, Emitted, HarnessError};
use crate::plugin::{MetricInput, MetricInputV1, MetricInputV2};
use std::time::Duration;

/// Drives a metric input as the runner does: `init`, then a collection round every interval,
/// under a [`MockContext`](super::MockContext) and its virtual clock.
///
/// [`collect_v1(n)`](Self::collect_v1) and [`read_v2(n)`](Self::read_v2) run `n` rounds; after
/// each round the virtual clock moves on by the plugin's interval, so round `i` reads the
/// time `start + i × interval`. Both return what those rounds emitted; [`output`](Self::output)
/// keeps everything, as V1 logs or V2 events whichever interface emitted it.
///
/// The interval is the engine's: what `init` returned, or, for
/// [`DEFAULT_INTERVAL`](crate::plugin::DEFAULT_INTERVAL), the config's `IntervalMs` when the
/// harness was built from a config, else `global.InputIntervalMs` (1 s), as in iLogtail;
/// then kept within 1 ms ..= a year (see [`runner::metric_input_interval`](crate::runner::metric_input_interval)).
///
/// ```
/// use pipeplug::prelude::*;
/// use pipeplug::testing::MetricInputHarness;
///
/// /// Counts its rounds.
/// #[derive(Default)]
/// struct Rounds { n: u32, ctx: Context }
///
/// impl Plugin for Rounds {
///     fn description(&self) -> &str { "counts rounds" }
/// }
/// impl MetricInput for Rounds {
///     fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
///         self.ctx = ctx.clone();
///         Ok(Duration::from_secs(10))
///     }
/// }
/// impl MetricInputV2 for Rounds {
///     fn read(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
///         self.n += 1;
///         let m = Metric::single("rounds", MetricType::Counter, Tags::new(),
///             self.ctx.clock().now_nanos(), f64::from(self.n));
///         ctx.collector().collect(GroupInfo::default(), vec![m.into()]);
///         Ok(())
///     }
/// }
///
/// let mut h = MetricInputHarness::new(Rounds::default());
/// let out = h.read_v2(3).unwrap();
/// let metrics = out.metrics();
/// assert_eq!(metrics.len(), 3);
/// assert_eq!(metrics[2].single_value(), Some(3.0));
/// assert_eq!(metrics[1].timestamp - metrics[0].timestamp, 10_000_000_000);
/// // The same rounds as a V1 pipeline sees them:
/// assert_eq!(out.logs()[0].get("__name__"), Some("rounds"));
/// ```
pub struct MetricInputHarness<P> {
    base: Base,
    plugin: P,
    capture: Capture,
    interval: Option<Duration>,
}

impl<P> std::fmt::Debug for MetricInputHarness<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.base
            .fmt_debug(f, "MetricInputHarness", &[("interval", &self.interval)])
    }
}

impl<P: MetricInput> MetricInputHarness<P> {
    fn assemble(base: Base, plugin: P) -> Self {
        Self {
            base,
            plugin,
            capture: Capture::new(),
            interval: None,
        }
    }
}

common_api!(
    MetricInputHarness,
    MetricInput,
    MetricInputV1,
    MetricInputV2
);
plugin_api!(MetricInputHarness, MetricInput);
output_api!(MetricInputHarness, MetricInput);

impl<P: MetricInput> MetricInputHarness<P> {
    /// Calls `init` with the mock context; returns the interval the rounds use (see the type's
    /// docs). Runs by itself on the first round when not called.
    ///
    /// # Errors
    /// `init` failed, or already ran.
    pub fn init(&mut self) -> Result<Duration, HarnessError> {
        if self.base.phase != Phase::Created {
            return Err(self.base.misuse("init called twice"));
        }
        let plugin = &mut self.plugin;
        let returned = self
            .base
            .ensure_init(|ctx| MetricInput::init(plugin, ctx))?
            .unwrap_or_default();
        let interval = crate::runner::metric_input_interval(
            returned,
            &self.base.config,
            self.base.mock.context().global(),
        )
        .interval;
        self.interval = Some(interval);
        Ok(interval)
    }

    /// The interval between rounds, once initialised.
    #[must_use]
    pub fn interval(&self) -> Option<Duration> {
        self.interval
    }

    fn rounds(
        &mut self,
        n: usize,
        method: &'static str,
        mut round: impl FnMut(&mut P, &Capture) -> Result<(), crate::BoxError>,
    ) -> Result<Emitted, HarnessError> {
        if self.base.phase == Phase::Created {
            self.init()?;
        }
        let interval = self.interval.unwrap_or(Duration::from_secs(1));
        let before = self.capture.len();
        for _ in 0..n {
            round(&mut self.plugin, &self.capture)
                .map_err(|e| HarnessError::plugin(&self.base.name, method, e))?;
            self.base.mock.advance(interval);
        }
        Ok(self.capture.since(before))
    }
}

impl<P: MetricInputV1> MetricInputHarness<P> {
    /// Runs `n` rounds of the V1 `collect`, advancing the virtual clock by the interval
    /// after each; returns what they emitted.
    ///
    /// # Errors
    /// `init` or a `collect` failed (the rounds stop at the first error).
    pub fn collect_v1(&mut self, n: usize) -> Result<Emitted, HarnessError> {
        let clock = self.base.mock.context().clock().clone();
        self.rounds(n, "collect", |p, capture| {
            p.collect(&capture.collector_with_clock(clock.clone()))
        })
    }
}

impl<P: MetricInputV2> MetricInputHarness<P> {
    /// Runs `n` rounds of the V2 `read`, advancing the virtual clock by the interval after
    /// each; returns what they emitted.
    ///
    /// # Errors
    /// `init` or a `read` failed (the rounds stop at the first error).
    pub fn read_v2(&mut self, n: usize) -> Result<Emitted, HarnessError> {
        self.rounds(n, "read", |p, capture| p.read(&capture.pipeline_context()))
    }
}
