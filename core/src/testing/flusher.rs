//! [`FlusherHarness`]: feed a flusher groups, drive `is_ready` and `set_urgent`, stop it.

use super::base::{common_api, Base, Phase};
use super::HarnessError;
use crate::convert;
use crate::models::PipelineGroupEvents;
use crate::plugin::{Flusher, FlusherV1, FlusherV2};
use crate::protocol::LogGroup;
use crate::PipelineContext;

/// One batch handed to a flusher, in both forms, and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The method called: `flush` (V1) or `export` (V2).
    pub method: &'static str,
    /// The batch as V1 log groups.
    pub log_groups: Vec<LogGroup>,
    /// The batch as V2 groups.
    pub groups: Vec<PipelineGroupEvents>,
    /// The flusher's error, if it failed.
    pub error: Option<String>,
}

/// Drives a flusher: `init` with a [`MockContext`](super::MockContext), batches in with
/// [`flush_v1`](Self::flush_v1) / [`export_v2`](Self::export_v2),
/// [`is_ready`](Self::is_ready), [`set_urgent`](Self::set_urgent) and [`stop`](Self::stop).
///
/// A flusher writes to its own sink (a file, a socket, a service), which the test reads;
/// give it a [`SharedBuffer`](super::SharedBuffer) when it takes any writer. The harness
/// keeps every batch it handed over and the result, in [`deliveries`](Self::deliveries).
/// `init` runs by itself on first need unless [`init`](Self::init) ran.
///
/// ```
/// use pipeplug::prelude::*;
/// use pipeplug::testing::{create_logs, FlusherHarness, SharedBuffer};
/// use std::io::Write;
///
/// /// Writes one line per log.
/// struct Lines { out: SharedBuffer, urgent: bool }
///
/// impl Plugin for Lines {
///     fn description(&self) -> &str { "writes lines" }
/// }
/// impl Flusher for Lines {
///     fn set_urgent(&mut self, urgent: bool) { self.urgent = urgent; }
/// }
/// impl FlusherV1 for Lines {
///     fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
///         for log in groups.iter().flat_map(|g| &g.logs) {
///             writeln!(self.out, "{}", log.get("msg").unwrap_or(""))?;
///         }
///         Ok(())
///     }
/// }
///
/// let out = SharedBuffer::new();
/// let mut h = FlusherHarness::new(Lines { out: out.clone(), urgent: false });
/// assert!(h.is_ready().unwrap());
/// let group = LogGroup { logs: create_logs([[("msg", "hello")], [("msg", "world")]]), ..LogGroup::default() };
/// h.flush_v1(vec![group]).unwrap();
/// h.set_urgent(true).unwrap();
/// h.stop().unwrap();
/// assert_eq!(out.lines(), ["hello", "world"]);
/// assert!(h.plugin().urgent);
/// assert_eq!(h.deliveries().len(), 1);
/// ```
pub struct FlusherHarness<P> {
    base: Base,
    plugin: Option<P>,
    deliveries: Vec<Delivery>,
}

impl<P> std::fmt::Debug for FlusherHarness<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.base.fmt_debug(
            f,
            "FlusherHarness",
            &[("deliveries", &self.deliveries.len())],
        )
    }
}

impl<P: Flusher> FlusherHarness<P> {
    fn assemble(base: Base, plugin: P) -> Self {
        Self {
            base,
            plugin: Some(plugin),
            deliveries: Vec::new(),
        }
    }
}

common_api!(FlusherHarness, Flusher, FlusherV1, FlusherV2);

impl<P: Flusher> FlusherHarness<P> {
    /// The plugin.
    ///
    /// # Panics
    /// After its `stop` panicked or overstayed.
    #[must_use]
    pub fn plugin(&self) -> &P {
        self.plugin
            .as_ref()
            .unwrap_or_else(|| panic!("{}", self.lost()))
    }

    /// The plugin, mutably.
    ///
    /// # Panics
    /// As [`plugin`](Self::plugin).
    #[must_use]
    pub fn plugin_mut(&mut self) -> &mut P {
        let lost = self.lost();
        self.plugin.as_mut().unwrap_or_else(|| panic!("{lost}"))
    }

    fn lost(&self) -> String {
        format!(
            "plugin `{}` was lost: its stop panicked or did not return",
            self.base.name
        )
    }

