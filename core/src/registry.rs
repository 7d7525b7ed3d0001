//! The plugin registry: name → [`PluginDescriptor`], per kind.
//!
//! Plugins get here two ways:
//! - **statically**: the attribute macros emit a `ctor` constructor that calls
//!   [`submit`](crate::__private::submit) with a `'static` node before `main` runs (Go's
//!   `init()`). Linking a node allocates nothing, takes no lock and cannot panic;
//! - **explicitly**, for plugins written without the macros: [`register`], or the Go-named
//!   shorthands such as [`add_service_creator`].
//!
//! The registry is checked when it is first read ([`global`]): two plugins of one kind with
//! one name are an error naming both, never "last wins".

use crate::error::{LookupError, RegistryError, TypeStringError};
use crate::plugin::{
    AggregatorV1, AggregatorV2, Extension, FlusherV1, FlusherV2, MetricInputV1, MetricInputV2,
    ProcessorV1, ProcessorV2, ServiceInputV1, ServiceInputV2,
};
use crate::{ConfigError, Context, ExtensionError};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The six kinds of plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginKind {
    /// Polled on an interval.
    MetricInput,
    /// Pushes on its own.
    ServiceInput,
    /// Transforms events.
    Processor,
    /// Batches events.
    Aggregator,
    /// Sends events out.
    Flusher,
    /// Shared helper.
    Extension,
}

impl PluginKind {
    /// Every kind, in pipeline order.
    pub const ALL: [Self; 6] = [
        Self::MetricInput,
        Self::ServiceInput,
        Self::Processor,
        Self::Aggregator,
        Self::Flusher,
        Self::Extension,
    ];

    /// The name prefix plugins of this kind use (`service_`, ...).
    #[must_use]
    pub fn prefix(self) -> &'static str {
        match self {
            Self::MetricInput => "metric_",
            Self::ServiceInput => "service_",
            Self::Processor => "processor_",
            Self::Aggregator => "aggregator_",
            Self::Flusher => "flusher_",
            Self::Extension => "ext_",
        }
    }

    /// `service input`, `processor`, ...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MetricInput => "metric input",
            Self::ServiceInput => "service input",
            Self::Processor => "processor",
            Self::Aggregator => "aggregator",
            Self::Flusher => "flusher",
            Self::Extension => "extension",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a plugin was defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation {
    /// The crate (`CARGO_PKG_NAME`).
    pub crate_name: &'static str,
    /// The source file.
    pub file: &'static str,
    /// The line of the plugin's struct.
    pub line: u32,
}

impl SourceLocation {
    /// What [`add_service_creator`] and its siblings record as the crate: they know the
    /// calling file and line, not the crate.
    pub const RUN_TIME: &'static str = "(registered at run time)";
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "crate `{}`", self.crate_name)?;
        if !self.file.is_empty() {
            write!(f, " ({}:{})", self.file, self.line)?;
        }
        Ok(())
    }
}

/// The source location of the caller of a `#[track_caller]` registration function.
#[track_caller]
fn caller_source() -> SourceLocation {
    let at = std::panic::Location::caller();
    SourceLocation {
        crate_name: SourceLocation::RUN_TIME,
        file: at.file(),
        line: at.line(),
    }
}

/// One config key of a plugin, for docs and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ConfigField {
    /// The key as written in configs (`interval`, `IgnoreIfExist`).
    pub key: &'static str,
    /// The Rust type (`Duration`, `Vec<String>`).
    pub type_name: &'static str,
    /// The default as written in the source (`"5s"`), `None` for `Default::default()`.
    pub default: Option<&'static str>,
    /// The field's doc comment.
    pub doc: &'static str,
    /// For durations, the unit of a bare integer (`ns`, the Go default, or what the field
    /// declares, such as `ms` for iLogtail's `IntervalMs` keys); `None` for other types.
    pub unit: Option<&'static str>,
}

/// Builds a plugin of type `T` from its config (a JSON value; `null` means "all defaults").
pub type Factory<T> = &'static (dyn Fn(&serde_json::Value) -> Result<T, ConfigError> + Send + Sync);

