//! Typed errors at the library's boundaries.

use crate::kind::{PluginKind, SourceLocation};
use std::fmt;

/// The error type of plugin methods: any error, boxed (`?` converts, and `"text".into()`
/// works).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A plugin config that does not decode: which plugin, and every problem found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("plugin `{plugin}`: {}", DisplayProblems(.problems))]
pub struct ConfigError {
    /// The plugin's registered name.
    pub plugin: String,
    /// What is wrong, one entry per key.
    pub problems: Vec<ConfigProblem>,
}

struct DisplayProblems<'a>(&'a [ConfigProblem]);

impl fmt::Display for DisplayProblems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl ConfigError {
    /// An error with one problem.
    pub fn new(
        plugin: impl Into<String>,
        path: impl Into<String>,
        kind: ConfigProblemKind,
    ) -> Self {
        Self {
            plugin: plugin.into(),
            problems: vec![ConfigProblem {
                path: path.into(),
                kind,
            }],
        }
    }
}

/// One thing wrong in a plugin config.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    /// The key path (`interval`, `Fields.a`); empty for the config as a whole.
    pub path: String,
    /// What is wrong.
    pub kind: ConfigProblemKind,
}

impl ConfigProblem {
    /// A problem found by a plugin's own check (`validate = "path"` in the attribute):
    /// `path` is the key it is about (empty for the config as a whole).
    ///
    /// ```
    /// let p = pipeplug::ConfigProblem::custom("DestKeys", "has 1 key, `SourceKeys` has 2");
    /// assert_eq!(p.to_string(), "key `DestKeys`: has 1 key, `SourceKeys` has 2");
    /// ```
    pub fn custom(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: ConfigProblemKind::Custom(message.into()),
        }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if matches!(self.kind, ConfigProblemKind::Required) && !self.path.is_empty() {
            return write!(f, "key `{}` is required", self.path);
        }
        if !self.path.is_empty() {
            write!(f, "key `{}`: ", self.path)?;
        }
        write!(f, "{}", self.kind)
    }
}

/// The kinds of [`ConfigProblem`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigProblemKind {
    /// A key the plugin does not have.
    #[error("{}", ConfigProblemKind::unknown_key_message(accepted, closest.as_deref()))]
    UnknownKey {
        /// Every key the plugin accepts.
        accepted: Vec<String>,
        /// The accepted key closest to the unknown one, if any is close.
        closest: Option<String>,
    },
    /// Two keys given for one field (`interval` and `Interval`).
    #[error("given twice, also as `{other}`")]
    DuplicateKey {
        /// The other spelling.
        other: String,
    },
    /// A value of the wrong type or form.
    #[error("expected {expected}: {reason}")]
    Invalid {
        /// What the field takes (`a duration such as "5s" or an integer of nanoseconds`).
        expected: String,
        /// Why the value was rejected (serde's or humantime's own words).
        reason: String,
    },
    /// The config is not a map of keys.
    #[error("expected a map of keys, found {found}")]
    NotAMap {
        /// What was found (`a string`, `a list`, ...).
        found: String,
    },
    /// A key the plugin requires (`#[config(required)]`) is absent or `null`. With its
    /// path, a problem reads ``key `SourceKey` is required``.
    #[error("required, and not given")]
    Required,
    /// A check of the plugin's own failed.
    #[error("{0}")]
    Custom(String),
}

impl ConfigProblemKind {
    /// The message of [`UnknownKey`](Self::UnknownKey) for `accepted` and `closest`, for a
    /// host that checks keys of its own (the agent's pipeline files) and says it in the same
    /// words.
    ///
    /// ```
    /// use pipeplug::ConfigProblemKind;
    /// let accepted = ["interval".to_owned(), "timeout".to_owned()];
    /// assert_eq!(
    ///     ConfigProblemKind::unknown_key_message(&accepted, Some("interval")).to_string(),
    ///     "unknown key, did you mean `interval`?; accepted keys: `interval`, `timeout`"
    /// );
    /// assert_eq!(
    ///     ConfigProblemKind::unknown_key_message(&[], None).to_string(),
    ///     "unknown key; accepted keys: none"
    /// );
    /// ```
    pub fn unknown_key_message<'a>(
        accepted: &'a [String],
        closest: Option<&'a str>,
    ) -> impl fmt::Display + 'a {
        UnknownKeyMessage { accepted, closest }
    }
}

struct UnknownKeyMessage<'a> {
    accepted: &'a [String],
    closest: Option<&'a str>,
}

