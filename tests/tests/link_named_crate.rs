//! The fix for the trap shown in `link_unnamed_crate.rs`: one line names the collection.

pipeplug::link!(example_plugin::all);
use pipeplug::registry::{self, PluginKind};
use pipeplug::testing::ServiceInputHarness;

#[test]
fn naming_the_all_module_registers_the_collection() {
    let registry = registry::global().unwrap_or_else(|e| panic!("{e}"));
    let plugin = registry
        .get(PluginKind::ServiceInput, "service_example_plugin")
        .expect("registered by naming example_plugin::all");
    assert_eq!(plugin.description, "custom service input");
    assert_eq!(plugin.source.crate_name, "example_plugin");
    assert!(example_plugin::all::PLUGINS.contains(&plugin.name));
}

#[test]
fn a_harness_built_from_the_plugin_type_names_its_crate() {
    // Naming the type links the crate, so the registry-backed checks of the harness see it.
    let mut h = ServiceInputHarness::<example_plugin::MyServiceInput>::from_yaml("interval: 1s")
        .unwrap_or_else(|e| panic!("{e}"));
    h.start_v1().unwrap_or_else(|e| panic!("{e}"));
    h.advance(std::time::Duration::from_secs(2));
    h.stop().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.logs().len(), 2);
}
