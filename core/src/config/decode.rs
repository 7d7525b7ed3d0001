//! [`Decoder`]: lays a config map over defaults, key by key, gathering every problem. The
//! attribute macros' `from_config` drives it; hand-written [`PluginConfig`] impls may too,
//! and so do [`GlobalConfig`](crate::GlobalConfig) and the agent's own files, so that every
//! file matches keys and reports unknown ones in the same way.
//!
//! [`PluginConfig`]: super::PluginConfig

use super::duration::{self, DurationUnit};
use super::field::EngineKey;
use crate::{ConfigError, ConfigProblem, ConfigProblemKind};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::time::Duration;

/// Decodes the keys of one config map: a plugin's config, or a section of a host's own
/// file (the agent's pipeline files and `external_plugins.yml` go through it too).
///
/// Built with the accepted keys in field order; then each field is asked for by its index
/// (`value`, `duration`, `optional_duration`, `raw`), which answers `None` when the key is
/// absent (or `null`) and the default applies; [`finish`](Self::finish) reports every
/// problem.
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
    subject: String,
    keys: &'a [&'a str],
    /// Per field: the key as the config spells it, and its value.
    given: Vec<Option<(&'a str, &'a Value)>>,
    /// Keys matched by no field, when they are kept (see [`DecoderOptions::keep_unknown`]).
    rest: Vec<(&'a str, &'a Value)>,
    /// Keys accepted and ignored, as written.
    ignored: Vec<String>,
    /// Per field: whether the config gives it a value other than `null`.
    present: Vec<bool>,
    problems: Vec<ConfigProblem>,
}

/// How a [`Decoder`] treats the keys it has no field for; built by [`Decoder::options`].
///
/// ```
/// use pipeplug::config::Decoder;
///
/// // A plugin entry of a pipeline file: `Type`, and the plugin's parameters beside it.
/// let entry = serde_json::json!({"Type": "processor_rename", "SourceKeys": ["a"]});
/// let mut d = Decoder::options("processors[0]", &["Type"]).keep_unknown().decode(&entry).unwrap();
/// let name: Option<String> = d.value(0, "string");
/// let params = d.take_rest();
/// assert!(d.into_problems().is_empty());
/// assert_eq!(name.as_deref(), Some("processor_rename"));
/// assert_eq!(params["SourceKeys"], serde_json::json!(["a"]));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct DecoderOptions<'a> {
    subject: String,
    keys: &'a [&'a str],
    lenient: bool,
    keep_unknown: bool,
    ignored: &'a [&'a str],
    explained: &'a [(&'a str, &'a str)],
    engine: &'a [EngineKey],
}

impl<'a> DecoderOptions<'a> {
    /// Unknown keys are warnings (logged with the subject), not problems, as Go's
    /// `encoding/json` ignores them.
    pub fn lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }

    /// Unknown keys are neither problems nor warnings: they are handed back by
    /// [`Decoder::take_rest`] (a plugin entry's parameters, beside its `Type`).
    pub fn keep_unknown(mut self) -> Self {
        self.keep_unknown = true;
        self
    }

    /// Keys accepted and ignored (matched without regard to case), listed by
    /// [`Decoder::ignored`] for the caller to warn about: settings of another
    /// implementation that have no meaning here.
    pub fn ignore(mut self, keys: &'a [&'a str]) -> Self {
        self.ignored = keys;
        self
    }

    /// Accepts the [engine keys](super::engine) `keys` (those of a plugin's kind,
    /// [`engine::keys_of`](super::engine::keys_of): a metric input's `IntervalMs`) without a
    /// field for them: their value is checked as the engine reads it, and they are listed
    /// among the accepted keys in messages. A field of the same name takes precedence. The
    /// macro-generated decoders set it.
    pub fn engine_keys(mut self, keys: &'a [EngineKey]) -> Self {
        self.engine = keys;
        self
    }

    /// Keys that are errors with a message of their own instead of "unknown key" (matched
    /// without regard to case): the form another tool writes, and what to write instead.
    pub fn explain(mut self, keys: &'a [(&'a str, &'a str)]) -> Self {
        self.explained = keys;
        self
    }

    /// Matches the keys of `config` to the accepted keys: exactly, else
    /// case-insensitively (Go's `encoding/json`). A key matched by none is, in this order:
    /// explained, ignored, kept, a warning (lenient) or an unknown-key problem. Two
    /// spellings of one key (`interval` and `Interval`) are a problem.
    ///
    /// # Errors
    /// `config` is neither a map nor `null` (`null` means "every default"); the error
    /// names the subject.
    pub fn decode(self, config: &'a Value) -> Result<Decoder<'a>, ConfigError> {
        let mut decoder = Decoder {
            subject: self.subject.clone(),
            keys: self.keys,
            given: vec![None; self.keys.len()],
            rest: Vec::new(),
            ignored: Vec::new(),
            present: vec![false; self.keys.len()],
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
                    decoder.subject,
                    "",
                    ConfigProblemKind::NotAMap {
                        found: found.to_owned(),
                    },
                ));
            }
        };
        for (key, value) in map {
            match decoder.index_of(key) {
                Some(index) => decoder.given_key(index, key, value),
                None => self.unmatched(&mut decoder, key, value),
            }
        }
        Ok(decoder)
    }

    fn unmatched(&self, decoder: &mut Decoder<'a>, key: &'a str, value: &'a Value) {
        if let Some((_, message)) = self
            .explained
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            decoder.report(key, ConfigProblemKind::Custom((*message).to_owned()));
        } else if let Some(engine_key) =
            self.engine.iter().find(|k| k.key.eq_ignore_ascii_case(key))
        {
            decoder.problems.extend(engine_key.check(key, value));
        } else if self.ignored.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            decoder.ignored.push(key.to_owned());
        } else if self.keep_unknown {
            decoder.rest.push((key, value));
        } else if self.lenient {
            tracing::warn!(plugin = %decoder.subject, key, "unknown config key ignored");
        } else {
            let engine_keys = self.engine.iter();
            let accepted: Vec<&str> = decoder
                .keys
                .iter()
                .copied()
                .chain(
                    engine_keys
                        .map(|k| k.key)
                        .filter(|k| !decoder.keys.iter().any(|d| d.eq_ignore_ascii_case(k))),
                )
                .collect();
            let closest = crate::suggest::closest(key, accepted.iter().copied()).map(str::to_owned);
            let accepted = accepted.into_iter().map(str::to_owned).collect();
            decoder.report(key, ConfigProblemKind::UnknownKey { accepted, closest });
        }
    }
}

