//! [`Decoder`]: lays a config map over a plugin's defaults, key by key, gathering every
//! problem. The attribute macros' `from_config` drives it; hand-written [`PluginConfig`]
//! impls may too.
//!
//! [`PluginConfig`]: super::PluginConfig

use super::duration::{self, DurationUnit};
use crate::{ConfigError, ConfigProblem, ConfigProblemKind};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// Decodes the keys of one plugin config.
///
/// Built with the plugin's keys in field order; then each field is asked for by its index
/// (`value`, `duration`, `optional_duration`), which answers `None` when the key is absent
/// (or `null`) and the default applies; [`finish`](Self::finish) reports every problem.
///
/// ```
/// use pipeplug::config::{Decoder, DurationUnit};
/// use std::time::Duration;
///
/// let config = serde_json::json!({"Interval": "1m 30s", "count": 3});
/// let mut d = Decoder::new("metric_doc", &["interval", "count"], false, &config).unwrap();
/// let interval = d.duration(0, DurationUnit::Nanos).unwrap_or(Duration::from_secs(5));
/// let count: u32 = d.value(1, "u32").unwrap_or(10);
/// d.finish().unwrap();
/// assert_eq!((interval, count), (Duration::from_secs(90), 3));
/// ```
#[derive(Debug)]
pub struct Decoder<'a> {
    plugin: &'static str,
    keys: &'static [&'static str],
    /// Per field: the key as the config spells it, and its value.
    given: Vec<Option<(&'a str, &'a Value)>>,
    problems: Vec<ConfigProblem>,
}

impl<'a> Decoder<'a> {
    /// Matches the keys of `config` to the plugin's `keys`: exactly, else
    /// case-insensitively (Go's `encoding/json`). An unknown key is a problem, or with
    /// `lenient` a warning. Two spellings of one key (`interval` and `Interval`) are a
    /// problem.
    ///
    /// # Errors
    /// `config` is neither a map nor `null` (`null` means "every default").
    pub fn new(
        plugin: &'static str,
        keys: &'static [&'static str],
        lenient: bool,
        config: &'a Value,
    ) -> Result<Self, ConfigError> {
        let mut decoder = Self {
            plugin,
            keys,
            given: vec![None; keys.len()],
            problems: Vec::new(),
        };
        let map = match config {
            Value::Null => return Ok(decoder),
            Value::Object(map) => map,
            other => {
                let found = match other {
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::String(_) => "a string",
                    _ => "a list",
                };
                return Err(ConfigError::new(
                    plugin,
                    "",
                    ConfigProblemKind::NotAMap {
                        found: found.to_owned(),
                    },
                ));
            }
        };
        for (key, value) in map {
            let Some(index) = decoder.index_of(key) else {
                decoder.unknown(key, lenient);
                continue;
            };
            match decoder.given[index] {
                Some((other, _)) => decoder.problem(
                    key,
                    ConfigProblemKind::DuplicateKey {
                        other: other.to_owned(),
                    },
                ),
                None => decoder.given[index] = Some((key.as_str(), value)),
            }
        }
        Ok(decoder)
    }

    fn index_of(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| *k == key).or_else(|| {
            self.keys
                .iter()
                .position(|k| k.eq_ignore_ascii_case(key) || k.to_lowercase() == key.to_lowercase())
        })
    }

    fn unknown(&mut self, key: &str, lenient: bool) {
        if lenient {
            tracing::warn!(plugin = self.plugin, key, "unknown config key ignored");
            return;
        }
        let closest = crate::suggest::closest(key, self.keys.iter().copied()).map(str::to_owned);
        let accepted = self.keys.iter().map(|k| (*k).to_owned()).collect();
        self.problem(key, ConfigProblemKind::UnknownKey { accepted, closest });
    }

    fn problem(&mut self, path: &str, kind: ConfigProblemKind) {
        self.problems.push(ConfigProblem {
            path: path.to_owned(),
            kind,
        });
    }

    fn take(&mut self, index: usize) -> Option<(&'a str, &'a Value)> {
        self.given.get_mut(index).and_then(Option::take)
    }

    /// The field at `index`, decoded with serde; `type_name` says what it takes in messages.
    ///
    /// `None` when the key is absent, when its value is `null` and the type takes no `null`
    /// (Go leaves the field as it was), and when the value is invalid (then a problem is
    /// recorded with serde's reason and the full key path, such as `Fields.a`).
    pub fn value<T: DeserializeOwned>(&mut self, index: usize, type_name: &str) -> Option<T> {
        let (key, value) = self.take(index)?;
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Some(v),
            Err(_) if value.is_null() => None,
            Err(e) => {
                let inner = e.path().to_string();
                let path = if inner == "." || inner.is_empty() {
                    key.to_owned()
                } else if inner.starts_with('[') {
                    format!("{key}{inner}")
                } else {
                    format!("{key}.{inner}")
                };
                self.problem(
                    &path,
                    ConfigProblemKind::Invalid {
                        expected: format!("`{type_name}`"),
                        reason: e.into_inner().to_string(),
                    },
                );
                None
            }
        }
    }

    /// The [`Duration`] field at `index`: a humantime string, or an integer of `unit`.
    /// `None` when absent or `null`, or invalid (a problem keeping humantime's reason).
    pub fn duration(&mut self, index: usize, unit: DurationUnit) -> Option<Duration> {
        let (key, value) = self.take(index)?;
        if value.is_null() {
            return None;
        }
        self.checked_duration(key, value, unit, false)
    }

    /// The `Option<Duration>` field at `index`: as [`duration`](Self::duration), and `null`
    /// is `Some(None)`.
    pub fn optional_duration(
        &mut self,
        index: usize,
        unit: DurationUnit,
    ) -> Option<Option<Duration>> {
        let (key, value) = self.take(index)?;
        if value.is_null() {
            return Some(None);
        }
        self.checked_duration(key, value, unit, true).map(Some)
    }

    fn checked_duration(
        &mut self,
        key: &str,
        value: &Value,
        unit: DurationUnit,
        optional: bool,
    ) -> Option<Duration> {
        match duration::decode(value, unit) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.problem(
                    key,
                    ConfigProblemKind::Invalid {
                        expected: duration::expected(unit, optional),
                        reason,
                    },
                );
                None
            }
        }
    }

    /// Every problem found, or `Ok` when there is none.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the plugin and listing every problem.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                plugin: self.plugin.to_owned(),
                problems: self.problems,
            })
        }
    }
}
