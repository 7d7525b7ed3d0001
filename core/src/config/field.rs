//! [`ConfigField`]: what a plugin's descriptor says of one config key.

/// One config key of a plugin, for docs and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ConfigField {
    /// The key as written in configs (`interval`, `IgnoreIfExist`).
    pub key: &'static str,
    /// The Rust type (`Duration`, `Vec<String>`).
    pub type_name: &'static str,
    /// The default as written in the source (`"5s"`), `None` for `Default::default()`.
    pub default: Option<&'static str>,
    /// The field's doc comment.
    pub doc: &'static str,
    /// For durations, the unit of a bare integer (`ns`, the Go default, or what the field
    /// declares, such as `ms` for iLogtail's `IntervalMs` keys); `None` for other types.
    pub unit: Option<&'static str>,
    /// Whether the config must give the key (`#[config(required)]`): it has no default, and
    /// a config without it does not decode (``key `SourceKey` is required``).
    pub required: bool,
}
