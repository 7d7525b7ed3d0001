//! What every harness shares: the mock context, the plugin's name and config, config and
//! registry lookups, bounded calls, and the macros that give each harness the same methods.

use super::error::panic_message;
use super::{HarnessError, MockContext};
use crate::clock::ThreadHold;
use crate::registry::{self, Factories, Factory, PluginDescriptor, PluginKind};
use crate::{BoxError, Clock, Context};
use crossbeam_channel::Receiver;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a harness waits, by default, for a plugin method it runs on a thread of its own
/// (a service input's `start` once stopping fired, `stop`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Where a harness is in the plugin's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Created,
    Initialised,
    Started,
    Stopped,
}

#[derive(Debug)]
pub(crate) struct Base {
    pub(crate) mock: MockContext,
    pub(crate) name: String,
    pub(crate) config: serde_json::Value,
    pub(crate) phase: Phase,
    pub(crate) timeout: Duration,
}

impl Base {
    pub(crate) fn new(name: String, config: serde_json::Value) -> Self {
        Self {
            mock: MockContext::default(),
            name,
            config,
            phase: Phase::Created,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The context the plugin gets: the mock's, labelled with the plugin's name.
    pub(crate) fn plugin_context(&self) -> Context {
        self.mock.context_for(&self.name)
    }

    /// Runs `init` unless it ran; afterwards the plugin is initialised (even when `init`
    /// failed: the error is reported once, as the host does).
    pub(crate) fn ensure_init<R>(
        &mut self,
        init: impl FnOnce(&Context) -> Result<R, BoxError>,
    ) -> Result<Option<R>, HarnessError> {
        if self.phase != Phase::Created {
            return Ok(None);
        }
        self.phase = Phase::Initialised;
        let ctx = self.plugin_context();
        init(&ctx)
            .map(Some)
            .map_err(|e| HarnessError::plugin(&self.name, "init", e))
    }

    pub(crate) fn misuse(&self, message: impl Into<String>) -> HarnessError {
        HarnessError::misuse(&self.name, message)
    }

    /// A harness's `Debug`: its type name, the plugin's name, then `fields`.
    pub(crate) fn fmt_debug(
        &self,
        f: &mut fmt::Formatter<'_>,
        harness: &str,
        fields: &[(&str, &dyn fmt::Debug)],
    ) -> fmt::Result {
        let mut d = f.debug_struct(harness);
        d.field("name", &self.name);
        for (name, value) in fields {
            d.field(name, value);
        }
        d.finish_non_exhaustive()
    }

    /// Runs `f` on `plugin` on a thread of its own and gives both back, if it returns within
    /// the timeout; a plugin stuck in `f` is abandoned with its thread.
    pub(crate) fn call_bounded<P, R>(
        &self,
        plugin: P,
        method: &'static str,
        f: impl FnOnce(&mut P) -> R + Send + 'static,
    ) -> Result<(P, R), HarnessError>
    where
        P: Send + 'static,
        R: Send + 'static,
    {
        let thread = spawn_with_plugin(plugin, &self.name, method, None, f)?;
        match thread.rx.recv_timeout(self.timeout) {
            Ok(returned) => {
                let _ = thread.handle.join();
                returned.map_err(|message| HarnessError::panicked(&self.name, method, message))
            }
            Err(_) => Err(HarnessError::timeout(&self.name, method, self.timeout, "")),
        }
    }

    /// What a stop that returned comes to, as the runner sees it: `stop`'s own error, else
    /// an error when a [`Worker`](crate::Worker) thread started with the mock context is
    /// still running.
    pub(crate) fn check_stopped(&self, stopped: Result<(), BoxError>) -> Result<(), HarnessError> {
        stopped.map_err(|e| HarnessError::plugin(&self.name, "stop", e))?;
        match self.mock.context().live_threads() {
            0 => Ok(()),
            count => Err(HarnessError::ThreadsLeft {
                plugin: self.name.clone(),
                count,
            }),
        }
    }
}

/// What a plugin thread hands back: the plugin and the method's result, or the panic's
/// message.
type Returned<P, R> = Result<(P, R), String>;

/// A thread running a plugin method (see [`spawn_with_plugin`]).
pub(crate) struct PluginThread<P, R> {
    /// Where the plugin and the method's result arrive.
    pub(crate) rx: Receiver<Returned<P, R>>,
    pub(crate) handle: JoinHandle<()>,
}

/// Runs `f` on `plugin` on a new thread named `{name} {method}`, catching a panic; the
/// plugin and `f`'s result (or the panic's message) arrive on its `rx`. With a clock,
/// the thread is one of its participants until it first waits or has handed back.
pub(crate) fn spawn_with_plugin<P, R>(
    plugin: P,
    name: &str,
    method: &'static str,
    clock: Option<&Clock>,
    f: impl FnOnce(&mut P) -> R + Send + 'static,
) -> Result<PluginThread<P, R>, HarnessError>
where
    P: Send + 'static,
    R: Send + 'static,
{
    let thread_name = format!("{name} {method}");
    let hold = clock.and_then(|c| c.hold_new_thread(&thread_name));
    let (tx, rx) = crossbeam_channel::bounded(1);
    let spawned = std::thread::Builder::new()
        .name(thread_name)
        .spawn(move || {
            // Dropped last: the clock waits for this thread until it has handed back.
            let _hold = hold.map(ThreadHold::enter);
            let mut plugin = plugin;
            let out = catch_unwind(AssertUnwindSafe(|| f(&mut plugin)));
            let _ = tx.send(match out {
                Ok(r) => Ok((plugin, r)),
                Err(p) => Err(panic_message(&*p)),
            });
        });
    let handle = spawned.map_err(|e| HarnessError::plugin(name, method, e.into()))?;
    Ok(PluginThread { rx, handle })
}

/// The last path segment of `T`'s type name: the name of a harness built from a value.
pub(crate) fn short_type_name<T: ?Sized>() -> String {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_owned()
}

/// Reads a config text, JSON or YAML (YAML reads JSON too); an empty text is `null`, which
/// means "every default".
pub(crate) fn parse_config_text(
    plugin: &str,
    text: &str,
) -> Result<serde_json::Value, HarnessError> {
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_yaml_ng::from_str(text).map_err(|e| HarnessError::ConfigText {
        plugin: plugin.to_owned(),
        format: "JSON or YAML",
        reason: e.to_string(),
    })
}

/// Reads a JSON text.
pub(crate) fn parse_json(plugin: &str, text: &str) -> Result<serde_json::Value, HarnessError> {
    serde_json::from_str(text).map_err(|e| HarnessError::ConfigText {
        plugin: plugin.to_owned(),
        format: "JSON",
        reason: e.to_string(),
    })
}

/// The registered plugin of `kind` called `name`.
fn descriptor(kind: PluginKind, name: &str) -> Result<&'static PluginDescriptor, HarnessError> {
    let reg = registry::global().map_err(crate::LookupError::from)?;
    Ok(reg.lookup(kind, name)?.0)
}

/// The registered plugin of `kind` called `name`, built from `config` (a JSON or YAML text,
/// empty for every default) by the factory `pick` takes from its factories; and the base of
/// its harness, named as registered, with that config.
pub(crate) fn registered<T: 'static>(
    kind: PluginKind,
    name: &str,
    config: &str,
    pick: impl FnOnce(&Factories) -> Option<Factory<T>>,
) -> Result<(Base, T), HarnessError> {
    let d = descriptor(kind, name)?;
    let config = parse_config_text(name, config)?;
    let Some(factory) = pick(&d.factories) else {
        return Err(HarnessError::misuse(name, "registered under another kind"));
    };
    let plugin = factory(&config)?;
    Ok((Base::new(d.name.to_owned(), config), plugin))
}