/// The factories of a plugin, per kind: a V1 and a V2 one (one of them may adapt the other).
#[derive(Clone, Copy)]
#[allow(missing_docs)] // the fields are named after the traits they build
pub enum Factories {
    MetricInput {
        v1: Factory<Box<dyn MetricInputV1>>,
        v2: Factory<Box<dyn MetricInputV2>>,
    },
    ServiceInput {
        v1: Factory<Box<dyn ServiceInputV1>>,
        v2: Factory<Box<dyn ServiceInputV2>>,
    },
    Processor {
        v1: Factory<Box<dyn ProcessorV1>>,
        v2: Factory<Box<dyn ProcessorV2>>,
    },
    Aggregator {
        v1: Factory<Box<dyn AggregatorV1>>,
        v2: Factory<Box<dyn AggregatorV2>>,
    },
    Flusher {
        v1: Factory<Box<dyn FlusherV1>>,
        v2: Factory<Box<dyn FlusherV2>>,
    },
    Extension {
        new: Factory<Box<dyn Extension>>,
    },
}

impl Factories {
    /// The kind these factories build.
    #[must_use]
    pub fn kind(&self) -> PluginKind {
        match self {
            Self::MetricInput { .. } => PluginKind::MetricInput,
            Self::ServiceInput { .. } => PluginKind::ServiceInput,
            Self::Processor { .. } => PluginKind::Processor,
            Self::Aggregator { .. } => PluginKind::Aggregator,
            Self::Flusher { .. } => PluginKind::Flusher,
            Self::Extension { .. } => PluginKind::Extension,
        }
    }
}

impl fmt::Debug for Factories {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Factories({})", self.kind())
    }
}

/// Which interfaces a plugin implements itself; the others are adapted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Native {
    /// Implements the V1 trait.
    pub v1: bool,
    /// Implements the V2 trait.
    pub v2: bool,
}

impl fmt::Display for Native {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.v1, self.v2) {
            (true, true) => "v1+v2",
            (true, false) => "v1",
            (false, true) => "v2",
            (false, false) => "-",
        })
    }
}

/// Everything the registry knows of a plugin.
#[derive(Debug)]
pub struct PluginDescriptor {
    /// The registered name (`service_example_plugin`).
    pub name: &'static str,
    /// One line from the struct's doc comment.
    pub description: &'static str,
    /// The config keys.
    pub config_fields: &'static [ConfigField],
    /// Where it was defined.
    pub source: SourceLocation,
    /// Which interfaces it implements itself.
    pub native: Native,
    /// How to build it.
    pub factories: Factories,
    /// Its config with every default, as JSON (for docs and checks).
    pub defaults: fn() -> Result<serde_json::Value, ConfigError>,
}

impl PluginDescriptor {
    /// The plugin's kind.
    #[must_use]
    pub fn kind(&self) -> PluginKind {
        self.factories.kind()
    }
}

/// A link in the registry's list. Not public API; used by generated code and [`register`].
#[doc(hidden)]
pub struct Node {
    pub(crate) descriptor: &'static PluginDescriptor,
    pub(crate) next: AtomicPtr<Node>,
    /// Set by the first `submit`: linking a node twice would make the list a cycle.
    linked: AtomicBool,
}

impl Node {
    /// A node for `descriptor`, not yet linked.
    #[must_use]
    pub const fn new(descriptor: &'static PluginDescriptor) -> Self {
        Self {
            descriptor,
            next: AtomicPtr::new(std::ptr::null_mut()),
            linked: AtomicBool::new(false),
        }
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("name", &self.descriptor.name)
            .field("kind", &self.descriptor.kind())
            .finish_non_exhaustive()
    }
}

static HEAD: AtomicPtr<Node> = AtomicPtr::new(std::ptr::null_mut());
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Links `node` into the registry: a lock-free push, no allocation, no lock, no panic.
/// Submitting a node that is already linked does nothing.
pub(crate) fn submit(node: &'static Node) {
    if node.linked.swap(true, Ordering::AcqRel) {
        return;
    }
    let node_ptr = std::ptr::from_ref(node).cast_mut();
    let mut head = HEAD.load(Ordering::Acquire);
    loop {
        node.next.store(head, Ordering::Relaxed);
        match HEAD.compare_exchange_weak(head, node_ptr, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => break,
            Err(current) => head = current,
        }
    }
    COUNT.fetch_add(1, Ordering::AcqRel);
}

