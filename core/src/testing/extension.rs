//! [`ExtensionHarness`]: init and stop an extension, and declare it in a mock context so
//! that other plugins find it.

use super::base::{descriptor, parse_config_text, parse_json, short_type_name, Base, Phase};
use super::error::panic_message;
use super::{HarnessError, MockContext};
use crate::config::PluginConfig;
use crate::plugin::Extension;
use crate::registry::{Factories, PluginKind};
use crate::{Context, ExtensionHandle};
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Drives an extension: [`init`](Self::init) with a [`MockContext`], [`stop`](Self::stop),
/// and [`register`](Self::register) to declare it in that context under a `type/id`, so that
/// plugins sharing the mock (their harness's `with_mock`) get it with
/// [`Context::get_extension`] as in a pipeline that declares it.
///
/// The extension lives behind the same shared handle a pipeline uses; reach it with
/// [`with`](Self::with). `P` is its type, or `dyn Extension` for one built
/// [`from_registry`](ExtensionHarness::from_registry).
///
/// ```
/// use pipeplug::prelude::*;
/// use pipeplug::testing::{ExtensionHarness, ProcessorHarness};
///
/// /// Hands out a prefix.
/// struct Prefix(String);
/// impl Plugin for Prefix { fn description(&self) -> &str { "a prefix" } }
/// impl Extension for Prefix {}
///
/// /// Prefixes every log's `msg` with the `ext_prefix` extension's prefix.
/// #[derive(Default)]
/// struct AddPrefix { prefix: String }
/// impl Plugin for AddPrefix { fn description(&self) -> &str { "adds a prefix" } }
/// impl Processor for AddPrefix {
///     fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
///         self.prefix = ctx.with_extension("ext_prefix/p", &Default::default(), |p: &mut Prefix| p.0.clone())?;
///         Ok(())
///     }
/// }
/// impl ProcessorV1 for AddPrefix {
///     fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
///         for c in logs.iter_mut().flat_map(|l| &mut l.contents).filter(|c| c.key == "msg") {
///             c.value = format!("{}{}", self.prefix, c.value);
///         }
///         logs
///     }
/// }
///
/// let mut ext = ExtensionHarness::new(Prefix("> ".into()));
/// ext.register("ext_prefix/p").unwrap();
/// let mut h = ProcessorHarness::new(AddPrefix::default()).with_mock(ext.mock().clone());
/// let out = h.process_v1(vec![Log::new(0, [("msg", "hi")])]).unwrap();
/// assert_eq!(out[0].get("msg"), Some("> hi"));
/// ext.stop().unwrap();
/// ```
pub struct ExtensionHarness<P: ?Sized> {
    base: Base,
    handle: ExtensionHandle,
    plugin: PhantomData<fn() -> Box<P>>,
}

impl<P: ?Sized> std::fmt::Debug for ExtensionHarness<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtensionHarness")
            .field("name", &self.base.name)
            .finish_non_exhaustive()
    }
}

impl<P: Extension> ExtensionHarness<P> {
    /// A harness for `ext`, with a fresh [`MockContext`]. The extension is named after its
    /// type until [`named`](Self::named).
    pub fn new(ext: P) -> Self {
        Self {
            base: Base::new(short_type_name::<P>(), serde_json::Value::Null),
            handle: Arc::new(Mutex::new(Box::new(ext))),
            plugin: PhantomData,
        }
    }

    /// Runs `f` on the extension.
    pub fn with<R>(&self, f: impl FnOnce(&mut P) -> R) -> R {
        let mut guard = self.handle.lock().unwrap_or_else(PoisonError::into_inner);
        let any: &mut dyn std::any::Any = &mut **guard;
        match any.downcast_mut::<P>() {
            Some(p) => f(p),
            // `new` boxed a `P`, and nothing replaces the box.
            None => unreachable!("an extension harness holds the type it was built with"),
        }
    }
}

impl<P: Extension + PluginConfig> ExtensionHarness<P> {
    /// A harness for the extension decoded from `config` (`null` means every default).
    ///
    /// # Errors
    /// The config does not decode.
    pub fn from_config(config: &serde_json::Value) -> Result<Self, HarnessError> {
        let mut h = Self::new(P::from_config(config)?).named(P::NAME);
        h.base.config = config.clone();
        Ok(h)
    }

    /// A harness for the extension decoded from a JSON text.
    ///
    /// # Errors
    /// The text is not JSON, or the config does not decode.
    pub fn from_json(json: &str) -> Result<Self, HarnessError> {
        Self::from_config(&parse_json(P::NAME, json)?)
    }

    /// A harness for the extension decoded from a YAML text (empty means every default).
    ///
    /// # Errors
    /// The text is not YAML, or the config does not decode.
    pub fn from_yaml(yaml: &str) -> Result<Self, HarnessError> {
        Self::from_config(&parse_config_text(P::NAME, yaml)?)
    }
}

