//! How a processor's keys name the parts of an event, the same way in V1 and V2.
//!
//! A V1 log carries its tags as contents named `__tag__:name`. So that one config means the
//! same in both pipelines, a key is read as:
//!
//! | event (V2) | `name` | `__tag__:name` |
//! |---|---|---|
//! | log | the content `name` | the tag `name` |
//! | metric, span | the tag (label) `name` | the tag `name` |
//! | byte array | — (passed on unchanged) | — |
//!
//! In V1 every key is a content key, as in iLogtail.

use pipeplug::convert::TAG_PREFIX;

/// Where a key points in a V2 log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A content.
    Content(String),
    /// A tag (written `__tag__:name` in the config).
    Tag(String),
}

impl Slot {
    /// The slot a configured key names in a V2 log.
    pub(crate) fn of_log_key(key: &str) -> Self {
        match key.strip_prefix(TAG_PREFIX) {
            Some(tag) => Self::Tag(tag.to_owned()),
            None => Self::Content(key.to_owned()),
        }
    }
}

/// The tag a configured key names in a metric or a span: the key without its `__tag__:`
/// prefix, if it has one.
pub(crate) fn tag_name(key: &str) -> &str {
    key.strip_prefix(TAG_PREFIX).unwrap_or(key)
}