/// Every descriptor linked so far, in registration order.
fn linked() -> Vec<&'static PluginDescriptor> {
    let mut out = Vec::with_capacity(COUNT.load(Ordering::Acquire));
    let mut p = HEAD.load(Ordering::Acquire);
    while !p.is_null() {
        // SAFETY: every pointer in the list comes from a `&'static Node` (see `submit`), and
        // nodes are never unlinked or freed.
        let node = unsafe { &*p };
        out.push(node.descriptor);
        p = node.next.load(Ordering::Acquire);
    }
    out.reverse();
    out
}

/// Registers a plugin written without the macros.
///
/// The descriptor is leaked: registrations live for the whole process, as Go's do.
///
/// ```
/// use pipeplug::registry::{self, Factories, Native, PluginDescriptor, SourceLocation};
/// # use pipeplug::{plugin::*, Collector, BoxError};
/// # struct Echo;
/// # impl Plugin for Echo { fn description(&self) -> &str { "echo" } }
/// # impl ServiceInput for Echo {}
/// # impl ServiceInputV1 for Echo { fn start(&mut self, _: Collector) -> Result<(), BoxError> { Ok(()) } }
/// registry::register(PluginDescriptor {
///     name: "service_doc_echo",
///     description: "echo",
///     config_fields: &[],
///     source: SourceLocation { crate_name: "doc", file: file!(), line: line!() },
///     native: Native { v1: true, v2: true },
///     factories: Factories::ServiceInput {
///         v1: Box::leak(Box::new(|_: &_| Ok(Box::new(Echo) as Box<dyn ServiceInputV1>))),
///         v2: Box::leak(Box::new(|_: &_| Err(pipeplug::ConfigError::new("service_doc_echo", "", pipeplug::ConfigProblemKind::Custom("v1 only".into()))))),
///     },
///     defaults: || Ok(serde_json::Value::Null),
/// });
/// assert!(registry::global().unwrap().get(registry::PluginKind::ServiceInput, "service_doc_echo").is_some());
/// ```
pub fn register(descriptor: PluginDescriptor) {
    let descriptor: &'static PluginDescriptor = Box::leak(Box::new(descriptor));
    submit(Box::leak(Box::new(Node::new(descriptor))));
}

fn leak<F>(f: F) -> &'static F {
    Box::leak(Box::new(f))
}

macro_rules! go_creators {
    ($($(#[$doc:meta])* $fn:ident => $variant:ident, $v1:ident, $v2:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// `creator` builds the plugin from its config (a JSON value, `null` for "all
        /// defaults") and says which interfaces it implements by wrapping it in [`V1Only`],
        /// [`V2Only`] or [`Both`]; the other interface is adapted. The registration's
        /// source is the calling file and line. Use [`register`] for full control (docs of
        /// config fields, crate name). A second registration of the name is reported by
        /// [`global`].
        #[track_caller]
        pub fn $fn<T, F>(name: &'static str, description: &'static str, creator: F)
        where
            T: CreatorOutput<dyn $v1, dyn $v2>,
            F: Fn(&serde_json::Value) -> Result<T, ConfigError> + Send + Sync + 'static,
        {
            let source = caller_source();
            let creator = leak(creator);
            register(PluginDescriptor {
                name,
                description,
                config_fields: &[],
                source,
                native: T::NATIVE,
                factories: Factories::$variant {
                    v1: leak(move |c: &serde_json::Value| creator(c).map(T::into_v1)),
                    v2: leak(move |c: &serde_json::Value| creator(c).map(T::into_v2)),
                },
                defaults: || Ok(serde_json::Value::Null),
            });
        }
    )*};
}

/// What a Go-style creator returns: a plugin implementing V1 ([`V1Only`]), V2 ([`V2Only`])
/// or both (the plugin itself, wrapped in [`Both`]).
pub trait CreatorOutput<V1: ?Sized, V2: ?Sized> {
    /// Which interfaces are native.
    const NATIVE: Native;
    /// The plugin as V1.
    fn into_v1(self) -> Box<V1>;
    /// The plugin as V2.
    fn into_v2(self) -> Box<V2>;
}

/// A plugin implementing only its V1 trait; V2 is adapted.
#[derive(Debug)]
pub struct V1Only<T>(pub T);
/// A plugin implementing only its V2 trait; V1 is adapted.
#[derive(Debug)]
pub struct V2Only<T>(pub T);
/// A plugin implementing both traits.
#[derive(Debug)]
pub struct Both<T>(pub T);

macro_rules! creator_outputs {
    ($($v1:ident, $v2:ident, $a12:ident, $a21:ident;)*) => {$(
        impl<T: $v1 + 'static> CreatorOutput<dyn $v1, dyn $v2> for V1Only<T> {
            const NATIVE: Native = Native { v1: true, v2: false };
            fn into_v1(self) -> Box<dyn $v1> { Box::new(self.0) }
            fn into_v2(self) -> Box<dyn $v2> { Box::new(crate::adapter::$a12::new(self.0)) }
        }
        impl<T: $v2 + 'static> CreatorOutput<dyn $v1, dyn $v2> for V2Only<T> {
            const NATIVE: Native = Native { v1: false, v2: true };
            fn into_v1(self) -> Box<dyn $v1> { Box::new(crate::adapter::$a21::new(self.0)) }
            fn into_v2(self) -> Box<dyn $v2> { Box::new(self.0) }
        }
        impl<T: $v1 + $v2 + 'static> CreatorOutput<dyn $v1, dyn $v2> for Both<T> {
            const NATIVE: Native = Native { v1: true, v2: true };
            fn into_v1(self) -> Box<dyn $v1> { Box::new(self.0) }
            fn into_v2(self) -> Box<dyn $v2> { Box::new(self.0) }
        }
    )*};
}

