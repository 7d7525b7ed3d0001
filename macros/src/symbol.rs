//! The keys of the attributes, defined once.

/// `name = "..."`: the registered name.
pub(crate) const NAME: &str = "name";
/// `crate = "path"`: where `pipeplug` is.
pub(crate) const CRATE: &str = "crate";
/// `lenient`: unknown config keys are warnings, not errors.
pub(crate) const LENIENT: &str = "lenient";
/// `conformance = false`: no generated conformance tests.
pub(crate) const CONFORMANCE: &str = "conformance";
/// `rename_all = "PascalCase"`: how field names become config keys.
pub(crate) const RENAME_ALL: &str = "rename_all";

/// `validate = "path"`: a check of the decoded config as a whole.
pub(crate) const VALIDATE: &str = "validate";
/// `example = "SourceKey: content"`: an example config, for docs and conformance tests.
pub(crate) const EXAMPLE: &str = "example";

/// Every key of the plugin attributes, in the order messages list them.
pub(crate) const PLUGIN_KEYS: &[&str] = &[
    NAME,
    CRATE,
    LENIENT,
    CONFORMANCE,
    RENAME_ALL,
    VALIDATE,
    EXAMPLE,
];

/// `#[config(...)]` on a field.
pub(crate) const CONFIG: &str = "config";
/// `#[state]` on a field.
pub(crate) const STATE: &str = "state";

/// `default = expr`.
pub(crate) const DEFAULT: &str = "default";
/// `rename = "Key"`.
pub(crate) const RENAME: &str = "rename";
/// `unit = "ms"`.
pub(crate) const UNIT: &str = "unit";
/// `required`: the config must give the key.
pub(crate) const REQUIRED: &str = "required";

/// Every key of `#[config(...)]`.
pub(crate) const CONFIG_KEYS: &[&str] = &[DEFAULT, RENAME, UNIT, REQUIRED];

/// The units `unit = "..."` takes, with the runtime's `DurationUnit` variant of each.
pub(crate) const UNITS: &[(&str, &str)] = &[
    ("ns", "Nanos"),
    ("us", "Micros"),
    ("ms", "Millis"),
    ("s", "Secs"),
    ("m", "Mins"),
    ("h", "Hours"),
];

/// The values `rename_all = "..."` takes.
pub(crate) const RENAME_RULES: &[&str] = &["PascalCase", "camelCase", "snake_case"];

/// `keys` as a message lists them: `` `a`, `b`, `c` ``.
pub(crate) fn list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The accepted key closest to a mistyped one, if it is close.
///
/// The rule, compared without regard to case and counted in characters: a key equal to the
/// typo is best; else one that starts with the typo or that the typo starts with; else one
/// at an edit distance of at most a third of the typo's length (at least 1), where an
/// insertion, a deletion, a substitution or a swap of two neighbouring characters is one
/// edit (the optimal string alignment distance). A prefix comes before a non-prefix, then
/// the smaller distance, then the earlier key. An empty typo gets no suggestion.
///
/// The runtime has the same rule in `pipeplug::suggest::closest` (config keys, plugin names,
/// the agent's files). There are two copies because the macros depend on nothing but `syn`,
/// `quote` and `proc-macro2`, so they cannot call the runtime. The two must agree, so that a
/// typo gets the same suggestion in an attribute as in a config file; both run the same table
/// of cases in their unit tests.
pub(crate) fn closest<'a>(typo: &str, accepted: &[&'a str]) -> Option<&'a str> {
    let typo = typo.to_lowercase();
    if typo.is_empty() {
        return None;
    }
    let within = (typo.chars().count() / 3).max(1);
    accepted
        .iter()
        .filter_map(|k| {
            let key = k.to_lowercase();
            let prefix = !key.is_empty() && (key.starts_with(&typo) || typo.starts_with(&key));
            let d = distance(&typo, &key);
            (prefix || d <= within).then_some(((!prefix, d), *k))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, k)| k)
}

/// Optimal string alignment distance: Levenshtein's insertions, deletions and
/// substitutions, plus a swap of two neighbouring characters, each one edit (what
/// `strsim::osa_distance` computes for the runtime).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d: Vec<Vec<usize>> = (0..=a.len())
        .map(|i| (0..=b.len()).map(|j| if i == 0 { j } else { i }).collect())
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// `; did you mean `x`?` when a key is close to `typo`, else nothing.
pub(crate) fn did_you_mean(typo: &str, accepted: &[&str]) -> String {
    closest(typo, accepted).map_or_else(String::new, |k| format!("; did you mean `{k}`?"))
}

#[cfg(test)]
mod tests {
    use super::closest;

    /// The same table as the runtime's `suggest.rs` test: the two copies of the rule agree.
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
                closest(typo, accepted),
                *expected,
                "{typo:?} among {accepted:?}"
            );
        }
    }

    /// The attributes' own key lists get the suggestions the table promises.
    #[test]
    fn the_attribute_keys_are_the_table_s() {
        assert_eq!(
            super::PLUGIN_KEYS,
            [
                "name",
                "crate",
                "lenient",
                "conformance",
                "rename_all",
                "validate",
                "example"
            ]
        );
        assert_eq!(
            super::CONFIG_KEYS,
            ["default", "rename", "unit", "required"]
        );
        // A typo of the new keys gets them.
        assert_eq!(closest("exmple", super::PLUGIN_KEYS), Some("example"));
        assert_eq!(closest("requried", super::CONFIG_KEYS), Some("required"));
    }
}