impl ExtensionHarness<dyn Extension> {
    /// A harness for the registered extension `name`, built from `config`, a JSON or YAML
    /// text (empty means every default).
    ///
    /// # Errors
    /// Not registered, or the config does not decode.
    pub fn from_registry(name: &str, config: &str) -> Result<Self, HarnessError> {
        let d = descriptor(PluginKind::Extension, name)?;
        let config = parse_config_text(name, config)?;
        let Factories::Extension { new } = d.factories else {
            return Err(HarnessError::misuse(name, "registered under another kind"));
        };
        let mut h = Self::from_boxed(new(&config)?).named(d.name);
        h.base.config = config;
        Ok(h)
    }

    /// A harness for a boxed extension (what the registry's factories build), named
    /// `extension` until [`named`](Self::named).
    #[must_use]
    pub fn from_boxed(ext: Box<dyn Extension>) -> Self {
        Self {
            base: Base::new("extension".to_owned(), serde_json::Value::Null),
            handle: Arc::new(Mutex::new(ext)),
            plugin: PhantomData,
        }
    }
}

impl<P: ?Sized> ExtensionHarness<P> {
    /// Names the extension (in its context's logger and in error messages).
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.base.name = name.into();
        self
    }

    /// Uses `mock` as the extension's context. Call before it is initialised.
    #[must_use]
    pub fn with_mock(mut self, mock: MockContext) -> Self {
        self.base.mock = mock;
        self
    }

    /// How long to wait for `stop` (default 2 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.base.timeout = timeout;
        self
    }

    /// The extension's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.base.name
    }

    /// The mock context.
    #[must_use]
    pub fn mock(&self) -> &MockContext {
        &self.base.mock
    }

    /// The context the extension is given.
    #[must_use]
    pub fn context(&self) -> Context {
        self.base.plugin_context()
    }

    /// The shared handle, as [`Context::get_extension`] returns it.
    #[must_use]
    pub fn handle(&self) -> &ExtensionHandle {
        &self.handle
    }

    /// Runs `f` on the extension as a `dyn Extension`.
    pub fn with_dyn<R>(&self, f: impl FnOnce(&mut dyn Extension) -> R) -> R {
        let mut guard = self.handle.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut **guard)
    }

    /// Calls `init` with the mock context. Runs by itself on [`register`](Self::register)
    /// and [`stop`](Self::stop) when not called.
    ///
    /// # Errors
    /// `init` failed, or already ran.
    pub fn init(&mut self) -> Result<(), HarnessError> {
        if self.base.phase != Phase::Created {
            return Err(self.base.misuse("init called twice"));
        }
        let handle = Arc::clone(&self.handle);
        self.base
            .ensure_init(|ctx| {
                handle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .init(ctx)
            })
            .map(drop)
    }

    fn ensure_init(&mut self) -> Result<(), HarnessError> {
        if self.base.phase == Phase::Created {
            self.init()?;
        }
        Ok(())
    }

    /// Declares the extension in the mock context under `type_with_id` (`ext_basicauth/u1`,
    /// or a bare type), as a pipeline's `extensions` section does: plugins sharing the mock
    /// get it from [`Context::get_extension`].
    ///
    /// # Errors
    /// `init` failed.
    pub fn register(&mut self, type_with_id: &str) -> Result<(), HarnessError> {
        self.ensure_init()?;
        self.base
            .mock
            .context()
            .add_extension(type_with_id, Arc::clone(&self.handle));
        Ok(())
    }

    /// Stops the extension (bounded by the timeout, 2 s by default), then checks that no
    /// [`Worker`](crate::Worker) thread started with the mock context is still running.
    ///
    /// # Errors
    /// `init` or `stop` failed, panicked or overstayed, or threads are left.
    pub fn stop(&mut self) -> Result<(), HarnessError> {
        if self.base.phase == Phase::Stopped {
            return Err(self.base.misuse("stop called twice"));
        }
        self.ensure_init()?;
        self.base.phase = Phase::Stopped;
        let name = self.base.name.clone();
        let handle = Arc::clone(&self.handle);
        let (tx, rx) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name(format!("{name} stop"))
            .spawn(move || {
                let out = catch_unwind(AssertUnwindSafe(|| {
                    handle.lock().unwrap_or_else(PoisonError::into_inner).stop()
                }));
                let _ = tx.send(out.map_err(|p| panic_message(&*p)));
            })
            .map_err(|e| HarnessError::plugin(&name, "stop", e.into()))?;
        match rx.recv_timeout(self.base.timeout) {
            Ok(Ok(result)) => {
                let _ = spawned.join();
                result.map_err(|e| HarnessError::plugin(&name, "stop", e))?;
            }
            Ok(Err(message)) => {
                let _ = spawned.join();
                return Err(HarnessError::Panicked {
                    plugin: name,
                    method: "stop",
                    message,
                });
            }
            Err(_) => {
                return Err(HarnessError::Timeout {
                    plugin: name,
                    method: "stop",
                    waited: self.base.timeout,
                    hint: "",
                })
            }
        }
        match self.base.mock.context().live_threads() {
            0 => Ok(()),
            count => Err(HarnessError::ThreadsLeft {
                plugin: name,
                count,
            }),
        }
    }
}
