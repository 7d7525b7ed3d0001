//! A pipeline's extensions, as its plugins find them through the [`Context`]
//! (`GetExtension`): declared ones by `type/id`, undeclared bare types created on first use
//! by the factory the host installed.
//!
//! The context keeps them without naming the plugin traits (which take a `&Context`
//! themselves); this module, which knows both, is where they are stored and read back.

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
}