    fn present(&mut self) -> Result<&mut P, HarnessError> {
        let lost = self.lost();
        self.plugin
            .as_mut()
            .ok_or_else(|| HarnessError::misuse(&self.base.name, lost))
    }

    /// Calls `init` with the mock context. Runs by itself on first need when not called.
    ///
    /// # Errors
    /// `init` failed, or already ran.
    pub fn init(&mut self) -> Result<(), HarnessError> {
        if self.base.phase != Phase::Created {
            return Err(self.base.misuse("init called twice"));
        }
        let Some(plugin) = self.plugin.as_mut() else {
            return Err(self.base.misuse("init called after the plugin was lost"));
        };
        self.base
            .ensure_init(|ctx| Flusher::init(plugin, ctx))
            .map(drop)
    }

    fn ensure_init(&mut self) -> Result<&mut P, HarnessError> {
        if self.base.phase == Phase::Created {
            self.init()?;
        }
        if self.base.phase == Phase::Stopped {
            return Err(self.base.misuse("used after stop"));
        }
        self.present()
    }

    /// Asks `is_ready` for the mock context's project and logstore (logstore key 0).
    ///
    /// # Errors
    /// `init` failed.
    pub fn is_ready(&mut self) -> Result<bool, HarnessError> {
        let ctx = self.base.mock.context().clone();
        Ok(self
            .ensure_init()?
            .is_ready(ctx.project(), ctx.logstore(), 0))
    }

    /// Calls `set_urgent` (the runner sets it before stopping when the agent exits).
    ///
    /// # Errors
    /// `init` failed.
    pub fn set_urgent(&mut self, urgent: bool) -> Result<(), HarnessError> {
        self.ensure_init()?.set_urgent(urgent);
        Ok(())
    }

    /// Every batch handed over so far, in order.
    #[must_use]
    pub fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }

    /// The errors of the batches that failed.
    #[must_use]
    pub fn errors(&self) -> Vec<String> {
        self.deliveries
            .iter()
            .filter_map(|d| d.error.clone())
            .collect()
    }

    fn record(
        &mut self,
        method: &'static str,
        log_groups: Vec<LogGroup>,
        groups: Vec<PipelineGroupEvents>,
        result: Result<(), crate::BoxError>,
    ) -> Result<(), HarnessError> {
        self.deliveries.push(Delivery {
            method,
            log_groups,
            groups,
            error: result.as_ref().err().map(ToString::to_string),
        });
        result.map_err(|e| HarnessError::plugin(&self.base.name, method, e))
    }

    /// Stops the plugin (bounded by the timeout, 2 s by default), then checks that no
    /// [`Worker`](crate::Worker) thread started with the mock context is still running.
    ///
    /// # Errors
    /// `init` or `stop` failed, panicked or overstayed, or threads are left.
    pub fn stop(&mut self) -> Result<(), HarnessError> {
        self.ensure_init()?;
        self.base.phase = Phase::Stopped;
        let Some(plugin) = self.plugin.take() else {
            return Err(self.base.misuse(self.lost()));
        };
        let (plugin, stopped) = self.base.call_bounded(plugin, "stop", Flusher::stop)?;
        self.plugin = Some(plugin);
        self.base.check_stopped(stopped)
    }
}

impl<P: FlusherV1> FlusherHarness<P> {
    /// Hands `groups` to the V1 `flush`, with the mock context's project, logstore and
    /// config name.
    ///
    /// # Errors
    /// `init` or `flush` failed (the batch is recorded either way).
    pub fn flush_v1(&mut self, groups: Vec<LogGroup>) -> Result<(), HarnessError> {
        let ctx = self.base.mock.context().clone();
        let v2 = groups.iter().map(convert::group_to_v2).collect();
        let result =
            self.ensure_init()?
                .flush(ctx.project(), ctx.logstore(), ctx.config_name(), &groups);
        self.record("flush", groups, v2, result)
    }
}

impl<P: FlusherV2> FlusherHarness<P> {
    /// Hands `groups` to the V2 `export`.
    ///
    /// # Errors
    /// `init` or `export` failed (the batch is recorded either way).
    pub fn export_v2(&mut self, groups: Vec<PipelineGroupEvents>) -> Result<(), HarnessError> {
        let v1 = groups.iter().map(convert::group_to_v1).collect();
        let ctx = PipelineContext::noop();
        let result = self.ensure_init()?.export(&groups, &ctx);
        self.record("export", v1, groups, result)
    }
}
