//! Engine keys: the keys of a plugin's entry that the engine reads, not the plugin.
//!
//! A pipeline file's plugin entry holds the plugin's own keys, and a few that belong to the
//! engine running it (as iLogtail's plugin runner reads them):
//!
//! | key | kinds | what the engine does with it |
//! |---|---|---|
//! | `IntervalMs` | metric input | the collection interval, when the plugin's `init` returns zero (an integer of milliseconds, or a duration such as `"500ms"`) |
//!
//! Every plugin of those kinds accepts its kind's engine keys without declaring a field for
//! them: the macro-generated decoder (and any [`Decoder`](super::Decoder) built with
//! [`DecoderOptions::engine_keys`](super::DecoderOptions::engine_keys)) checks their value
//! and otherwise leaves them to the engine, so `check`, `run` and the test harnesses accept
//! the same entries. A plugin that declares a field of the same name gets the value too.
//! [`ENGINE_KEYS`] is the table above, for docs and tools (`pipeplug doc` lists them).
//!
//! ```
//! use pipeplug::config::engine;
//! use pipeplug::registry::PluginKind;
//! use std::time::Duration;
//!
//! let keys: Vec<&str> = engine::keys_of(PluginKind::MetricInput).map(|k| k.key).collect();
//! assert_eq!(keys, ["IntervalMs"]);
//! let entry = serde_json::json!({"intervalms": 500, "Target": "x"});
//! assert_eq!(engine::interval(&entry), Some(Duration::from_millis(500)));
//! ```

use super::duration::{self, DurationUnit};
use crate::kind::PluginKind;
use crate::ConfigProblemKind;
use serde_json::Value;
use std::time::Duration;

/// One key the engine reads from a plugin's entry.
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
    /// Checks a value; the problem is reported at the key.
    check: fn(&Value) -> Result<(), ConfigProblemKind>,
}

impl EngineKey {
    /// Checks `value` as the engine will read it.
    ///
    /// # Errors
    /// What is wrong with it, to be reported at the key.
    pub fn check(&self, value: &Value) -> Result<(), ConfigProblemKind> {
        (self.check)(value)
    }
}

/// The key of a metric input's interval (see the module docs).
pub const INTERVAL_MS: &str = "IntervalMs";

/// Every engine key (see the module docs).
pub static ENGINE_KEYS: &[EngineKey] = &[EngineKey {
    key: INTERVAL_MS,
    kind: PluginKind::MetricInput,
    type_name: "integer (ms) or duration",
    doc: "The collection interval, used when the plugin's `init` returns zero; without it, \
          `global.InputIntervalMs`. Kept within 1 ms ..= a year.",
    check: check_interval,
}];

/// The engine keys of `kind`'s entries.
pub fn keys_of(kind: PluginKind) -> impl Iterator<Item = &'static EngineKey> {
    ENGINE_KEYS.iter().filter(move |k| k.kind == kind)
}

/// The engine key of `kind` spelled `key` (in any case), if there is one.
#[must_use]
pub fn find(kind: PluginKind, key: &str) -> Option<&'static EngineKey> {
    keys_of(kind).find(|k| k.key.eq_ignore_ascii_case(key))
}

/// The value of `key` in a plugin's entry (`config`): the exact spelling first, else any
/// case; `None` when absent or `null`.
fn lookup<'v>(config: &'v Value, key: &str) -> Option<&'v Value> {
    let map = config.as_object()?;
    map.get(key)
        .or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

/// A metric input's `IntervalMs` in its entry `config`, as the engine reads it; `None` when
/// absent, `null` or invalid (an invalid one is reported when the plugin's config decodes).
#[must_use]
pub fn interval(config: &Value) -> Option<Duration> {
    lookup(config, INTERVAL_MS).and_then(|v| duration::decode(v, DurationUnit::Millis).ok())
}

fn check_interval(value: &Value) -> Result<(), ConfigProblemKind> {
    if value.is_null() {
        return Ok(());
    }
    duration::decode(value, DurationUnit::Millis)
        .map(|_| ())
        .map_err(|reason| ConfigProblemKind::Invalid {
            expected: duration::expected(DurationUnit::Millis, false),
            reason,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn interval_takes_milliseconds_or_a_duration_in_any_case() {
        assert_eq!(
            interval(&json!({"IntervalMs": 250})),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            interval(&json!({"intervalMS": "2s"})),
            Some(Duration::from_secs(2))
        );
        assert_eq!(interval(&json!({"IntervalMs": null})), None);
        assert_eq!(interval(&json!({"Other": 1})), None);
        assert_eq!(interval(&Value::Null), None);
    }

    #[test]
    fn a_bad_interval_is_a_problem_with_the_reason() {
        let key = find(PluginKind::MetricInput, "intervalms").expect("an engine key");
        assert!(key.check(&json!(500)).is_ok());
        let err = key.check(&json!("soon")).expect_err("not a duration");
        assert!(err.to_string().contains("duration"), "{err}");
        assert!(find(PluginKind::Processor, "IntervalMs").is_none());
    }
}
