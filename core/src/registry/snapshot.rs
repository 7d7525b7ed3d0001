//! [`Registry`]: a checked snapshot of the list, looked up by kind and name; [`global`],
//! the snapshot of every plugin registered so far; and the creation of extensions from it.

use super::list::{linked, registered_count};
use super::{Factories, PluginDescriptor, PluginType};
use crate::error::{LookupError, RegistryError};
use crate::kind::PluginKind;
use crate::{Context, ExtensionError, ExtensionFactory, ExtensionHandle, PluginMeta};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// A checked snapshot of every registered plugin.
///
/// Cheap to clone (maps of `'static` references).
#[derive(Debug, Clone)]
pub struct Registry {
    by_kind: HashMap<PluginKind, HashMap<&'static str, &'static PluginDescriptor>>,
    all: Vec<&'static PluginDescriptor>,
}

impl Registry {
    /// A checked registry of `descriptors` alone, as [`global`] builds one from every
    /// registered plugin (for a host that wants a subset, and for benchmarks of that
    /// build).
    ///
    /// # Errors
    /// [`RegistryError::Duplicate`] when two descriptors of one kind share a name (the
    /// earlier one is `first`).
    pub fn from_descriptors(
        descriptors: impl IntoIterator<Item = &'static PluginDescriptor>,
    ) -> Result<Self, RegistryError> {
        Self::build(descriptors.into_iter().collect())
    }

    fn build(list: Vec<&'static PluginDescriptor>) -> Result<Self, RegistryError> {
        let mut by_kind: HashMap<PluginKind, HashMap<&'static str, &'static PluginDescriptor>> =
            HashMap::new();
        for d in &list {
            let map = by_kind.entry(d.kind()).or_default();
            if let Some(first) = map.insert(d.name, d) {
                return Err(RegistryError::Duplicate {
                    kind: d.kind(),
                    name: d.name.to_owned(),
                    first: first.source,
                    second: d.source,
                });
            }
        }
        let mut all = list;
        all.sort_by_key(|d| (d.kind(), d.name));
        Ok(Self { by_kind, all })
    }

    /// The plugin of `kind` called `name` (a bare name, not a type string).
    #[must_use]
    pub fn get(&self, kind: PluginKind, name: &str) -> Option<&'static PluginDescriptor> {
        self.by_kind.get(&kind)?.get(name).copied()
    }

    /// The plugin of `kind` for an iLogtail type string (`name`, `name/id`,
    /// `name/id#priority`).
    ///
    /// # Errors
    /// A malformed type string, or no such plugin (with the closest name as a suggestion).
    pub fn lookup(
        &self,
        kind: PluginKind,
        type_string: &str,
    ) -> Result<(&'static PluginDescriptor, PluginType), LookupError> {
        let t = PluginType::parse(type_string)?;
        match self.get(kind, &t.name) {
            Some(d) => Ok((d, t)),
            None => Err(LookupError::Unknown {
                kind,
                suggestion: self.closest(kind, &t.name),
                name: t.name,
            }),
        }
    }

    /// The registered name of `kind` closest to `name`, if one is close enough to suggest.
    #[must_use]
    pub fn closest(&self, kind: PluginKind, name: &str) -> Option<String> {
        let names = self.by_kind.get(&kind)?.keys().copied();
        crate::suggest::closest(name, names).map(str::to_owned)
    }

    /// Which kinds have a plugin called `name`.
    #[must_use]
    pub fn kinds_of(&self, name: &str) -> Vec<PluginKind> {
        PluginKind::ALL
            .into_iter()
            .filter(|k| self.get(*k, name).is_some())
            .collect()
    }

    /// Every plugin, sorted by kind and name.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'static PluginDescriptor> + '_ {
        self.all.iter().copied()
    }

    /// How many plugins.
    #[must_use]
    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

type Cached = Option<(usize, Arc<Registry>)>;
static CACHE: Mutex<Cached> = Mutex::new(None);

/// The registry as it stands: every plugin registered so far, checked for duplicates.
///
/// Cheap after the first call: the snapshot is rebuilt only when plugins were registered
/// since.
///
/// # Errors
/// [`RegistryError::Duplicate`] when two plugins of one kind share a name.
pub fn global() -> Result<Arc<Registry>, RegistryError> {
    let count = registered_count();
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((n, reg)) = &*cache {
        if *n == count {
            return Ok(Arc::clone(reg));
        }
    }
    let reg = Arc::new(Registry::build(linked())?);
    *cache = Some((reg.len(), Arc::clone(&reg)));
    Ok(reg)
}

impl Registry {
    /// Creates and initialises the extension `name` (a registered extension's name) from
    /// this registry, configured with `config`: what a context with
    /// [`extension_factory`](Self::extension_factory) installed does when
    /// [`Context::get_extension`] asks for a bare name the pipeline does not declare, as
    /// Go's `GetExtension` does.
    ///
    /// # Errors
    /// No such extension, its config does not decode, or its `init` failed.
    pub fn create_extension(
        &self,
        name: &str,
        config: &serde_json::Value,
        ctx: &Context,
    ) -> Result<ExtensionHandle, ExtensionError> {
        let create_err = |source: LookupError| ExtensionError::Create {
            name: name.to_owned(),
            source: Box::new(source),
        };
        let (d, _) = self
            .lookup(PluginKind::Extension, name)
            .map_err(create_err)?;
        let Factories::Extension { new } = d.factories else {
            return Err(create_err(LookupError::Unknown {
                kind: PluginKind::Extension,
                name: name.to_owned(),
                suggestion: None,
            }));
        };
        let mut ext = new(config).map_err(|e| create_err(e.into()))?;
        // The extension logs and counts as itself, not as the plugin that asked for it.
        let ext_ctx = ctx.for_plugin(PluginMeta {
            plugin_type: d.name.to_owned(),
            plugin_id: String::new(),
        });
        ext.init(&ext_ctx).map_err(|source| ExtensionError::Init {
            name: name.to_owned(),
            source,
        })?;
        Ok(Arc::new(Mutex::new(ext)))
    }

    /// An [`ExtensionFactory`] creating undeclared extensions from
    /// this registry (see [`create_extension`](Self::create_extension)), for
    /// [`ContextBuilder::extension_factory`](crate::ContextBuilder::extension_factory).
    #[must_use]
    pub fn extension_factory(self: Arc<Self>) -> ExtensionFactory {
        Arc::new(move |name, config, ctx| self.create_extension(name, config, ctx))
    }
}

/// An [`ExtensionFactory`] creating undeclared extensions from [`global`] as it stands when
/// one is asked for (so plugins registered after the factory was made are found too). The
/// test harnesses' mock contexts install it.
///
/// ```
/// use pipeplug::{registry, Context};
/// let ctx = Context::builder()
///     .extension_factory(registry::global_extension_factory())
///     .build();
/// let err = ctx.get_extension("ext_not_registered", &serde_json::Value::Null).unwrap_err();
/// assert!(err.to_string().contains("ext_not_registered"));
/// ```
#[must_use]
pub fn global_extension_factory() -> ExtensionFactory {
    Arc::new(|name, config, ctx| {
        let reg = global().map_err(|e| ExtensionError::Create {
            name: name.to_owned(),
            source: Box::new(e.into()),
        })?;
        reg.create_extension(name, config, ctx)
    })
}
