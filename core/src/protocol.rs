//! The V1 data model: iLogtail's `pkg/protocol` (SLS logs).
//!
//! A V1 plugin passes [`Log`]s (a time and an ordered list of key/value contents) and
//! [`LogGroup`]s.

use crate::models::Str;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// One key/value of a V1 log (`protocol.Log_Content`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct LogContent {
    /// The key.
    pub key: Str,
    /// The value.
    pub value: Str,
}

impl LogContent {
    /// A content from a key and a value.
    pub fn new(key: impl Into<Str>, value: impl Into<Str>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A V1 log (`protocol.Log`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Log {
    /// Unix seconds.
    pub time: u32,
    /// Contents, in order. Keys may repeat in V1 (V2 keeps the last of each).
    pub contents: Vec<LogContent>,
    /// Nanoseconds within the second (below 10^9), when known. `Some(0)` and `None` mean the
    /// same time; [`set_time_nanos`](Self::set_time_nanos) writes `None` for 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ns: Option<u32>,
}

impl Log {
    /// A log at `time` (Unix seconds) with contents from pairs.
    pub fn new<K: Into<Str>, V: Into<Str>>(
        time: u32,
        contents: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let contents = contents.into_iter();
        // Room for a few contents more than given, as a vector built by pushes has: most
        // pipelines' processors add some (a log of one content would otherwise be copied to
        // a larger block by the first).
        let mut all = Vec::with_capacity(contents.size_hint().0.max(3) + 1);
        all.extend(contents.map(|(k, v)| LogContent::new(k, v)));
        Self {
            time,
            contents: all,
            time_ns: None,
        }
    }

    /// The value of the first content named `key` (`ReadLogVal` of the Go test kit).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.contents
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.value.as_str())
    }

    /// Appends a content.
    pub fn push(&mut self, key: impl Into<Str>, value: impl Into<Str>) {
        self.contents.push(LogContent::new(key, value));
    }

    /// The time in Unix nanoseconds.
    #[must_use]
    pub fn timestamp_nanos(&self) -> u64 {
        u64::from(self.time) * 1_000_000_000 + u64::from(self.time_ns.unwrap_or(0))
    }

    /// Sets the time from Unix nanoseconds (`SetLogTimeWithNano`). Seconds past
    /// `u32::MAX` (year 2106) saturate.
    pub fn set_time_nanos(&mut self, nanos: u64) {
        self.time = u32::try_from(nanos / 1_000_000_000).unwrap_or(u32::MAX);
        let ns = (nanos % 1_000_000_000) as u32;
        self.time_ns = (ns != 0).then_some(ns);
    }

    /// Sets the time from a [`SystemTime`] (`SetLogTime`); times before 1970 become 0.
    pub fn set_time(&mut self, time: SystemTime) {
        let nanos = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        self.set_time_nanos(nanos);
    }
}

/// A group tag (`protocol.LogTag`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct LogTag {
    /// The key.
    pub key: Str,
    /// The value.
    pub value: Str,
}

impl LogTag {
    /// A tag from a key and a value.
    pub fn new(key: impl Into<Str>, value: impl Into<Str>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Logs that share a source, a topic and tags (`protocol.LogGroup`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogGroup {
    /// The logs.
    pub logs: Vec<Log>,
    /// The category (logstore).
    pub category: String,
    /// The topic.
    pub topic: String,
    /// The source (usually the host IP).
    pub source: String,
    /// The machine's ID.
    pub machine_uuid: String,
    /// Tags shared by the logs.
    pub log_tags: Vec<LogTag>,
}
