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

/// Every key of the plugin attributes, in the order messages list them.
pub(crate) const PLUGIN_KEYS: &[&str] = &[NAME, CRATE, LENIENT, CONFORMANCE, RENAME_ALL, VALIDATE];

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

/// Every key of `#[config(...)]`.
pub(crate) const CONFIG_KEYS: &[&str] = &[DEFAULT, RENAME, UNIT];

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

/// The accepted key closest to a mistyped one, if it is close: a prefix of it or the other
/// way round, or at most a third of its letters away.
pub(crate) fn closest<'a>(typo: &str, accepted: &[&'a str]) -> Option<&'a str> {
    let within = (typo.chars().count() / 3).max(1);
    let prefix = |k: &str| k.starts_with(typo) || typo.starts_with(k);
    accepted
        .iter()
        .map(|k| (distance(typo, k), *k))
        .filter(|(d, k)| *d <= within || prefix(k))
        .min_by_key(|(d, k)| (!prefix(k), *d))
        .map(|(_, k)| k)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j] + 1).min(row[j + 1] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// `; did you mean `x`?` when a key is close to `typo`, else nothing.
pub(crate) fn did_you_mean(typo: &str, accepted: &[&str]) -> String {
    closest(typo, accepted).map_or_else(String::new, |k| format!("; did you mean `{k}`?"))
}

#[cfg(test)]
mod tests {
    use super::{closest, CONFIG_KEYS, PLUGIN_KEYS};

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(closest("lenent", PLUGIN_KEYS), Some("lenient"));
        assert_eq!(closest("rename", PLUGIN_KEYS), Some("rename_all"));
        assert_eq!(closest("defualt", CONFIG_KEYS), Some("default"));
        assert_eq!(closest("units", CONFIG_KEYS), Some("unit"));
        assert_eq!(closest("colour", PLUGIN_KEYS), None);
    }
}
