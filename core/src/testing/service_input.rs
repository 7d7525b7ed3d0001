//! [`ServiceInputHarness`]: start a service input, advance time, stop it, read what it
//! emitted.

use super::base::{common_api, output_api, spawn_with_plugin, Base, Phase, PluginThread};
use super::{Capture, HarnessError};
use crate::plugin::{ServiceInput, ServiceInputV1, ServiceInputV2};
use crate::BoxError;
use crossbeam_channel::{RecvTimeoutError, TryRecvError};
use std::time::Duration;

/// The plugin, or the thread that has it while `start` runs.
enum Slot<P> {
    Here(P),
    Starting {
        method: &'static str,
        thread: PluginThread<P, Result<(), BoxError>>,
    },
    Lost,
}

/// Drives a service input as the runner does, under a [`MockContext`](super::MockContext)
/// and its virtual clock.
///
/// - [`start_v1`](Self::start_v1) / [`start_v2`](Self::start_v2) run `start` /
///   `start_service` on a thread of their own (a V1 `start` may block until
///   [`Context::stopping`](crate::Context::stopping) fires), then wait until the plugin is
///   idle: blocked on the clock or its stop signal, or returned from `start`. An error `start`
///   returned at once is reported here.
/// - [`advance`](Self::advance) moves virtual time: a 5 s ticker fires exactly three times
///   for 15 s, in no real time, and what it emitted is there when `advance` returns.
/// - [`stop`](Self::stop) fires `ctx.stopping()`, waits (bounded) for `start` to return,
///   calls `stop`, and checks that no [`Worker`](crate::Worker) thread is left.
/// - [`output`](Self::output) (and [`logs`](Self::logs), [`events`](Self::events)) reads
///   what was emitted, as V1 logs or V2 events whichever interface emitted it.
///
/// Any plugin method not yet called is called in order on first need: `init` runs on
/// `start_*` unless [`init`](Self::init) ran. One start/stop cycle per harness.
///
/// A `start` that blocks on something other than the clock or the stop signal (a socket)
/// makes `start_*` wait up to a second before going on without it; call
/// [`Clock::detach_current_thread`](crate::Clock::detach_current_thread) before such a call
/// to skip the wait (see [`VirtualClock`](crate::VirtualClock)).
///
/// ```
/// use pipeplug::prelude::*;
/// use pipeplug::testing::ServiceInputHarness;
///
/// /// Emits `host = 1.1.1.1` every `interval`.
/// #[derive(Default)]
/// struct Beat { interval: Duration, ctx: Context, worker: Worker }
///
/// impl Plugin for Beat {
///     fn description(&self) -> &str { "emits a beat" }
/// }
/// impl ServiceInput for Beat {
///     fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
///         self.ctx = ctx.clone();
///         Ok(Duration::ZERO)
///     }
///     fn stop(&mut self) -> Result<(), BoxError> { self.worker.stop() }
/// }
/// impl ServiceInputV1 for Beat {
///     fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
///         let (clock, interval) = (self.ctx.clock().clone(), self.interval);
///         self.worker.spawn(&self.ctx, "beat", move |stop| {
///             let ticker = clock.ticker(interval);
///             while ticker.tick(&stop) {
///                 collector.add_raw_log(Log::new(0, [("host", "1.1.1.1")]));
///             }
///         })?;
///         Ok(())
///     }
/// }
///
/// let mut h = ServiceInputHarness::new(Beat { interval: Duration::from_secs(5), ..Beat::default() });
/// h.start_v1().unwrap();
/// h.advance(Duration::from_secs(15)); // three ticks, in milliseconds
/// h.stop().unwrap(); // and no thread left behind
/// let logs = h.logs();
/// assert_eq!(logs.len(), 3);
/// assert_eq!(logs[0].get("host"), Some("1.1.1.1"));
/// // Timed by the virtual clock: 5 s apart.
/// assert_eq!(logs[1].time - logs[0].time, 5);
/// ```
///
/// A V1-only plugin runs in V2 through its adapter, as in a V2 pipeline (the attribute
/// macros register it that way; by hand, wrap it in
/// [`ServiceInputV1AsV2`](crate::adapter::ServiceInputV1AsV2)), and its logs read as V2 events.
pub struct ServiceInputHarness<P> {
    base: Base,
    slot: Slot<P>,
    capture: Capture,
}

