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
//!
//! The registry is a catalog below the code that runs plugins: it knows descriptors and
//! factories, and a [`Context`](crate::Context) knows nothing of it. A host that wants
//! undeclared extensions created from a registry installs
//! [`Registry::extension_factory`] in the contexts it builds.

mod creators;
mod descriptor;
mod list;
mod snapshot;
mod type_string;

pub use crate::config::ConfigField;
pub use crate::kind::{PluginKind, SourceLocation};
pub use creators::{
    add_aggregator_creator, add_extension_creator, add_flusher_creator, add_metric_creator,
    add_processor_creator, add_service_creator, Both, CreatorOutput, V1Only, V2Only,
};
pub use descriptor::{Factories, Factory, Native, PluginDescriptor};
pub(crate) use list::submit;
pub use list::{register, Node};
pub use snapshot::{global, global_extension_factory, Registry};
pub use type_string::PluginType;