/// The constructors and accessors every harness has, but an extension's (which is built
/// around a shared handle): `base_api!`, `config_api!`, `registry_api!`, `new` and
/// `advance`. `$base` is the plugin's base trait and the registry kind, `$v1`/`$v2` its
/// interfaces; the harness type has a field `base: Base` and implements
/// `fn assemble(base: Base, plugin: P) -> Self`.
macro_rules! common_api {
    ($harness:ident, $base:ident, $v1:ident, $v2:ident) => {
        impl<P: $base> $harness<P> {
            /// A harness for `plugin`, with a fresh [`MockContext`](crate::testing::MockContext).
            /// The plugin is named after its type until [`named`](Self::named).
            pub fn new(plugin: P) -> Self {
                let name = crate::testing::base::short_type_name::<P>();
                Self::assemble(
                    crate::testing::base::Base::new(name, ::serde_json::Value::Null),
                    plugin,
                )
            }

            /// Moves virtual time forward by `by`, firing every ticker on the way and waiting
            /// for what the plugin does on each tick (see
            /// [`VirtualClock::advance`](crate::VirtualClock::advance)).
            pub fn advance(&self, by: ::std::time::Duration) {
                self.base.mock.advance(by);
            }
        }

        crate::testing::base::base_api!($harness, [$base]);
        crate::testing::base::config_api!($harness, $base);
        crate::testing::base::registry_api!($harness, $base, $v1, $v2);
    };
}
pub(crate) use common_api;

