//! The static list every registration is linked into: lock-free, so that the macros'
//! constructors, which run before `main`, allocate nothing, take no lock and cannot panic.

use super::PluginDescriptor;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

/// A link in the registry's list. Not public API; used by generated code and [`register`].
#[doc(hidden)]
pub struct Node {
    descriptor: &'static PluginDescriptor,
    next: AtomicPtr<Node>,
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

/// How many nodes are linked (a snapshot is stale when this changed since it was built).
pub(super) fn registered_count() -> usize {
    COUNT.load(Ordering::Acquire)
}

/// Every descriptor linked so far, in registration order.
pub(super) fn linked() -> Vec<&'static PluginDescriptor> {
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
///     example: None,
/// });
/// assert!(registry::global().unwrap().get(registry::PluginKind::ServiceInput, "service_doc_echo").is_some());
/// ```
pub fn register(descriptor: PluginDescriptor) {
    let descriptor: &'static PluginDescriptor = Box::leak(Box::new(descriptor));
    submit(Box::leak(Box::new(Node::new(descriptor))));
}
