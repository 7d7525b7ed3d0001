//! [`ConfigField`]: what a plugin's descriptor says of one config key; [`EngineKey`]: a key of a
//! plugin's entry that the engine reads (the table is [`engine`](super::engine)).

use crate::kind::PluginKind;
use crate::ConfigProblem;
use serde_json::Value;

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

/// One key the engine reads from a plugin's entry, beside the plugin's own keys (see
/// [`engine`](super::engine) for the table).
#[derive(Debug)]
pub struct EngineKey {
    /// The key as documented (matched without regard to case, as plugins' keys are).
    pub key: &'static str,
    /// The kind of plugin whose entries it belongs to.
    pub kind: PluginKind,
    /// What it takes, for docs (`integer (ms) or duration`).
    pub type_name: &'static str,
    /// What the engine does with it.
    pub doc: &'static str,
    /// Checks a value: its problems, with paths from the key (`Delivery.Policy`).
    pub(crate) check: fn(&Value) -> Vec<ConfigProblem>,
}

impl EngineKey {
    /// Checks `value` (given under the key spelled `written`) as the engine will read it:
    /// every problem, each with its path (`IntervalMs`, `Delivery.Policy`).
    #[must_use]
    pub fn check(&self, written: &str, value: &Value) -> Vec<ConfigProblem> {
        let mut problems = (self.check)(value);
        for p in &mut problems {
            // The checks name the key as documented; say it as the config wrote it.
            if let Some(rest) = p.path.strip_prefix(self.key) {
                p.path = format!("{written}{rest}");
            }
        }
        problems
    }
}
