//! Every plugin of this crate, in one line (Go's `all.go`).
//!
//! A binary — an agent, a test — that names this module once links the crate, and with it
//! every plugin's registration:
//!
//! ```
//! pipeplug::link!(example_plugin::all);
//! # fn main() {
//! let registry = pipeplug::registry::global().unwrap();
//! assert!(registry.get(pipeplug::registry::PluginKind::ServiceInput, "service_example_plugin").is_some());
//! # }
//! ```
//!
//! Why a line is needed at all: rustc links a dependency only when the code names something
//! in it, and a plugin crate's registrations run only if the crate is linked (see
//! [`pipeplug::link!`]).

/// The names of the plugins this crate registers: what a host built with this crate
/// expects to find in its registry.
pub const PLUGINS: &[&str] = &["service_example_plugin"];