/// The accessors of the harness's `Base`, for `impl<P: $bound> $harness<P>`.
macro_rules! base_api {
    ($harness:ident, [$($bound:tt)*]) => {
        impl<P: $($bound)*> $harness<P> {
            /// Names the plugin (in its context's logger and in error messages).
            #[must_use]
            pub fn named(mut self, name: impl Into<String>) -> Self {
                self.base.name = name.into();
                self
            }

            /// Uses `mock` as the plugin's context (to share extensions, checkpoints or the
            /// clock with other harnesses). Call before the plugin is initialised.
            #[must_use]
            pub fn with_mock(mut self, mock: crate::testing::MockContext) -> Self {
                self.base.mock = mock;
                self
            }

            /// How long to wait for a plugin method that the harness bounds (default 2 s).
            #[must_use]
            pub fn with_timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.base.timeout = timeout;
                self
            }

            /// The plugin's name.
            #[must_use]
            pub fn name(&self) -> &str {
                &self.base.name
            }

            /// The mock context: log records, alarms, self-metrics, checkpoints, the clock.
            #[must_use]
            pub fn mock(&self) -> &crate::testing::MockContext {
                &self.base.mock
            }

            /// The context the plugin is given (the mock's, labelled with the plugin's name).
            #[must_use]
            pub fn context(&self) -> crate::Context {
                self.base.plugin_context()
            }
        }
    };
}
pub(crate) use base_api;

/// The constructors from a config: `from_config`, `from_json`, `from_yaml`, for a harness
/// with `fn new(plugin: P) -> Self`.
macro_rules! config_api {
    ($harness:ident, $base:ident) => {
        impl<P: $base + crate::config::PluginConfig> $harness<P> {
            /// A harness for the plugin decoded from `config` (`null` means every default).
            ///
            /// # Errors
            /// The config does not decode.
            pub fn from_config(
                config: &::serde_json::Value,
            ) -> Result<Self, crate::testing::HarnessError> {
                let plugin = P::from_config(config)?;
                let mut h = Self::new(plugin).named(P::NAME);
                h.base.config = config.clone();
                Ok(h)
            }

            /// A harness for the plugin decoded from a JSON text.
            ///
            /// # Errors
            /// The text is not JSON, or the config does not decode.
            pub fn from_json(json: &str) -> Result<Self, crate::testing::HarnessError> {
                let config = crate::testing::base::parse_json(P::NAME, json)?;
                Self::from_config(&config)
            }

            /// A harness for the plugin decoded from a YAML text (empty means every
            /// default).
            ///
            /// # Errors
            /// The text is not YAML, or the config does not decode.
            pub fn from_yaml(yaml: &str) -> Result<Self, crate::testing::HarnessError> {
                let config = crate::testing::base::parse_config_text(P::NAME, yaml)?;
                Self::from_config(&config)
            }
        }
    };
}
pub(crate) use config_api;

