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

/// Every key of the plugin attributes, in the order messages list them.
pub(crate) const PLUGIN_KEYS: &[&str] = &[NAME, CRATE, LENIENT, CONFORMANCE, RENAME_ALL];

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
