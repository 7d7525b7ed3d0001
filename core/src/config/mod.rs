//! Plugin config decoding: [`PluginConfig`], which the attribute macros implement.
//!
//! A plugin's config is decoded the way iLogtail's Go `encoding/json` does it, minus the
//! silent failures: the plugin starts from its defaults and the given keys are laid over
//! them; keys match exactly, then case-insensitively (`Interval` sets `interval`); an unknown
//! key is an error that names the accepted keys and the closest one, unless the plugin is
//! lenient; durations take humantime strings (`"5s"`, `"1m 30s"`) or integers in the field's
//! unit.
//!
//! The macros generate [`PluginConfig`] with a [`Decoder`] (config → plugin) and an
//! [`Encoder`] (plugin → config); both are public for hand-written impls. A nested struct
//! that serde decodes inside a config takes durations the same way with
//! `#[serde(with = "pipeplug::config::serde_duration")]` ([`serde_duration`]).

mod decode;
pub mod delivery;
mod duration;
mod encode;
pub mod engine;
mod field;
pub mod serde_duration;
mod strict_json;
mod yaml;

pub use decode::{Decoder, DecoderOptions};
pub(crate) use duration::describe as describe_value;
pub use duration::{format as format_duration, DurationUnit};
pub use encode::Encoder;
pub use field::{ConfigField, EngineKey};
pub use strict_json::json_to_value_strict;
pub use yaml::{yaml_to_json, YamlError};

use crate::ConfigError;
use serde::Deserializer;

/// A plugin config: decoded from any serde format onto the plugin's defaults.
///
/// Implemented by the attribute macros; implement it by hand only for hand-registered
/// plugins.
pub trait PluginConfig: Sized {
    /// The plugin's registered name, used in error messages.
    const NAME: &'static str;
    /// The config keys, for docs.
    const FIELDS: &'static [ConfigField];
    /// An example config in YAML (the plugin's own keys, such as `SourceKey: content`),
    /// giving every required key: `example = "..."` in the attribute. Docs show it and the
    /// conformance tests build the plugin from it.
    const EXAMPLE: Option<&'static str> = None;

    /// Decodes a config value; `null` means "every default".
    ///
    /// # Errors
    /// Every problem found: unknown keys, values of the wrong type, bad durations.
    fn from_config(config: &serde_json::Value) -> Result<Self, ConfigError>;

    /// The config part of the plugin as JSON (durations as humantime strings).
    fn to_config(&self) -> serde_json::Value;

    /// Decodes from any serde format.
    ///
    /// # Errors
    /// The input is not valid in its format, or as in [`from_config`](Self::from_config).
    fn from_deserializer<'de, D: Deserializer<'de>>(d: D) -> Result<Self, ConfigError> {
        let value: serde_json::Value = serde::Deserialize::deserialize(d).map_err(|e| {
            ConfigError::new(
                Self::NAME,
                "",
                crate::ConfigProblemKind::Custom(format!("not a valid config: {e}")),
            )
        })?;
        Self::from_config(&value)
    }

    /// Decodes a JSON text.
    ///
    /// # Errors
    /// As [`from_deserializer`](Self::from_deserializer).
    fn from_json_str(s: &str) -> Result<Self, ConfigError> {
        let mut de = serde_json::Deserializer::from_str(s);
        Self::from_deserializer(&mut de)
    }

    /// Decodes a YAML text, strictly ([`yaml_to_json`]: a key given twice, `.nan` or `.inf`
    /// are errors; merge keys apply). An empty text means "every default".
    ///
    /// # Errors
    /// As [`from_deserializer`](Self::from_deserializer), and [`yaml_to_json`]'s errors.
    fn from_yaml_str(s: &str) -> Result<Self, ConfigError> {
        if s.trim().is_empty() {
            return Self::from_config(&serde_json::Value::Null);
        }
        let value = yaml_to_json(s).map_err(|e| {
            ConfigError::new(
                Self::NAME,
                e.path,
                crate::ConfigProblemKind::Custom(format!("not a valid config: {}", e.message)),
            )
        })?;
        Self::from_config(&value)
    }
}