/// `plugin` and `plugin_mut`, for a harness that keeps the plugin in a field `plugin: P`.
macro_rules! plugin_api {
    ($harness:ident, $base:ident) => {
        impl<P: $base> $harness<P> {
            /// The plugin.
            #[must_use]
            pub fn plugin(&self) -> &P {
                &self.plugin
            }

            /// The plugin, mutably.
            #[must_use]
            pub fn plugin_mut(&mut self) -> &mut P {
                &mut self.plugin
            }
        }
    };
}
pub(crate) use plugin_api;

/// What an input emitted, for a harness that records it in a field `capture: Capture`.
macro_rules! output_api {
    ($harness:ident, $base:ident) => {
        impl<P: $base> $harness<P> {
            /// Everything emitted so far.
            #[must_use]
            pub fn output(&self) -> crate::testing::Emitted {
                self.capture.emitted()
            }

            /// Everything emitted so far, forgetting it (the next `output` starts empty).
            #[must_use]
            pub fn take_output(&mut self) -> crate::testing::Emitted {
                self.capture.take()
            }
        }

        crate::testing::base::output_api!(@views $harness, $base,
            /// Everything emitted so far as V1 logs (see
            /// [`Emitted::logs`](crate::testing::Emitted::logs)).
            logs: crate::protocol::Log,
            /// Everything emitted so far as V2 groups (see
            /// [`Emitted::groups`](crate::testing::Emitted::groups)).
            groups: crate::models::PipelineGroupEvents,
            /// Everything emitted so far as V2 events (see
            /// [`Emitted::events`](crate::testing::Emitted::events)).
            events: crate::models::PipelineEvent,
            /// The V2 metric events emitted so far.
            metrics: crate::models::Metric,
        );
    };
    // Each view of `Emitted` as a method of the same name.
    (@views $harness:ident, $base:ident, $($(#[$doc:meta])* $view:ident: $item:ty,)*) => {
        impl<P: $base> $harness<P> {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $view(&self) -> Vec<$item> {
                    self.capture.emitted().$view()
                }
            )*
        }
    };
}
pub(crate) use output_api;

/// The registry constructors of a harness, `from_registry_v1` and `from_registry_v2`, for
/// boxed `$v1`/`$v2` plugins; `$kind` is the `PluginKind` and `Factories` variant. The
/// harness implements `fn assemble(base: Base, plugin: P) -> Self`.
macro_rules! registry_api {
    ($harness:ident, $kind:ident, $v1:ident, $v2:ident) => {
        crate::testing::base::registry_api!(@one $harness, $kind, from_registry_v1: $v1, v1, "V1");
        crate::testing::base::registry_api!(@one $harness, $kind, from_registry_v2: $v2, v2, "V2");
    };
    (@one $harness:ident, $kind:ident, $ctor:ident: $trait:ident,
        $factory:ident, $version:literal) => {
        impl $harness<Box<dyn $trait>> {
            #[doc = concat!(
                "A harness for the registered plugin `name`, built through its ",
                $version,
                " factory"
            )]
            /// from `config`, a JSON or YAML text (empty means every default).
            ///
            /// # Errors
            /// Not registered, or the config does not decode.
            pub fn $ctor(name: &str, config: &str) -> Result<Self, crate::testing::HarnessError> {
                let (base, plugin) = crate::testing::base::registered(
                    crate::registry::PluginKind::$kind,
                    name,
                    config,
                    |factories| match factories {
                        crate::registry::Factories::$kind { $factory, .. } => Some(*$factory),
                        _ => None,
                    },
                )?;
                Ok(Self::assemble(base, plugin))
            }
        }
    };
}
pub(crate) use registry_api;
