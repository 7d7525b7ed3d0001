//! What is wrong with a pipeline config file, and where.

use pipeplug::registry::PluginKind;
use std::fmt;

use super::Section;

/// Where a plugin sits in a config: its list, its index and its `Type` as written.
///
/// Displays as `processors[1] (processor_rename)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginPosition {
    /// The list it is in.
    pub section: Section,
    /// Its index in the list, from 0.
    pub index: usize,
    /// Its `Type` as written (empty when missing).
    pub type_string: String,
}

impl fmt::Display for PluginPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.section, self.index)?;
        if !self.type_string.is_empty() {
            write!(f, " ({})", self.type_string)?;
        }
        Ok(())
    }
}

/// What is wrong (the rest of a [`ConfigDiagnostic`] says where).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The file cannot be read.
    #[error("cannot read the file: {0}")]
    Io(String),
    /// The text is not valid YAML or JSON.
    #[error("invalid {format}: {message}")]
    Syntax {
        /// `YAML` or `JSON`.
        format: &'static str,
        /// The parser's own words.
        message: String,
    },
    /// Values nested deeper than the limit (see `MAX_DEPTH`).
    #[error("nested more than {limit} levels deep (the limit for a config file)")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// More problems in this file than are listed: they were counted, not kept.
    #[error("and {0} more error(s) in this file (only the first ones are listed)")]
    MoreErrors(usize),
    /// Nothing but whitespace and comments.
    #[error("the file is empty; a pipeline needs at least `inputs` and `flushers`")]
    Empty,
    /// A value of the wrong shape (a list where a map is expected, ...).
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What is accepted.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A plugin entry without `Type`.
    #[error("missing `Type` (the plugin's registered name, e.g. `Type: processor_rename`)")]
    MissingType,
    /// A `Type` that does not parse as `name/id#priority`.
    #[error("{0}")]
    TypeString(String),
    /// No plugin of that name in this binary.
    #[error("unknown {kind} `{name}`{}{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default(), elsewhere.map(|k| format!("; `{name}` is a {k}, list it under `{}`", Section::of_kind(k))).unwrap_or_default())]
    UnknownPlugin {
        /// What was looked for (`input`, `processor`, ...).
        kind: &'static str,
        /// The name looked for.
        name: String,
        /// The closest registered name of that kind.
        suggestion: Option<String>,
        /// The kind the name is registered as, when it is in the wrong list.
        elsewhere: Option<PluginKind>,
    },
    /// A key or value that does not decode, in the words of core's decoder (one message for
    /// unknown and repeated keys everywhere): a plugin's parameter, or a key of the file's own
    /// (`enable`, `global.StructureType`, an unknown top-level key, ...).
    #[error("{0}")]
    PluginConfig(pipeplug::ConfigProblemKind),
    /// The pipeline as a whole is not runnable.
    #[error("{0}")]
    Pipeline(String),
}

/// One problem in a config file: the file, the line when known, the plugin, the key, and
/// what is wrong.
///
/// Displays as `examples/bad.yaml: processors[1] (processor_rename): key `SourceKey`:
/// unknown key, did you mean `SourceKeys`? ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDiagnostic {
    /// The file, as given.
    pub file: String,
    /// Line and column (from 1), when the parser knows them.
    pub line: Option<(usize, usize)>,
    /// The plugin concerned, if any.
    pub plugin: Option<PluginPosition>,
    /// The key path concerned (`global.InputIntervalMs`, `SourceKeys`, `Fields.a`), if any.
    pub key: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

impl ConfigDiagnostic {
    /// A problem of the file as a whole.
    pub fn file(file: &str, problem: Problem) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            plugin: None,
            key: None,
            problem,
        }
    }

    /// A problem found by a [`pipeplug::config::Decoder`] of the file's own keys: its path
    /// goes under `prefix` (`global` → `global.InputIntervalMs`; empty: as it is).
    pub(crate) fn decoded(file: &str, prefix: &str, p: pipeplug::ConfigProblem) -> Self {
        let problem = Problem::PluginConfig(p.kind);
        let key = match (prefix, p.path.as_str()) {
            ("", "") => None,
            ("", path) => Some(path.to_owned()),
            (prefix, "") => Some(prefix.to_owned()),
            (prefix, path) if path.starts_with('[') => Some(format!("{prefix}{path}")),
            (prefix, path) => Some(format!("{prefix}.{path}")),
        };
        Self {
            key,
            ..Self::file(file, problem)
        }
    }

    /// The same, about `key`.
    #[must_use]
    pub fn at_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The same, about the plugin at `position`.
    #[must_use]
    pub fn at_plugin(mut self, position: PluginPosition) -> Self {
        self.plugin = Some(position);
        self
    }
}

impl fmt::Display for ConfigDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, column)) = self.line {
            write!(f, ":{line}:{column}")?;
        }
        f.write_str(": ")?;
        if let Some(p) = &self.plugin {
            write!(f, "{p}: ")?;
        }
        if let Some(k) = &self.key {
            if matches!(
                self.problem,
                Problem::PluginConfig(pipeplug::ConfigProblemKind::Required)
            ) {
                // As core says it: ``key `SourceKey` is required``.
                return write!(f, "key `{k}` is required");
            }
            write!(f, "key `{k}`: ")?;
        }
        write!(f, "{}", self.problem)
    }
}

/// Every problem found in one or more config files.
#[derive(Debug, Clone, PartialEq, Default, thiserror::Error)]
pub struct ConfigErrors {
    /// The problems, in file order.
    pub errors: Vec<ConfigDiagnostic>,
}

impl ConfigErrors {
    /// Whether there is none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Adds one.
    pub fn push(&mut self, d: ConfigDiagnostic) {
        self.errors.push(d);
    }

    /// `Ok(value)` when there is none, else `Err(self)`.
    ///
    /// # Errors
    /// When any problem was recorded.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<ConfigDiagnostic> for ConfigErrors {
    fn from(d: ConfigDiagnostic) -> Self {
        Self { errors: vec![d] }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// `a string`, `a list`, ... for messages.
pub(crate) fn describe(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "nothing (null)".to_owned(),
        serde_json::Value::Bool(b) => format!("a boolean ({b})"),
        serde_json::Value::Number(n) => format!("a number ({n})"),
        serde_json::Value::String(s) => format!("a string ({s:?})"),
        serde_json::Value::Array(_) => "a list".to_owned(),
        serde_json::Value::Object(_) => "a map".to_owned(),
    }
}

pub(crate) use pipeplug::suggest::closest;
