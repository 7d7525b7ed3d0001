//! A serde `with` module for a [`Duration`] field of a nested config struct (one decoded by
//! serde inside a plugin's config, not by the plugin's [`Decoder`](super::Decoder)): it
//! takes what a plugin's own duration fields take — a humantime string (`"5s"`,
//! `"1m 30s"`, parsed by `humantime-serde`) or an integer of nanoseconds (Go's
//! `time.Duration`) — and writes a humantime string, as `to_config` does.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use std::time::Duration;
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! struct Retry {
//!     #[serde(with = "pipeplug::config::serde_duration")]
//!     backoff: Duration,
//!     #[serde(default, with = "pipeplug::config::serde_duration::option")]
//!     deadline: Option<Duration>,
//! }
//!
//! let r: Retry = serde_json::from_value(serde_json::json!({"backoff": "1m 30s"})).unwrap();
//! assert_eq!(r, Retry { backoff: Duration::from_secs(90), deadline: None });
//! let r: Retry = serde_json::from_value(serde_json::json!({"backoff": 5, "deadline": "2s"})).unwrap();
//! assert_eq!(r.backoff, Duration::from_nanos(5));
//! assert_eq!(
//!     serde_json::to_value(&r).unwrap(),
//!     serde_json::json!({"backoff": "5ns", "deadline": "2s"})
//! );
//! ```

use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;
use std::fmt;
use std::time::Duration;

/// Writes `d` as a humantime string (`"1m 30s"`).
///
/// # Errors
/// The serializer's own.
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    humantime_serde::serialize(d, s)
}

/// Reads a humantime string or an integer of nanoseconds.
///
/// # Errors
/// Any other value (a negative or fractional number, a list, ...), or a string humantime
/// does not parse; the message says what is accepted.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl<'de> Visitor<'de> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"5s\" or an integer of nanoseconds")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        humantime_serde::deserialize(de::value::StrDeserializer::<E>::new(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Ok(Duration::from_nanos(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        u64::try_from(v)
            .map(Duration::from_nanos)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }
}

/// The same for an `Option<Duration>` field: `null` (or, with `#[serde(default)]`, an
/// absent key) is `None`, and `None` is written as `null`.
pub mod option {
    use serde::de::{self, Deserializer, Visitor};
    use serde::Serializer;
    use std::fmt;
    use std::time::Duration;

    /// Writes `d` as a humantime string, or `null`.
    ///
    /// # Errors
    /// The serializer's own.
    #[allow(clippy::ref_option)] // serde's `with` passes the field by reference
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        humantime_serde::serialize(d, s)
    }

    /// Reads `null`, a humantime string or an integer of nanoseconds.
    ///
    /// # Errors
    /// As [`deserialize`](super::deserialize).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        d.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Duration>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration such as \"5s\", an integer of nanoseconds, or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;
    use std::time::Duration;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Nested {
        #[serde(with = "super")]
        every: Duration,
        #[serde(default, with = "super::option")]
        limit: Option<Duration>,
    }

    fn read(v: serde_json::Value) -> Result<Nested, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn takes_humantime_strings_and_integers_of_nanoseconds() {
        let n = read(json!({"every": "1m 30s", "limit": 250})).unwrap();
        assert_eq!(n.every, Duration::from_secs(90));
        assert_eq!(n.limit, Some(Duration::from_nanos(250)));
        let n = read(json!({"every": 5_000_000_000u64, "limit": null})).unwrap();
        assert_eq!(n.every, Duration::from_secs(5));
        assert_eq!(n.limit, None);
        assert_eq!(read(json!({"every": "2s"})).unwrap().limit, None);
        let yaml: Nested = serde_yaml_ng::from_str("every: 1h\nlimit: 10ms\n").unwrap();
        assert_eq!(yaml.every, Duration::from_secs(3600));
        assert_eq!(yaml.limit, Some(Duration::from_millis(10)));
    }

    #[test]
    fn writes_humantime_strings() {
        let n = Nested {
            every: Duration::from_secs(90),
            limit: None,
        };
        assert_eq!(
            serde_json::to_value(&n).unwrap(),
            json!({"every": "1m 30s", "limit": null})
        );
        let back = read(serde_json::to_value(&n).unwrap()).unwrap();
        assert_eq!(back, n);
    }

    #[test]
    fn bad_values_say_what_is_accepted() {
        assert_eq!(
            read(json!({"every": "5 parsecs"})).unwrap_err(),
            "invalid value: string \"5 parsecs\", expected a duration"
        );
        assert_eq!(
            read(json!({"every": -1})).unwrap_err(),
            "invalid value: integer `-1`, expected a duration such as \"5s\" or an integer of \
             nanoseconds"
        );
        assert_eq!(
            read(json!({"every": 1.5})).unwrap_err(),
            "invalid type: floating point `1.5`, expected a duration such as \"5s\" or an \
             integer of nanoseconds"
        );
        assert_eq!(
            read(json!({"every": "1s", "limit": [1]})).unwrap_err(),
            "invalid type: sequence, expected a duration such as \"5s\" or an integer of \
             nanoseconds"
        );
        assert_eq!(
            read(json!({"limit": "1s"})).unwrap_err(),
            "missing field `every`"
        );
    }
}
