//! What every harness shares: the mock context, the plugin's name and config, config and
//! registry lookups, bounded calls.

use super::error::panic_message;
use super::{HarnessError, MockContext};
use crate::registry::{self, PluginDescriptor, PluginKind};
use crate::{BoxError, Context};
use std::panic::{catch_unwind, AssertUnwindSafe};
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

/// The registered plugin of `kind` called `name`.
pub(crate) fn descriptor(
    kind: PluginKind,
    name: &str,
) -> Result<&'static PluginDescriptor, HarnessError> {
    let reg = registry::global().map_err(crate::LookupError::from)?;
    Ok(reg.lookup(kind, name)?.0)
}

/// Runs `f` on `plugin` on a thread of its own and gives both back, if it returns within
/// `timeout`; a plugin stuck in `f` is abandoned with its thread.
pub(crate) fn call_bounded<P, R>(
    plugin: P,
    name: &str,
    method: &'static str,
    timeout: Duration,
    f: impl FnOnce(&mut P) -> R + Send + 'static,
) -> Result<(P, R), HarnessError>
where
    P: Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = crossbeam_channel::bounded(1);
    let spawned = std::thread::Builder::new()
        .name(format!("{name} {method}"))
        .spawn(move || {
            let mut plugin = plugin;
            let out = catch_unwind(AssertUnwindSafe(|| f(&mut plugin)));
            let _ = tx.send(match out {
                Ok(r) => Ok((plugin, r)),
                Err(p) => Err(panic_message(&*p)),
            });
        });
    let handle = spawned.map_err(|e| HarnessError::plugin(name, method, e.into()))?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(back)) => {
            let _ = handle.join();
            Ok(back)
        }
        Ok(Err(message)) => {
            let _ = handle.join();
            Err(HarnessError::Panicked {
                plugin: name.to_owned(),
                method,
                message,
            })
        }
        Err(_) => Err(HarnessError::Timeout {
            plugin: name.to_owned(),
            method,
            waited: timeout,
            hint: "",
        }),
    }
}

/// The constructors and accessors every harness has. `$kind` is the registry kind, `$base`
/// the plugin's base trait; the harness type has fields `base: Base` and implements
/// `fn assemble(base: Base, plugin: P) -> Self`.
macro_rules! common_api {
    ($harness:ident, $base:ident) => {
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

            /// Moves virtual time forward by `by`, firing every ticker on the way and waiting
            /// for what the plugin does on each tick (see
            /// [`VirtualClock::advance`](crate::VirtualClock::advance)).
            pub fn advance(&self, by: ::std::time::Duration) {
                self.base.mock.advance(by);
            }
        }

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
pub(crate) use common_api;

/// Reads a JSON text.
pub(crate) fn parse_json(plugin: &str, text: &str) -> Result<serde_json::Value, HarnessError> {
    serde_json::from_str(text).map_err(|e| HarnessError::ConfigText {
        plugin: plugin.to_owned(),
        format: "JSON",
        reason: e.to_string(),
    })
}

/// The registry constructors of a harness: `$v1`/`$v2` name the constructors, `$t1`/`$t2`
/// the traits, `$variant` the [`Factories`](crate::registry::Factories) variant.
macro_rules! registry_api {
    ($harness:ident, $kind:ident, $variant:ident, $v1:ident: $t1:ident, $v2:ident: $t2:ident) => {
        impl $harness<Box<dyn $t1>> {
            /// A harness for the registered plugin `name`, built through its V1 factory from
            /// `config`, a JSON or YAML text (empty means every default).
            ///
            /// # Errors
            /// Not registered, or the config does not decode.
            pub fn $v1(name: &str, config: &str) -> Result<Self, crate::testing::HarnessError> {
                let d = crate::testing::base::descriptor(crate::registry::PluginKind::$kind, name)?;
                let config = crate::testing::base::parse_config_text(name, config)?;
                let crate::registry::Factories::$variant { v1, .. } = d.factories else {
                    return Err(crate::testing::HarnessError::misuse(
                        name,
                        "registered under another kind",
                    ));
                };
                let mut h = Self::new(v1(&config)?).named(d.name);
                h.base.config = config;
                Ok(h)
            }
        }

        impl $harness<Box<dyn $t2>> {
            /// A harness for the registered plugin `name`, built through its V2 factory from
            /// `config`, a JSON or YAML text (empty means every default).
            ///
            /// # Errors
            /// Not registered, or the config does not decode.
            pub fn $v2(name: &str, config: &str) -> Result<Self, crate::testing::HarnessError> {
                let d = crate::testing::base::descriptor(crate::registry::PluginKind::$kind, name)?;
                let config = crate::testing::base::parse_config_text(name, config)?;
                let crate::registry::Factories::$variant { v2, .. } = d.factories else {
                    return Err(crate::testing::HarnessError::misuse(
                        name,
                        "registered under another kind",
                    ));
                };
                let mut h = Self::new(v2(&config)?).named(d.name);
                h.base.config = config;
                Ok(h)
            }
        }
    };
}
pub(crate) use registry_api;
