//! "Did you mean ...?" suggestions at run time: config keys, plugin names, the keys of the
//! agent's files and of `external_plugins.yml`.
//!
//! The rule, compared without regard to case and counted in characters: a candidate equal
//! to the input is best; else one that starts with the input or that the input starts with
//! (`unit` for `units`, `rename_all` for `rename`); else one at an edit distance of at most
//! a third of the input's length (at least 1), where an insertion, a deletion, a
//! substitution or a swap of two neighbouring characters is one edit (the optimal string
//! alignment distance: `Hots` is one edit from `Host`). Among those, a prefix comes before
//! a non-prefix, then the smaller distance, then the earlier candidate. An empty input gets
//! no suggestion.
//!
//! The attribute macros apply the same rule at compile time, to the keys of their own
//! attributes, in their own copy (`macros/src/symbol.rs`): the macros may depend on nothing
//! but `syn`, `quote` and `proc-macro2`, so they cannot call this module. The two copies must
//! agree, so that a typo gets the same suggestion in an attribute as in a config file; both
//! run the same table of cases in their unit tests.
//!
//! ```
//! use pipeplug::suggest::closest;
//! assert_eq!(closest("intervl", ["interval", "Fields"]), Some("interval"));
//! assert_eq!(closest("fields", ["interval", "Fields"]), Some("Fields"));
//! assert_eq!(closest("zzz", ["interval", "Fields"]), None);
//! ```

/// The candidate closest to `input`, if it is close enough to be a likely typo (the rule is
/// in the [module docs](self)).
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typo = input.to_lowercase();
    if typo.is_empty() {
        return None;
    }
    let within = (typo.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter_map(|c| {
            let candidate = c.to_lowercase();
            let prefix = !candidate.is_empty()
                && (candidate.starts_with(&typo) || typo.starts_with(&candidate));
            let distance = strsim::osa_distance(&typo, &candidate);
            (prefix || distance <= within).then_some(((!prefix, distance), c))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    /// The same table as the macros' `symbol.rs` test: the two copies of the rule agree.
    #[test]
    fn suggests_typos_not_strangers() {
        let plugin_keys: &[&str] = &[
            "name",
            "crate",
            "lenient",
            "conformance",
            "rename_all",
            "validate",
        ];
        let config_keys: &[&str] = &["default", "rename", "unit"];
        let file_keys: &[&str] = &["interval", "Fields", "IgnoreIfExist"];
        let names: &[&str] = &["service_example_plugin", "service_counter", "flusher_count"];
        let cases: &[(&str, &[&str], Option<&str>)] = &[
            ("intervl", file_keys, Some("interval")),
            ("fields", file_keys, Some("Fields")),
            ("IGNOREIFEXIST", file_keys, Some("IgnoreIfExist")),
            ("zzz", file_keys, None),
            ("x", &[], None),
            ("", file_keys, None),
            ("lenent", plugin_keys, Some("lenient")),
            ("rename", plugin_keys, Some("rename_all")),
            ("Lenient", plugin_keys, Some("lenient")),
            ("colour", plugin_keys, None),
            ("defualt", config_keys, Some("default")),
            ("units", config_keys, Some("unit")),
            (
                "service_exampel_plugin",
                names,
                Some("service_example_plugin"),
            ),
            ("service_countr", names, Some("service_counter")),
            ("flusher_cont", names, Some("flusher_count")),
            (
                "comon",
                &["common", "linux", "windows", "macos"],
                Some("common"),
            ),
            ("plugin", &["plugins"], Some("plugins")),
            ("Hots", &["Host", "Port"], Some("Host")),
            ("SourceKey", &["SourceKeys", "DestKeys"], Some("SourceKeys")),
            ("Cont", &["Count", "Interval"], Some("Count")),
        ];
        for (typo, accepted, expected) in cases {
            assert_eq!(
                closest(typo, accepted.iter().copied()),
                *expected,
                "{typo:?} among {accepted:?}"
            );
        }
    }
}
