//! The conformance checks the attribute macros generate for every plugin (under
//! `cfg(test)`, no code from the author).

use crate::registry::{self, PluginKind};

/// Runs every conformance check of the plugin `name` of `kind`; panics with a message naming
/// the plugin and the failed check.
///
/// # Panics
/// When a check fails (this is a test helper).
pub fn run(kind: PluginKind, name: &str) {
    let reg = registry::global().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        reg.get(kind, name).is_some(),
        "{kind} plugin `{name}` is not in the registry"
    );
}
