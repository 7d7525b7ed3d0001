//! A pipeline's extensions, as its plugins find them through the [`Context`]
//! (`GetExtension`): declared ones by `type/id`, undeclared bare types created on first use
//! by the factory the host installed.
//!
//! The context keeps them without naming the plugin traits (which take a `&Context`
//! themselves); this module, which knows both, is where they are stored and read back.

use crate::capability::Capability;
use crate::context::Erased;
use crate::error::ExtensionError;
use crate::plugin::Extension;
use crate::{Context, ContextBuilder};
use std::sync::{Arc, Mutex, PoisonError};

/// A shared, lockable extension instance, as [`Context::get_extension`] returns it.
pub type ExtensionHandle = Arc<Mutex<Box<dyn Extension>>>;

/// Creates an extension that a pipeline does not declare (Go creates it from the registry
/// on first use). The host installs one, usually
/// [`Registry::extension_factory`](crate::registry::Registry::extension_factory); a context
/// without one creates none.
pub type ExtensionFactory = Arc<
    dyn Fn(&str, &serde_json::Value, &Context) -> Result<ExtensionHandle, ExtensionError>
        + Send
        + Sync,
>;

impl ContextBuilder {
    /// How undeclared extensions are created (by default they are not: asking for one is
    /// [`ExtensionError::NoFactory`]).
    pub fn extension_factory(mut self, v: ExtensionFactory) -> Self {
        self.extension_factory = Some(Arc::new(v));
        self
    }
}

fn handle(slot: Erased) -> Option<ExtensionHandle> {
    slot.downcast::<Mutex<Box<dyn Extension>>>().ok()
}

impl Context {
    /// Adds a created extension under `type/id` (the host does this for declared ones).
    pub fn add_extension(&self, type_with_id: impl Into<String>, ext: ExtensionHandle) {
        self.set_extension_slot(type_with_id.into(), ext);
    }

    /// The pipeline's extension called `name` (`GetExtension`).
    ///
    /// `name` is `type/id` as declared in the pipeline, or a bare type. A bare type that is
    /// not declared is created with `config` by the context's [`ExtensionFactory`] (the
    /// host's installs one over its registry, as Go creates it from its registry),
    /// initialised and kept; an undeclared `type/id` is an error.
    ///
    /// # Errors
    /// [`ExtensionError::NotDeclared`] for an undeclared `type/id`,
    /// [`ExtensionError::NoFactory`] for an undeclared bare type when the context has no
    /// factory, or the factory's error.
    pub fn get_extension(
        &self,
        name: &str,
        config: &serde_json::Value,
    ) -> Result<ExtensionHandle, ExtensionError> {
        if let Some(ext) = self.extension_slot(name).and_then(handle) {
            return Ok(ext);
        }
        if name.contains('/') {
            return Err(ExtensionError::NotDeclared {
                name: name.to_owned(),
            });
        }
        let Some(factory) = self
            .extension_factory_slot()
            .and_then(|f| f.downcast_ref::<ExtensionFactory>())
        else {
            return Err(ExtensionError::NoFactory {
                name: name.to_owned(),
            });
        };
        let ext = factory(name, config, self)?;
        self.add_extension(name, Arc::clone(&ext));
        Ok(ext)
    }

    /// Runs `f` on the extension `name` downcast to its concrete type `T`.
    ///
    /// # Errors
    /// As [`get_extension`](Self::get_extension), or the extension is not a `T`.
    pub fn with_extension<T: Extension, R>(
        &self,
        name: &str,
        config: &serde_json::Value,
        f: impl FnOnce(&mut T) -> R,
    ) -> Result<R, ExtensionError> {
        let ext = self.get_extension(name, config)?;
        let mut guard = ext.lock().unwrap_or_else(PoisonError::into_inner);
        let any: &mut dyn std::any::Any = &mut **guard;
        any.downcast_mut::<T>()
            .map(f)
            .ok_or_else(|| ExtensionError::WrongType {
                name: name.to_owned(),
                expected: std::any::type_name::<T>(),
            })
    }

    /// The extension `name` as the capability `T`, a trait object to keep and call from
    /// any thread: `ctx.capability::<dyn ClientAuthenticator>("ext_basicauth/shared")`.
    ///
    /// `name` is found (or created) as [`get_extension`](Self::get_extension) does, with a
    /// `null` config; its [`Extension::capabilities`] must include `T`. The extension's type
    /// may come from any crate: only the trait is shared. See [`capability`](crate::capability).
    ///
    /// # Errors
    /// [`ExtensionError::Unavailable`] when `name` cannot be found or created (the cause is
    /// its [`source`](std::error::Error::source)), [`ExtensionError::MissingCapability`] when
    /// it does not provide `T`; both name the extension and the capability.
    pub fn capability<T: ?Sized + Capability>(&self, name: &str) -> Result<Arc<T>, ExtensionError> {
        let ext = self
            .get_extension(name, &serde_json::Value::Null)
            .map_err(|e| ExtensionError::Unavailable {
                name: name.to_owned(),
                capability: T::NAME,
                source: Box::new(e),
            })?;
        let caps = ext
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .capabilities();
        caps.get::<T>()
            .ok_or_else(|| ExtensionError::MissingCapability {
                name: name.to_owned(),
                capability: T::NAME,
                provided: if caps.is_empty() {
                    "nothing".to_owned()
                } else {
                    caps.names().join(", ")
                },
            })
    }
}
