//! Every built-in plugin, in one line (Go's `all.go`).
//!
//! A binary (an agent, a test) writes
//!
//! ```
//! pipeplug::link!(pipeplug_plugins::all);
//! # fn main() {
//! let registry = pipeplug::registry::global().unwrap();
//! for name in pipeplug_plugins::all::PLUGINS {
//!     assert!(!registry.kinds_of(name).is_empty(), "{name} is registered");
//! }
//! # }
//! ```
//!
//! and every plugin of this crate is registered before `main`. Why a line is needed at all:
//! rustc links a dependency only when the code names something in it, and a crate's
//! registrations run only if it is linked. Naming any item would do; naming `all` says why.

/// The names of the built-in plugins: what a host built with this crate expects to find in
/// its registry (it warns at start-up about any that is missing).
pub const PLUGINS: &[&str] = &[
    "metric_mock",
    "service_mock",
    "service_http_server",
    "processor_add_fields",
    "processor_drop",
    "processor_rename",
    "aggregator_default",
    "flusher_stdout",
    "flusher_http",
    "ext_basicauth",
    "ext_default_encoder",
    "ext_default_decoder",
    "ext_groupinfo_filter",
];
