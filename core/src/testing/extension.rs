//! [`ExtensionHarness`]: init and stop an extension, and declare it in a mock context so
//! that other plugins find it.

use super::base::{base_api, config_api, registered, short_type_name, Base, Phase};
use super::HarnessError;
use crate::capability::Capability;
use crate::plugin::Extension;
use crate::registry::{Factories, PluginKind};
use crate::ExtensionHandle;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

/// Drives an extension: [`init`](Self::init) with a [`MockContext`](super::MockContext),
/// [`stop`](Self::stop), and [`register`](Self::register) to declare it in that context under
/// a `type/id`, so that plugins sharing the mock (their harness's `with_mock`) get it with
/// [`Context::get_extension`](crate::Context::get_extension) as in a pipeline that declares
/// it.
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
///             c.value = format!("{}{}", self.prefix, c.value).into();
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
        self.base.fmt_debug(f, "ExtensionHarness", &[])
    }
}

impl<P: ?Sized> ExtensionHarness<P> {
    fn assemble(base: Base, ext: Box<dyn Extension>) -> Self {
        Self {
            base,
            handle: Arc::new(Mutex::new(ext)),
            plugin: PhantomData,
        }
    }
}

base_api!(ExtensionHarness, [?Sized]);
config_api!(ExtensionHarness, Extension);

impl<P: Extension> ExtensionHarness<P> {
    /// A harness for `ext`, with a fresh [`MockContext`](super::MockContext). The extension
    /// is named after its type until [`named`](Self::named).
    pub fn new(ext: P) -> Self {
        let base = Base::new(short_type_name::<P>(), serde_json::Value::Null);
        Self::assemble(base, Box::new(ext))
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

impl ExtensionHarness<dyn Extension> {
    /// A harness for the registered extension `name`, built from `config`, a JSON or YAML
    /// text (empty means every default).
    ///
    /// # Errors
    /// Not registered, or the config does not decode.
    pub fn from_registry(name: &str, config: &str) -> Result<Self, HarnessError> {
        let pick = |factories: &Factories| match factories {
            Factories::Extension { new } => Some(*new),
            _ => None,
        };
        let (base, ext) = registered(PluginKind::Extension, name, config, pick)?;
        Ok(Self::assemble(base, ext))
    }

    /// A harness for a boxed extension (what the registry's factories build), named
    /// `extension` until [`named`](Self::named).
    #[must_use]
    pub fn from_boxed(ext: Box<dyn Extension>) -> Self {
        Self::assemble(
            Base::new("extension".to_owned(), serde_json::Value::Null),
            ext,
        )
    }
}

impl<P: ?Sized> ExtensionHarness<P> {
    /// The shared handle, as [`Context::get_extension`](crate::Context::get_extension)
    /// returns it.
    #[must_use]
    pub fn handle(&self) -> &ExtensionHandle {
        &self.handle
    }

    /// The extension's capability `T`, as a plugin gets it with
    /// [`Context::capability`](crate::Context::capability) (runs `init` first when not done).
    ///
    /// ```
    /// use pipeplug::prelude::*;
    /// use pipeplug::capability::HttpRequest;
    /// use pipeplug::testing::ExtensionHarness;
    /// use std::sync::Arc;
    ///
    /// /// Adds `X-Key`.
    /// #[derive(Clone)]
    /// struct Key;
    /// impl Plugin for Key { fn description(&self) -> &str { "adds X-Key" } }
    /// impl Extension for Key {
    ///     fn capabilities(&self) -> Capabilities {
    ///         Capabilities::new().with::<dyn ClientAuthenticator>(Arc::new(self.clone()))
    ///     }
    /// }
    /// impl ClientAuthenticator for Key {
    ///     fn authenticate(&self, req: &mut HttpRequest) -> Result<(), BoxError> {
    ///         req.set_header("X-Key", "k");
    ///         Ok(())
    ///     }
    /// }
    /// let mut h = ExtensionHarness::new(Key);
    /// let mut req = HttpRequest::new("GET", "http://h/");
    /// h.capability::<dyn ClientAuthenticator>().unwrap().authenticate(&mut req).unwrap();
    /// assert_eq!(req.header("x-key"), Some("k"));
    /// let err = h.capability::<dyn Encoder>().err().unwrap();
    /// assert!(err.to_string().contains("does not provide the capability `Encoder`"), "{err}");
    /// ```
    ///
    /// # Errors
    /// `init` failed, or the extension does not provide `T`.
    pub fn capability<T: ?Sized + Capability>(&mut self) -> Result<Arc<T>, HarnessError> {
        self.ensure_init()?;
        let caps = self
            .handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .capabilities();
        caps.get::<T>().ok_or_else(|| {
            let provided = if caps.is_empty() {
                "nothing".to_owned()
            } else {
                caps.names().join(", ")
            };
            HarnessError::plugin(
                &self.base.name,
                "capability",
                Box::new(crate::ExtensionError::MissingCapability {
                    name: self.base.name.clone(),
                    capability: T::NAME,
                    provided,
                }),
            )
        })
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
    /// get it from [`Context::get_extension`](crate::Context::get_extension).
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
        let (_, stopped) = self
            .base
            .call_bounded(Arc::clone(&self.handle), "stop", |handle| {
                handle.lock().unwrap_or_else(PoisonError::into_inner).stop()
            })?;
        self.base.check_stopped(stopped)
    }
}