impl<P> std::fmt::Debug for ServiceInputHarness<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.base
            .fmt_debug(f, "ServiceInputHarness", &[("phase", &self.base.phase)])
    }
}

impl<P: ServiceInput> ServiceInputHarness<P> {
    fn assemble(base: Base, plugin: P) -> Self {
        Self {
            base,
            slot: Slot::Here(plugin),
            capture: Capture::new(),
        }
    }
}

common_api!(
    ServiceInputHarness,
    ServiceInput,
    ServiceInputV1,
    ServiceInputV2
);
output_api!(ServiceInputHarness, ServiceInput);

impl<P: ServiceInput> ServiceInputHarness<P> {
    /// The plugin, when no `start` is running with it.
    #[must_use]
    pub fn try_plugin(&self) -> Option<&P> {
        match &self.slot {
            Slot::Here(p) => Some(p),
            Slot::Starting { .. } | Slot::Lost => None,
        }
    }

    /// The plugin.
    ///
    /// # Panics
    /// While a blocking `start` runs with it (read it after [`stop`](Self::stop)), or after
    /// it panicked or was abandoned.
    #[must_use]
    pub fn plugin(&self) -> &P {
        match &self.slot {
            Slot::Here(p) => p,
            Slot::Starting { .. } => panic!("{}", self.running_message()),
            Slot::Lost => panic!("{}", self.lost_message()),
        }
    }

    /// The plugin, mutably.
    ///
    /// # Panics
    /// As [`plugin`](Self::plugin).
    #[must_use]
    pub fn plugin_mut(&mut self) -> &mut P {
        let running = self.running_message();
        let lost = self.lost_message();
        match &mut self.slot {
            Slot::Here(p) => p,
            Slot::Starting { .. } => panic!("{running}"),
            Slot::Lost => panic!("{lost}"),
        }
    }

    fn running_message(&self) -> String {
        format!(
            "plugin `{}` is inside its blocking start; read it after stop()",
            self.base.name
        )
    }

    fn lost_message(&self) -> String {
        format!(
            "plugin `{}` was lost: a method panicked or did not return",
            self.base.name
        )
    }

    /// Calls `init` with the mock context; returns its interval (ignored by the runner for
    /// service inputs). Runs by itself on `start_*` when not called.
    ///
    /// # Errors
    /// `init` failed, or already ran.
    pub fn init(&mut self) -> Result<Duration, HarnessError> {
        if self.base.phase != Phase::Created {
            return Err(self.base.misuse("init called twice"));
        }
        let Slot::Here(plugin) = &mut self.slot else {
            return Err(self.base.misuse("init called while the plugin is away"));
        };
        self.base
            .ensure_init(|ctx| ServiceInput::init(plugin, ctx))
            .map(Option::unwrap_or_default)
    }

    fn ensure_init(&mut self) -> Result<(), HarnessError> {
        if self.base.phase == Phase::Created {
            self.init()?;
        }
        Ok(())
    }

    /// Waits until the plugin is idle: every thread it started through a
    /// [`Worker`](crate::Worker) is blocked on the clock or its stop signal (bounded in real
    /// time). `start_*` and `advance` do this by themselves.
    pub fn settle(&self) {
        self.base.mock.clock().settle();
    }

    /// Runs `f` (the start method) on a thread that the virtual clock waits for, then waits
    /// until the plugin is idle.
    fn start_with(
        &mut self,
        method: &'static str,
        f: impl FnOnce(&mut P) -> Result<(), BoxError> + Send + 'static,
    ) -> Result<(), HarnessError> {
        self.ensure_init()?;
        if self.base.phase != Phase::Initialised {
            return Err(self
                .base
                .misuse(format!("{method} called after the plugin was started")));
        }
        let Slot::Here(plugin) = std::mem::replace(&mut self.slot, Slot::Lost) else {
            return Err(self
                .base
                .misuse(format!("{method} called while the plugin is away")));
        };
        self.base.phase = Phase::Started;
        let clock = self.base.mock.context().clock();
        let thread = spawn_with_plugin(plugin, &self.base.name, method, Some(clock), f)?;
        self.slot = Slot::Starting { method, thread };
        self.settle();
        self.collect_start(None)
    }

