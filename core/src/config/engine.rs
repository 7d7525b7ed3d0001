//! Engine keys: the keys of a plugin's entry that the engine reads, not the plugin.
//!
//! A pipeline file's plugin entry holds the plugin's own keys, and a few that belong to the
//! engine running it (as iLogtail's plugin runner reads them):
//!
//! | key | kinds | what the engine does with it |
//! |---|---|---|
//! | `IntervalMs` | metric input | the collection interval, when the plugin's `init` returns zero (an integer of milliseconds, or a duration such as `"500ms"`) |
//! | `Delivery` | flusher | the delivery settings: retries of a failed `flush`/`export` and what to do when the flusher falls behind ([`DeliveryConfig`]) |
//!
//! Every plugin of those kinds accepts its kind's engine keys without declaring a field for
//! them: the macro-generated decoder (and any [`Decoder`](super::Decoder) built with
//! [`DecoderOptions::engine_keys`](super::DecoderOptions::engine_keys)) checks their value
//! and otherwise leaves them to the engine, so `check`, `run` and the test harnesses accept
//! the same entries. A plugin that declares a field of the same name gets the value too
//! (except `Delivery`, which the engine takes out of a flusher's entry and a flusher cannot
//! declare).
//! [`all`] and [`keys_of`] give the table above, for docs and tools (`pipeplug doc` lists
//! them).
//!
//! ```
//! use pipeplug::config::engine;
//! use pipeplug::registry::PluginKind;
//! use std::time::Duration;
//!
//! let keys: Vec<&str> = engine::keys_of(PluginKind::MetricInput).iter().map(|k| k.key).collect();
//! assert_eq!(keys, ["IntervalMs"]);
//! let entry = serde_json::json!({"intervalms": 500, "Target": "x"});
//! assert_eq!(engine::interval(&entry), Some(Duration::from_millis(500)));
//! ```

use super::delivery::{DeliveryConfig, DELIVERY_KEY};
use super::duration::{self, DurationUnit};
use crate::kind::PluginKind;
use crate::{ConfigProblem, ConfigProblemKind};
use serde_json::Value;
use std::time::Duration;

pub use super::field::EngineKey;

/// The key of a metric input's interval (see the module docs).
pub const INTERVAL_MS: &str = "IntervalMs";

/// A metric input's engine keys.
static METRIC_INPUT_KEYS: [EngineKey; 1] = [EngineKey {
    key: INTERVAL_MS,
    kind: PluginKind::MetricInput,
    type_name: "integer (ms) or duration",
    doc: "The collection interval, used when the plugin's `init` returns zero; without it, \
          `global.InputIntervalMs`. Kept within 1 ms ..= a year.",
    check: check_interval,
}];

/// A flusher's engine keys.
static FLUSHER_KEYS: [EngineKey; 1] = [EngineKey {
    key: DELIVERY_KEY,
    kind: PluginKind::Flusher,
    type_name: "map",
    doc: "Delivery settings: `Policy` (`block` or `drop_newest`), `MaxRetries` (5), \
          `RetryInitialDelay` (100ms), `RetryMaxDelay` (5s).",
    check: check_delivery,
}];

/// The engine keys of `kind`'s entries (what [`DecoderOptions::engine_keys`] takes).
///
/// [`DecoderOptions::engine_keys`]: super::DecoderOptions::engine_keys
#[must_use]
pub fn keys_of(kind: PluginKind) -> &'static [EngineKey] {
    match kind {
        PluginKind::MetricInput => &METRIC_INPUT_KEYS,
        PluginKind::Flusher => &FLUSHER_KEYS,
        PluginKind::ServiceInput
        | PluginKind::Processor
        | PluginKind::Aggregator
        | PluginKind::Extension => &[],
    }
}

/// Every engine key (the table of the module docs).
pub fn all() -> impl Iterator<Item = &'static EngineKey> {
    PluginKind::ALL.into_iter().flat_map(keys_of)
}

/// The engine key of `kind` spelled `key` (in any case), if there is one.
#[must_use]
pub fn find(kind: PluginKind, key: &str) -> Option<&'static EngineKey> {
    keys_of(kind)
        .iter()
        .find(|k| k.key.eq_ignore_ascii_case(key))
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

fn check_interval(value: &Value) -> Vec<ConfigProblem> {
    if value.is_null() {
        return Vec::new();
    }
    match duration::decode(value, DurationUnit::Millis) {
        Ok(_) => Vec::new(),
        Err(reason) => vec![ConfigProblem {
            path: INTERVAL_MS.to_owned(),
            kind: ConfigProblemKind::Invalid {
                expected: duration::expected(DurationUnit::Millis, false),
                reason,
            },
        }],
    }
}

fn check_delivery(value: &Value) -> Vec<ConfigProblem> {
    DeliveryConfig::decode(value).err().unwrap_or_default()
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
        assert!(key.check("intervalms", &json!(500)).is_empty());
        let problems = key.check("intervalms", &json!("soon"));
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .to_string()
                .starts_with("key `intervalms`: expected"),
            "{}",
            problems[0]
        );
        assert!(find(PluginKind::Processor, "IntervalMs").is_none());
    }

    #[test]
    fn delivery_is_checked_key_by_key() {
        let key = find(PluginKind::Flusher, "delivery").expect("an engine key");
        assert!(key.check("Delivery", &json!({"MaxRetries": 1})).is_empty());
        let problems: Vec<String> = key
            .check("delivery", &json!({"Policy": 1, "MaxRetry": 2}))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("key `delivery.MaxRetry`: unknown key")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("key `delivery.Policy`: expected `block`")),
            "{problems:?}"
        );
    }
}
