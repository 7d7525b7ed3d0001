//! The V2 log event (`models.Log`).

use super::{KeyValues, Str, Tags};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The key of a log's body (`models.ContentKey` / `BodyKey`).
pub const BODY_KEY: &str = "content";

/// A value in a log's contents. Go stores `any`; these are the kinds iLogtail plugins use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LogValue {
    /// Text.
    String(Str),
    /// A signed integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Raw bytes (Go's `[]byte` body). Serialized as a list of numbers.
    Bytes(Vec<u8>),
}

impl LogValue {
    /// The value as text, if it is a string.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Text form, as a V1 log content carries it: numbers as Go's `fmt.Sprint` writes them
/// (`1e+06`, `NaN`), booleans as `true`/`false`, bytes decoded as UTF-8 (invalid sequences
/// replaced).
impl fmt::Display for LogValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => f.write_str(s),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => f.write_str(&super::float::format_go(*x)),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Bytes(b) => f.write_str(&String::from_utf8_lossy(b)),
        }
    }
}

impl From<Str> for LogValue {
    fn from(s: Str) -> Self {
        Self::String(s)
    }
}
impl From<String> for LogValue {
    fn from(s: String) -> Self {
        Self::String(s.into())
    }
}
impl From<&str> for LogValue {
    fn from(s: &str) -> Self {
        Self::String(s.into())
    }
}
impl From<i64> for LogValue {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}
impl From<f64> for LogValue {
    fn from(x: f64) -> Self {
        Self::Float(x)
    }
}
impl From<bool> for LogValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}
impl From<Vec<u8>> for LogValue {
    fn from(b: Vec<u8>) -> Self {
        Self::Bytes(b)
    }
}

/// A log event of a V2 pipeline.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Log {
    /// The event name.
    pub name: Str,
    /// Severity (`INFO`, `ERROR`, ...), empty when unknown.
    pub level: Str,
    /// Trace span ID, empty when none.
    pub span_id: Str,
    /// Trace ID, empty when none.
    pub trace_id: Str,
    /// Event tags.
    pub tags: Tags,
    /// When the event happened, in Unix nanoseconds.
    pub timestamp: u64,
    /// When the agent saw the event, in Unix nanoseconds.
    pub observed_timestamp: u64,
    /// Offset in the source (a file position).
    pub offset: u64,
    /// Size of the raw source record in bytes.
    pub raw_size: u64,
    /// The fields of the log; the body is under [`BODY_KEY`].
    pub contents: KeyValues<LogValue>,
}

impl Log {
    /// A log with a body, tags and a time in Unix nanoseconds (`NewSimpleLog`).
    #[must_use]
    pub fn with_body(body: impl Into<LogValue>, tags: Tags, timestamp: u64) -> Self {
        let mut log = Self {
            tags,
            timestamp,
            ..Self::default()
        };
        log.set_body(body);
        log
    }

    /// The body (`GetBody`).
    #[must_use]
    pub fn body(&self) -> Option<&LogValue> {
        self.contents.get(BODY_KEY)
    }

    /// The body as bytes, when it is text or bytes (what Go's `GetBody` returns).
    #[must_use]
    pub fn body_bytes(&self) -> Option<&[u8]> {
        match self.body()? {
            LogValue::String(s) => Some(s.as_bytes()),
            LogValue::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Sets the body (`SetBody`).
    pub fn set_body(&mut self, body: impl Into<LogValue>) {
        self.contents.add(BODY_KEY, body);
    }

    /// Approximate size in bytes (`GetSize`): keys and values of contents and tags.
    #[must_use]
    pub fn size(&self) -> usize {
        let contents: usize = self
            .contents
            .iter()
            .map(|(k, v)| {
                k.len()
                    + match v {
                        LogValue::String(s) => s.len(),
                        LogValue::Bytes(b) => b.len(),
                        _ => 8,
                    }
            })
            .sum();
        let tags: usize = self.tags.iter().map(|(k, v)| k.len() + v.len()).sum();
        contents + tags
    }
}
