//! [`HarnessError`]: what a harness reports when a plugin misbehaves.

use crate::{BoxError, ConfigError, LookupError};
use std::time::Duration;

/// Why a harness call failed. Every variant names the plugin.
///
/// Test code usually `unwrap`s or `?`s it; the message says which plugin, which method and
/// what went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The config text is not valid JSON or YAML.
    #[error("plugin `{plugin}`: config is not valid {format}: {reason}")]
    ConfigText {
        /// The plugin.
        plugin: String,
        /// `JSON` or `YAML`.
        format: &'static str,
        /// The parser's words.
        reason: String,
    },
    /// The config does not decode.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The plugin is not in the registry, or the registry is broken.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// A plugin method returned an error.
    ///
    /// The message ends with the plugin's error and its whole chain (a test failure shows
    /// everything on one line), so `error` is not also returned by `source()`.
    #[error("plugin `{plugin}`: {method} failed: {}", crate::error_chain(&**error))]
    Plugin {
        /// The plugin.
        plugin: String,
        /// The method (`init`, `start`, ...).
        method: &'static str,
        /// The plugin's error.
        error: BoxError,
    },
    /// A plugin method panicked.
    #[error("plugin `{plugin}`: {method} panicked: {message}")]
    Panicked {
        /// The plugin.
        plugin: String,
        /// The method.
        method: &'static str,
        /// The panic message.
        message: String,
    },
    /// A plugin method did not return in time.
    #[error("plugin `{plugin}`: {method} did not return within {waited:?}{hint}")]
    Timeout {
        /// The plugin.
        plugin: String,
        /// The method.
        method: &'static str,
        /// How long the harness waited (real time).
        waited: Duration,
        /// What the plugin should do instead, or empty.
        hint: &'static str,
    },
    /// Threads the plugin started are still running after it stopped.
    #[error(
        "plugin `{plugin}`: {count} thread(s) still running after stop; \
         stop and join every thread in `stop` (a `Worker` does)"
    )]
    ThreadsLeft {
        /// The plugin.
        plugin: String,
        /// How many ([`Context::live_threads`](crate::Context::live_threads)).
        count: usize,
    },
    /// The harness was driven out of order (started twice, used after a failed start, ...).
    #[error("plugin `{plugin}`: {message}")]
    Misuse {
        /// The plugin.
        plugin: String,
        /// What was wrong.
        message: String,
    },
}

impl HarnessError {
    pub(crate) fn plugin(plugin: &str, method: &'static str, error: BoxError) -> Self {
        Self::Plugin {
            plugin: plugin.to_owned(),
            method,
            error,
        }
    }

    pub(crate) fn panicked(plugin: &str, method: &'static str, message: String) -> Self {
        Self::Panicked {
            plugin: plugin.to_owned(),
            method,
            message,
        }
    }

    pub(crate) fn timeout(
        plugin: &str,
        method: &'static str,
        waited: Duration,
        hint: &'static str,
    ) -> Self {
        Self::Timeout {
            plugin: plugin.to_owned(),
            method,
            waited,
            hint,
        }
    }

    pub(crate) fn misuse(plugin: &str, message: impl Into<String>) -> Self {
        Self::Misuse {
            plugin: plugin.to_owned(),
            message: message.into(),
        }
    }
}

/// The message of a caught panic, named as the engine names it.
pub(crate) use crate::runner::panic_message;