impl fmt::Display for UnknownKeyMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown key")?;
        if let Some(c) = self.closest {
            write!(f, ", did you mean `{c}`?")?;
        }
        f.write_str("; accepted keys: ")?;
        if self.accepted.is_empty() {
            return f.write_str("none");
        }
        for (i, k) in self.accepted.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{k}`")?;
        }
        Ok(())
    }
}

/// A broken plugin registry: two plugins of one kind share a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Two registrations of one name.
    #[error("{kind} plugin `{name}` is registered twice: by {first} and by {second}")]
    Duplicate {
        /// The kind.
        kind: PluginKind,
        /// The name.
        name: String,
        /// Where the first came from.
        first: SourceLocation,
        /// Where the second came from.
        second: SourceLocation,
    },
}

/// A plugin type string that does not parse (`name`, `name/id`, `name/id#priority`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeStringError {
    /// `""`.
    #[error("empty plugin type")]
    Empty,
    /// `/x` or `#1`.
    #[error("plugin type `{0}` has no name before `/` or `#`")]
    EmptyName(String),
    /// `a//b` or `a/`.
    #[error("plugin type `{0}` has an empty ID after a `/`")]
    EmptyId(String),
    /// `a/b/c/d`.
    #[error("plugin type `{0}` has too many `/` parts (at most `name/id/seq`)")]
    TooManyParts(String),
    /// `a#b#c`.
    #[error("plugin type `{0}` has more than one `#`")]
    TooManyHashes(String),
    /// A control character, such as NUL or a newline.
    #[error("plugin type {0:?} has a control character ({1:?})")]
    BadCharacter(String, char),
    /// `a#x`.
    #[error("plugin type `{0}`: priority `{1}` is not an integer")]
    BadPriority(String, String),
}

/// A plugin that cannot be found or created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LookupError {
    /// The type string does not parse.
    #[error(transparent)]
    TypeString(#[from] TypeStringError),
    /// No plugin of that kind and name.
    #[error("unknown {kind} plugin `{name}`{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    Unknown {
        /// The kind looked in.
        kind: PluginKind,
        /// The name looked for.
        name: String,
        /// The closest registered name of that kind, if any is close.
        suggestion: Option<String>,
    },
    /// The registry is broken.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The config does not decode.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A checkpoint that could not be saved or read.
///
/// The message names the key; the cause is its [`source`](std::error::Error::source) (print
/// the whole chain with [`error_chain`]).
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The store failed.
    #[error("checkpoint `{key}`: the store failed")]
    Store {
        /// The key.
        key: String,
        /// The store's error.
        source: BoxError,
    },
    /// The value is not valid JSON of the requested type.
    #[error("checkpoint `{key}`: the value is not JSON of the requested type")]
    Json {
        /// The key.
        key: String,
        /// serde_json's error.
        source: serde_json::Error,
    },
}

/// An extension that could not be found or created.
///
/// The message names the extension; the cause, if any, is its
/// [`source`](std::error::Error::source) (print the whole chain with [`error_chain`]).
#[derive(Debug, thiserror::Error)]
pub enum ExtensionError {
    /// `type/id` not declared in the pipeline.
    #[error("extension `{name}` is not declared in the pipeline")]
    NotDeclared {
        /// The name asked for.
        name: String,
    },
    /// A bare name not declared in the pipeline, and the context has no
    /// [`ExtensionFactory`](crate::ExtensionFactory) to create it with.
    #[error(
        "extension `{name}` is not declared in the pipeline, and this context has no \
         extension factory to create it (declare it, or build the context with \
         `ContextBuilder::extension_factory`)"
    )]
    NoFactory {
        /// The name asked for.
        name: String,
    },
    /// Not in the registry, or its config is bad.
    #[error("extension `{name}` cannot be created")]
    Create {
        /// The name asked for.
        name: String,
        /// Why.
        source: Box<LookupError>,
    },
    /// Its `init` failed.
    #[error("extension `{name}`: init failed")]
    Init {
        /// The name asked for.
        name: String,
        /// The plugin's error.
        source: BoxError,
    },
    /// It is not of the type asked for.
    #[error("extension `{name}` is not a `{expected}`")]
    WrongType {
        /// The name asked for.
        name: String,
        /// The type asked for.
        expected: &'static str,
    },
    /// Asked for by capability, it could not be found or created (the cause says why).
    #[error("extension `{name}`, wanted for the capability `{capability}`, is not available")]
    Unavailable {
        /// The name asked for.
        name: String,
        /// The capability asked for (`ClientAuthenticator`).
        capability: &'static str,
        /// Why: not declared, not created, init failed.
        source: Box<ExtensionError>,
    },
    /// It does not provide the capability asked for.
    #[error("extension `{name}` does not provide the capability `{capability}` (it provides: {provided})")]
    MissingCapability {
        /// The name asked for.
        name: String,
        /// The capability asked for.
        capability: &'static str,
        /// What it provides, comma-separated, or `nothing`.
        provided: String,
    },
}

/// An error and every cause under it, outermost first, joined with `: `
/// (`extension `ext_auth`: init failed: no such user`).
///
/// Errors in this crate keep their cause out of their own message and return it from
/// [`source`](std::error::Error::source), so that a logger that walks the chain prints each
/// cause once. Use this where one line must say everything.
///
/// ```
/// use pipeplug::{error_chain, CheckpointError};
/// let e = CheckpointError::Store { key: "offset".into(), source: "disk full".into() };
/// assert_eq!(e.to_string(), "checkpoint `offset`: the store failed");
/// assert_eq!(error_chain(&e), "checkpoint `offset`: the store failed: disk full");
/// ```
#[must_use]
pub fn error_chain(error: &(dyn std::error::Error + '_)) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        // A wrapper that prints its cause itself (`#[error(transparent)]`, or a foreign
        // error) would repeat it: skip a cause already written out.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = e.source();
    }
    out
}

/// A full [`LogGroupQueue`](crate::LogGroupQueue).
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// No room; the group is handed back.
    #[error("log group queue is full")]
    Full(Box<crate::protocol::LogGroup>),
}