creator_outputs! {
    MetricInputV1, MetricInputV2, MetricV1AsV2, MetricV2AsV1;
    ServiceInputV1, ServiceInputV2, ServiceV1AsV2, ServiceV2AsV1;
    ProcessorV1, ProcessorV2, ProcessorV1AsV2, ProcessorV2AsV1;
    AggregatorV1, AggregatorV2, AggregatorV1AsV2, AggregatorV2AsV1;
    FlusherV1, FlusherV2, FlusherV1AsV2, FlusherV2AsV1;
}

go_creators! {
    /// Registers a metric input at run time (Go's `pipeline.AddMetricCreator`).
    add_metric_creator => MetricInput, MetricInputV1, MetricInputV2;
    /// Registers a service input at run time (Go's `pipeline.AddServiceCreator`).
    add_service_creator => ServiceInput, ServiceInputV1, ServiceInputV2;
    /// Registers a processor at run time (Go's `pipeline.AddProcessorCreator`).
    add_processor_creator => Processor, ProcessorV1, ProcessorV2;
    /// Registers an aggregator at run time (Go's `pipeline.AddAggregatorCreator`).
    add_aggregator_creator => Aggregator, AggregatorV1, AggregatorV2;
    /// Registers a flusher at run time (Go's `pipeline.AddFlusherCreator`).
    add_flusher_creator => Flusher, FlusherV1, FlusherV2;
}

/// Registers an extension at run time (Go's `pipeline.AddExtensionCreator`).
///
/// `creator` builds the extension from its config (`null` for "all defaults"). The
/// registration's source is the calling file and line.
#[track_caller]
pub fn add_extension_creator<T, F>(name: &'static str, description: &'static str, creator: F)
where
    T: Extension,
    F: Fn(&serde_json::Value) -> Result<T, ConfigError> + Send + Sync + 'static,
{
    let source = caller_source();
    let creator = leak(creator);
    register(PluginDescriptor {
        name,
        description,
        config_fields: &[],
        source,
        native: Native { v1: true, v2: true },
        factories: Factories::Extension {
            new: leak(move |c: &serde_json::Value| {
                creator(c).map(|e| Box::new(e) as Box<dyn Extension>)
            }),
        },
        defaults: || Ok(serde_json::Value::Null),
    });
}

