//! The `all` module: what it lists is what the crate registers, all native in V1 and V2.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::registry::{self, PluginKind};
use pipeplug_plugins::all::PLUGINS;

#[test]
fn every_listed_plugin_is_registered_native_in_v1_and_v2() {
    let registry = registry::global().unwrap();
    for name in PLUGINS {
        let kinds = registry.kinds_of(name);
        assert_eq!(kinds.len(), 1, "`{name}` is registered once: {kinds:?}");
        let kind = kinds[0];
        assert!(name.starts_with(kind.prefix()), "`{name}` is a {kind}");
        let d = registry.get(kind, name).unwrap();
        assert_eq!(d.source.crate_name, "pipeplug-plugins");
        assert!(
            d.native.v1 && d.native.v2,
            "`{name}` implements V1 and V2 itself: {}",
            d.native
        );
    }
}

#[test]
fn the_list_names_every_plugin_of_the_crate_once() {
    let registry = registry::global().unwrap();
    let mut registered: Vec<_> = registry
        .iter()
        .filter(|d| d.source.crate_name == "pipeplug-plugins")
        .map(|d| d.name)
        .collect();
    registered.sort_unstable();
    let mut listed = PLUGINS.to_vec();
    listed.sort_unstable();
    assert_eq!(registered, listed);
}

#[test]
fn the_default_aggregator_is_there_for_the_engine() {
    // The engine adds `aggregator_default` to pipelines without an aggregator, by name.
    let registry = registry::global().unwrap();
    assert!(registry
        .get(PluginKind::Aggregator, "aggregator_default")
        .is_some());
}

#[test]
fn the_crate_docs_table_lists_every_option_of_every_plugin() {
    const DOCS: &str = include_str!("../src/lib.rs");
    let registry = registry::global().unwrap();
    for name in PLUGINS {
        let d = registry.get(registry.kinds_of(name)[0], name).unwrap();
        let row = DOCS
            .lines()
            .find(|l| l.starts_with(&format!("//! | [`{name}`]")))
            .unwrap_or_else(|| panic!("no row for `{name}` in the crate docs"));
        for field in d.config_fields {
            assert!(
                row.contains(&format!("`{}`", field.key)),
                "`{name}`'s row lacks `{}`: {row}",
                field.key
            );
        }
    }
}
