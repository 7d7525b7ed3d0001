//! Durations in plugin configs: humantime strings (`"5s"`, `"1m 30s"`) or integers in the
//! field's [`DurationUnit`] (nanoseconds unless the field declares another, as Go's
//! `time.Duration` is an integer of nanoseconds and iLogtail's `IntervalMs`-style keys are
//! milliseconds).

use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// The unit of a duration given as a bare integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    /// `ns`: Go's `time.Duration` (the default).
    Nanos,
    /// `us`.
    Micros,
    /// `ms`: iLogtail's `IntervalMs`-style keys.
    Millis,
    /// `s`.
    Secs,
    /// `m`.
    Mins,
    /// `h`.
    Hours,
}

impl DurationUnit {
    /// The unit as written in `#[config(unit = "...")]`.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Nanos => "ns",
            Self::Micros => "us",
            Self::Millis => "ms",
            Self::Secs => "s",
            Self::Mins => "m",
            Self::Hours => "h",
        }
    }

    /// The unit's name in plural, for messages (`milliseconds`).
    #[must_use]
    pub fn plural(self) -> &'static str {
        match self {
            Self::Nanos => "nanoseconds",
            Self::Micros => "microseconds",
            Self::Millis => "milliseconds",
            Self::Secs => "seconds",
            Self::Mins => "minutes",
            Self::Hours => "hours",
        }
    }

    /// `n` of this unit, or `None` when that overflows a [`Duration`].
    #[must_use]
    pub fn to_duration(self, n: u64) -> Option<Duration> {
        Some(match self {
            Self::Nanos => Duration::from_nanos(n),
            Self::Micros => Duration::from_micros(n),
            Self::Millis => Duration::from_millis(n),
            Self::Secs => Duration::from_secs(n),
            Self::Mins => Duration::from_secs(n.checked_mul(60)?),
            Self::Hours => Duration::from_secs(n.checked_mul(3600)?),
        })
    }
}

impl fmt::Display for DurationUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// What a duration field takes, for messages: `a duration such as "5s" or an integer of
/// nanoseconds`.
pub(crate) fn expected(unit: DurationUnit, optional: bool) -> String {
    let null = if optional { ", or null" } else { "" };
    format!(
        "a duration such as \"5s\" or an integer of {}{null}",
        unit.plural()
    )
}

/// Decodes one duration value; the error is the reason, in humantime's or serde's words.
pub(crate) fn decode(value: &Value, unit: DurationUnit) -> Result<Duration, String> {
    match value {
        Value::String(s) => humantime::parse_duration(s).map_err(|e| e.to_string()),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                unit.to_duration(u)
                    .ok_or_else(|| format!("{u} {} is too long a duration", unit.plural()))
            } else if n.is_i64() {
                Err(format!("negative duration `{n}`"))
            } else {
                Err(format!("invalid type: floating point `{n}`"))
            }
        }
        other => Err(format!("invalid type: {}", describe(other))),
    }
}

/// A duration as a humantime string (`"1m 30s"`), the form `to_config` writes.
#[must_use]
pub fn format(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// How a value is named in messages (`a string`, `a list`, ...).
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a map".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, DurationUnit};
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn strings_integers_and_units() {
        let ns = DurationUnit::Nanos;
        assert_eq!(decode(&json!("1m 30s"), ns), Ok(Duration::from_secs(90)));
        assert_eq!(
            decode(&json!(5_000_000_000u64), ns),
            Ok(Duration::from_secs(5))
        );
        assert_eq!(
            decode(&json!(250), DurationUnit::Millis),
            Ok(Duration::from_millis(250))
        );
        assert_eq!(
            decode(&json!(2), DurationUnit::Hours),
            Ok(Duration::from_secs(7200))
        );
        assert_eq!(
            decode(&json!(-1), ns),
            Err("negative duration `-1`".to_owned())
        );
        assert_eq!(
            decode(&json!(true), ns),
            Err("invalid type: boolean `true`".to_owned())
        );
        assert_eq!(
            decode(&json!(u64::MAX), DurationUnit::Hours),
            Err(format!("{} hours is too long a duration", u64::MAX))
        );
    }
}