impl<'a> Decoder<'a> {
    /// Matches the keys of `config` to the plugin's `keys`: exactly, else
    /// case-insensitively (Go's `encoding/json`). An unknown key is a problem, or with
    /// `lenient` a warning. Two spellings of one key (`interval` and `Interval`) are a
    /// problem. The same as `Decoder::options(plugin, keys).lenient(lenient).decode(config)`.
    ///
    /// # Errors
    /// `config` is neither a map nor `null` (`null` means "every default").
    pub fn new(
        plugin: &str,
        keys: &'a [&'a str],
        lenient: bool,
        config: &'a Value,
    ) -> Result<Self, ConfigError> {
        Self::options(plugin, keys).lenient(lenient).decode(config)
    }

    /// Options for a decoder of the map `subject` (a plugin's name, or what a host calls the
    /// map: `global`, `plugins.common[1]`), which accepts `keys`. By default an unknown key
    /// is a problem.
    pub fn options(subject: impl Into<String>, keys: &'a [&'a str]) -> DecoderOptions<'a> {
        DecoderOptions {
            subject: subject.into(),
            keys,
            lenient: false,
            keep_unknown: false,
            ignored: &[],
            explained: &[],
            engine: &[],
        }
    }

    fn index_of(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| *k == key).or_else(|| {
            self.keys
                .iter()
                .position(|k| k.eq_ignore_ascii_case(key) || k.to_lowercase() == key.to_lowercase())
        })
    }

    fn given_key(&mut self, index: usize, key: &'a str, value: &'a Value) {
        match self.given[index] {
            Some((other, _)) => self.report(
                key,
                ConfigProblemKind::DuplicateKey {
                    other: other.to_owned(),
                },
            ),
            None => {
                self.given[index] = Some((key, value));
                self.present[index] = !value.is_null();
            }
        }
    }

    /// Records that the field at `index` is required (`#[config(required)]`): when the
    /// config does not give it (or gives `null`), a problem ``key `SourceKey` is required``
    /// (named by its declared key). Call it whatever the order of the other calls.
    ///
    /// ```
    /// use pipeplug::config::Decoder;
    ///
    /// let config = serde_json::json!({"Other": 1});
    /// let mut d = Decoder::new("processor_doc", &["SourceKey", "Other"], false, &config).unwrap();
    /// d.required(0);
    /// let err = d.finish().unwrap_err();
    /// assert_eq!(err.to_string(), "plugin `processor_doc`: key `SourceKey` is required");
    /// ```
    pub fn required(&mut self, index: usize) {
        if !self.present.get(index).copied().unwrap_or(true) {
            let key = self.keys.get(index).copied().unwrap_or_default();
            self.report(key, ConfigProblemKind::Required);
        }
    }

    /// Records a problem of the caller's own about `path` (a key as written, or a path
    /// into its value such as `Fields.a`; empty for the map as a whole), reported with the
    /// others.
    pub fn report(&mut self, path: impl Into<String>, kind: ConfigProblemKind) {
        self.problems.push(ConfigProblem {
            path: path.into(),
            kind,
        });
    }

    /// The field at `index` as given, with its key as written, for a value the caller
    /// checks itself; `None` when absent (`null` is returned as given).
    pub fn raw(&mut self, index: usize) -> Option<(&'a str, &'a Value)> {
        self.take(index)
    }

    /// The keys matched by no field, in their order, when the options keep them (empty
    /// otherwise).
    pub fn take_rest(&mut self) -> Map<String, Value> {
        std::mem::take(&mut self.rest)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect()
    }

    /// The keys accepted and ignored (see [`DecoderOptions::ignore`]), as written.
    #[must_use]
    pub fn ignored(&self) -> &[String] {
        &self.ignored
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
                self.report(
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
                self.report(
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
    /// A [`ConfigError`] naming the subject (the plugin) and listing every problem.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                plugin: self.subject,
                problems: self.problems,
            })
        }
    }

    /// Every problem found, for a host that reports them in its own terms (with its file
    /// and position).
    #[must_use]
    pub fn into_problems(self) -> Vec<ConfigProblem> {
        self.problems
    }
}
