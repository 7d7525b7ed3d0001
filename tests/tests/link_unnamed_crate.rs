//! The trap: this integration test depends on `example_plugin` (a dev-dependency of this
//! package) but names nothing of it, so rustc does not link it and its plugins never
//! register. A test of a plugin must name its crate: `pipeplug::link!(example_plugin::all);` (see
//! `link_named_crate.rs`), or build a harness from the plugin's type, which names it too.

use pipeplug::registry::{self, PluginKind};

#[test]
fn a_test_naming_nothing_of_a_plugin_crate_sees_none_of_its_plugins() {
    let registry = registry::global().unwrap_or_else(|e| panic!("{e}"));
    assert!(registry
        .get(PluginKind::ServiceInput, "service_example_plugin")
        .is_none());
}
