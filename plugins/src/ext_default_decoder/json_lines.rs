//! One line of the `json` format: an event in pipeplug's serde form, a `custom_single`
//! log (`{"contents":{...},"tags":{...},"time":N}`) or a flat object (a plain JSON log,
//! or `custom_single_flatten`). The shapes are documented on `ExtDefaultDecoder`.

use pipeplug::models::{Log, LogValue, PipelineEvent};
use pipeplug::Clock;
use serde_json::{Map, Value};

/// The key that marks pipeplug's serde form of an event.
const EVENT_TYPE: &str = "eventType";
/// The time key of a flat object.
const FLAT_TIME: &str = "__time__";
/// The prefix of tag keys in a flat object.
const FLAT_TAG: &str = "__tag__:";

/// The event of one line (not blank). The error says what is wrong, without the line
/// number (the caller adds it).
pub(super) fn event(line: &str, clock: &Clock) -> Result<PipelineEvent, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let Value::Object(obj) = value else {
        return Err(format!("expected a JSON object, found {}", kind_of(&value)));
    };
    if obj.contains_key(EVENT_TYPE) {
        return serde_json::from_value(Value::Object(obj)).map_err(|e| e.to_string());
    }
    let log = if is_custom_single(&obj) {
        custom_single(obj, clock)?
    } else {
        flat(obj, clock)?
    };
    Ok(log.into())
}

/// `custom_single`: an object `contents` and nothing but `tags` and `time` besides.
fn is_custom_single(obj: &Map<String, Value>) -> bool {
    matches!(obj.get("contents"), Some(Value::Object(_)))
        && obj
            .keys()
            .all(|k| matches!(k.as_str(), "contents" | "tags" | "time"))
}

fn custom_single(mut obj: Map<String, Value>, clock: &Clock) -> Result<Log, String> {
    let mut log = Log {
        timestamp: time_of(obj.remove("time"), "time", clock)?,
        ..Log::default()
    };
    if let Some(Value::Object(contents)) = obj.remove("contents") {
        for (k, v) in contents {
            log.contents.add(k, content_value(v));
        }
    }
    match obj.remove("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Object(tags)) => {
            for (k, v) in tags {
                log.tags.add(k, tag_value(v));
            }
        }
        Some(other) => {
            return Err(format!(
                "`tags` must be an object, found {}",
                kind_of(&other)
            ))
        }
    }
    Ok(log)
}

fn flat(mut obj: Map<String, Value>, clock: &Clock) -> Result<Log, String> {
    // `__time__` (pipeplug's V1 JSON lines) is the time and no content; without it, a
    // numeric `time` (iLogtail's `custom_single_flatten`) is the time and stays a content.
    let timestamp = match obj.remove(FLAT_TIME) {
        Some(t) => time_of(Some(t), FLAT_TIME, clock)?,
        None => match obj.get("time") {
            Some(t @ Value::Number(_)) => time_of(Some(t.clone()), "time", clock)?,
            _ => clock.now_nanos(),
        },
    };
    let mut log = Log {
        timestamp,
        ..Log::default()
    };
    for (k, v) in obj {
        match k.strip_prefix(FLAT_TAG) {
            Some(tag) => log.tags.add(tag, tag_value(v)),
            None => log.contents.add(k, content_value(v)),
        }
    }
    Ok(log)
}

/// A time in Unix nanoseconds, its unit read from its size; the clock's now when absent
/// or 0 (what a converter writes for a log without a time).
fn time_of(value: Option<Value>, key: &str, clock: &Clock) -> Result<u64, String> {
    let n = match value {
        None | Some(Value::Null) => return Ok(clock.now_nanos()),
        Some(Value::Number(n)) => n,
        Some(other) => {
            return Err(format!(
                "`{key}` must be a number (a Unix time), found {}",
                kind_of(&other)
            ))
        }
    };
    if n.as_u64() == Some(0) {
        return Ok(clock.now_nanos());
    }
    if let Some(t) = n.as_u64() {
        // Integers: exact, whatever the unit.
        let nanos = match t {
            t if t < 100_000_000_000 => t.checked_mul(1_000_000_000),
            t if t < 100_000_000_000_000 => t.checked_mul(1_000_000),
            t if t < 100_000_000_000_000_000 => t.checked_mul(1_000),
            t => Some(t),
        };
        return nanos.ok_or_else(|| format!("`{key}` {t} is out of range"));
    }
    let Some(t) = n.as_f64().filter(|t| t.is_finite() && *t >= 0.0) else {
        return Err(format!("`{key}` must not be negative, found {n}"));
    };
    let scale = match t {
        t if t < 1e11 => 1e9,
        t if t < 1e14 => 1e6,
        t if t < 1e17 => 1e3,
        _ => 1.0,
    };
    let nanos = t * scale;
    if nanos >= 18_446_744_073_709_551_615.0 {
        return Err(format!("`{key}` {n} is out of range"));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked above
    Ok(nanos.round() as u64)
}

fn content_value(v: Value) -> LogValue {
    match v {
        Value::String(s) => LogValue::String(s.into()),
        Value::Bool(b) => LogValue::Bool(b),
        Value::Null => LogValue::String("".into()),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => LogValue::Int(i),
            (None, Some(f)) if n.is_f64() => LogValue::Float(f),
            // An integer above i64::MAX: its text, exact.
            _ => LogValue::String(n.to_string().into()),
        },
        other @ (Value::Array(_) | Value::Object(_)) => LogValue::String(other.to_string().into()),
    }
}

fn tag_value(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
