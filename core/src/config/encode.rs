//! [`Encoder`]: a plugin's config fields back to JSON (what `to_config` returns, and what
//! docs show as defaults).

use super::duration;
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// Builds the JSON map of a plugin's config, key by key, in field order.
///
/// ```
/// use pipeplug::config::Encoder;
/// use std::time::Duration;
///
/// let mut e = Encoder::new();
/// e.duration("interval", &Duration::from_secs(90));
/// e.value("count", &3);
/// assert_eq!(e.finish(), serde_json::json!({"interval": "1m 30s", "count": 3}));
/// ```
#[derive(Debug, Default)]
pub struct Encoder {
    map: Map<String, Value>,
}

impl Encoder {
    /// An empty map.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `key` with `value` serialized by serde. A value serde cannot represent as JSON (a
    /// map with non-string keys, ...) becomes `null`, with a warning.
    pub fn value<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        let v = serde_json::to_value(value).unwrap_or_else(|e| {
            tracing::warn!(key, error = %e, "config value cannot be written as JSON");
            Value::Null
        });
        self.map.insert(key.to_owned(), v);
    }

    /// `key` with a duration as a humantime string (`"1m 30s"`).
    pub fn duration(&mut self, key: &str, value: &Duration) {
        self.map
            .insert(key.to_owned(), Value::String(duration::format(*value)));
    }

    /// `key` with an optional duration: a humantime string or `null`.
    pub fn optional_duration(&mut self, key: &str, value: &Option<Duration>) {
        let v = value.map_or(Value::Null, |d| Value::String(duration::format(d)));
        self.map.insert(key.to_owned(), v);
    }

    /// The map.
    #[must_use]
    pub fn finish(self) -> Value {
        Value::Object(self.map)
    }
}