/// A parsed plugin type string: `name`, `name/id`, `name/id#priority`, as iLogtail's
/// configs write them.
///
/// `name/id/seq` is accepted too: iLogtail's C++ core appends a sequence number to a type
/// the user already gave an ID (`ext_basicauth/user1` becomes `ext_basicauth/user1/3`).
/// The ID is then the middle part, the one other plugins refer to (`ext_basicauth/user1`);
/// the sequence number is not kept. Unlike Go's `GetPluginPriority`, which reads a bad
/// priority as 0, a priority that is not an `i32` is an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginType {
    /// The registered name.
    pub name: String,
    /// The ID, if given.
    pub id: Option<String>,
    /// The priority after `#`, if given.
    pub priority: Option<i32>,
}

impl PluginType {
    /// Parses a type string.
    ///
    /// ```
    /// use pipeplug::registry::PluginType;
    /// let t = PluginType::parse("processor_rename/2#10").unwrap();
    /// assert_eq!((t.name.as_str(), t.id.as_deref(), t.priority), ("processor_rename", Some("2"), Some(10)));
    /// assert!(PluginType::parse("a//b").is_err());
    /// ```
    ///
    /// # Errors
    /// [`TypeStringError`] for `""`, `/x`, `a//b`, `a#b#c`, a non-integer priority, ...
    pub fn parse(s: &str) -> Result<Self, TypeStringError> {
        if s.is_empty() {
            return Err(TypeStringError::Empty);
        }
        // Names and IDs end up in logs, metric labels and thread names: no control
        // characters (a NUL cannot even name a thread).
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            return Err(TypeStringError::BadCharacter(s.to_owned(), c));
        }
        let (path, priority) = match s.split_once('#') {
            None => (s, None),
            Some((_, rest)) if rest.contains('#') => {
                return Err(TypeStringError::TooManyHashes(s.to_owned()))
            }
            Some((path, p)) => {
                let p = p
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| TypeStringError::BadPriority(s.to_owned(), p.to_owned()))?;
                (path, Some(p))
            }
        };
        let parts: Vec<&str> = path.split('/').collect();
        if parts[0].is_empty() {
            return Err(TypeStringError::EmptyName(s.to_owned()));
        }
        if parts.len() > 3 {
            return Err(TypeStringError::TooManyParts(s.to_owned()));
        }
        if parts[1..].iter().any(|p| p.is_empty()) {
            return Err(TypeStringError::EmptyId(s.to_owned()));
        }
        Ok(Self {
            name: parts[0].to_owned(),
            id: parts.get(1).map(|p| (*p).to_owned()),
            priority,
        })
    }
}

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
    let count = COUNT.load(Ordering::Acquire);
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
    /// this registry, configured with `config`: what [`Context::get_extension`] does for a
    /// bare name the pipeline does not declare, as Go's `GetExtension` does.
    ///
    /// # Errors
    /// No such extension, its config does not decode, or its `init` failed.
    pub fn create_extension(
        &self,
        name: &str,
        config: &serde_json::Value,
        ctx: &Context,
    ) -> Result<crate::context::ExtensionHandle, ExtensionError> {
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
        let ext_ctx = ctx.for_plugin(crate::PluginMeta {
            plugin_type: d.name.to_owned(),
            plugin_id: String::new(),
        });
        ext.init(&ext_ctx).map_err(|source| ExtensionError::Init {
            name: name.to_owned(),
            source,
        })?;
        Ok(Arc::new(Mutex::new(ext)))
    }

    /// An [`ExtensionFactory`](crate::ExtensionFactory) creating undeclared extensions from
    /// this registry (see [`create_extension`](Self::create_extension)), for
    /// [`ContextBuilder::extension_factory`](crate::ContextBuilder::extension_factory).
    #[must_use]
    pub fn extension_factory(self: Arc<Self>) -> crate::ExtensionFactory {
        Arc::new(move |name, config, ctx| self.create_extension(name, config, ctx))
    }
}

/// Creates and initialises the extension `name` from the global registry (what
/// [`Context::get_extension`] does when no factory is installed).
pub(crate) fn create_extension(
    name: &str,
    config: &serde_json::Value,
    ctx: &Context,
) -> Result<crate::context::ExtensionHandle, ExtensionError> {
    let reg = global().map_err(|e| ExtensionError::Create {
        name: name.to_owned(),
        source: Box::new(e.into()),
    })?;
    reg.create_extension(name, config, ctx)
}