    /// Takes `start`'s result back if it returned (waiting up to `wait` for it).
    fn collect_start(&mut self, wait: Option<Duration>) -> Result<(), HarnessError> {
        let Slot::Starting { method, thread } = &self.slot else {
            return Ok(());
        };
        let method = *method;
        let returned = match wait {
            None => match thread.rx.try_recv() {
                Ok(r) => r,
                Err(TryRecvError::Empty) => return Ok(()),
                Err(TryRecvError::Disconnected) => Err("the start thread ended".to_owned()),
            },
            Some(timeout) => match thread.rx.recv_timeout(timeout) {
                Ok(r) => r,
                Err(RecvTimeoutError::Timeout) => {
                    self.slot = Slot::Lost;
                    return Err(HarnessError::timeout(
                        &self.base.name,
                        method,
                        timeout,
                        " after ctx.stopping() fired; a blocking start must return once it fires",
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => Err("the start thread ended".to_owned()),
            },
        };
        if let Slot::Starting { thread, .. } = std::mem::replace(&mut self.slot, Slot::Lost) {
            let _ = thread.handle.join();
        }
        match returned {
            Ok((plugin, result)) => {
                self.slot = Slot::Here(plugin);
                result.map_err(|e| HarnessError::plugin(&self.base.name, method, e))
            }
            Err(message) => Err(HarnessError::panicked(&self.base.name, method, message)),
        }
    }

    /// Stops the plugin as the runner does: fires
    /// [`Context::stopping`](crate::Context::stopping), waits for `start` to return (up to
    /// the timeout, 2 s by default), calls `stop` (bounded too), then checks that no
    /// [`Worker`](crate::Worker) thread started with the mock context is still running.
    ///
    /// # Errors
    /// `start` (returning late) or `stop` failed, panicked or overstayed, or threads are
    /// left.
    pub fn stop(&mut self) -> Result<(), HarnessError> {
        if self.base.phase == Phase::Stopped {
            return Err(self.base.misuse("stop called twice"));
        }
        self.ensure_init()?;
        self.base.phase = Phase::Stopped;
        self.base.mock.context().stopping().signal();
        let start_result = self.collect_start(Some(self.base.timeout));
        let Slot::Here(plugin) = std::mem::replace(&mut self.slot, Slot::Lost) else {
            // `start` panicked or overstayed: nothing to stop.
            return start_result;
        };
        let (plugin, stopped) = self.base.call_bounded(plugin, "stop", ServiceInput::stop)?;
        self.slot = Slot::Here(plugin);
        start_result?;
        self.base.check_stopped(stopped)
    }
}

impl<P: ServiceInputV1> ServiceInputHarness<P> {
    /// Starts the plugin through its V1 `start`, with a collector recording into this
    /// harness (logs without a time get the virtual clock's).
    ///
    /// # Errors
    /// `init` or `start` failed or panicked, or the plugin was already started.
    pub fn start_v1(&mut self) -> Result<(), HarnessError> {
        let collector = self
            .capture
            .collector_with_clock(self.base.mock.context().clock().clone());
        self.start_with("start", move |p| p.start(collector))
    }
}

impl<P: ServiceInputV2> ServiceInputHarness<P> {
    /// Starts the plugin through its V2 `start_service`, with a pipeline context recording
    /// into this harness.
    ///
    /// # Errors
    /// `init` or `start_service` failed or panicked, or the plugin was already started.
    pub fn start_v2(&mut self) -> Result<(), HarnessError> {
        let ctx = self.capture.pipeline_context();
        self.start_with("start_service", move |p| p.start_service(ctx))
    }
}

impl<P> Drop for ServiceInputHarness<P> {
    /// A harness dropped while started (a failed assertion, say) still stops its threads:
    /// it fires the stop signal and waits, bounded, for `start` to return.
    fn drop(&mut self) {
        if self.base.phase == Phase::Started {
            self.base.mock.context().stopping().signal();
            if let Slot::Starting { thread, .. } = &self.slot {
                let _ = thread.rx.recv_timeout(self.base.timeout);
            }
        }
    }
}
