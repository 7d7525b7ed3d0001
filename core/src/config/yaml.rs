//! YAML text → the JSON value configs are decoded from, strictly: a key given twice is an
//! error (at every level), merge keys (`<<: *base`) are applied, and a value JSON cannot hold
//! is an error with its key path instead of silently becoming `null` (which would mean "the
//! default"): `.nan`, `.inf`, a `!tag`, a map as a map key.

use serde_json::{Map, Number, Value};

/// Why a YAML text is not a config value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The key path of the value (`processors[0].Interval`); empty for the syntax or the
    /// whole document.
    pub path: String,
    /// Line and column (from 1), when the parser knows them.
    pub location: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.path.is_empty() {
            write!(f, "key `{}`: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for YamlError {}

/// Parses one YAML document into a JSON value (see the module docs). An empty document is
/// `null`.
///
/// ```
/// let v = pipeplug::config::yaml_to_json("base: &b {a: 1}\nm:\n  <<: *b\n  c: 2\n").unwrap();
/// assert_eq!(v["m"], serde_json::json!({"c": 2, "a": 1}));
/// let err = pipeplug::config::yaml_to_json("m:\n  interval: .nan\n").unwrap_err();
/// assert_eq!(err.path, "m.interval");
/// assert!(pipeplug::config::yaml_to_json("a: 1\na: 2\n").is_err());
/// ```
///
/// # Errors
/// A syntax error (with its line), a key given twice, a bad merge, or a value JSON cannot
/// hold (with its key path).
pub fn yaml_to_json(text: &str) -> Result<Value, YamlError> {
    let mut value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| YamlError {
        path: String::new(),
        location: e.location().map(|l| (l.line(), l.column())),
        message: e.to_string(),
    })?;
    value.apply_merge().map_err(|e| YamlError {
        path: String::new(),
        location: None,
        message: format!("merge key `<<`: {e}"),
    })?;
    let mut path = String::new();
    convert(value, &mut path)
}

fn error(path: &str, message: impl Into<String>) -> YamlError {
    YamlError {
        path: path.to_owned(),
        location: None,
        message: message.into(),
    }
}

/// Converts one value; `path` is its key path, restored before returning.
fn convert(value: serde_yaml_ng::Value, path: &mut String) -> Result<Value, YamlError> {
    use serde_yaml_ng::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => Value::Number(number(&n, path)?),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(convert(item, path)?);
                path.truncate(len);
            }
            Value::Array(out)
        }
        Y::Mapping(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                let key = key_text(k, path)?;
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key);
                let v = convert(v, path)?;
                path.truncate(len);
                if out.insert(key.clone(), v).is_some() {
                    // `1` and `"1"` are two YAML keys but one JSON key.
                    return Err(error(path, format!("key `{key}` given twice")));
                }
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            return Err(error(
                path,
                format!("YAML tags such as `{}` are not supported in configs", t.tag),
            ))
        }
    })
}

fn number(n: &serde_yaml_ng::Number, path: &str) -> Result<Number, YamlError> {
    if let Some(u) = n.as_u64() {
        return Ok(u.into());
    }
    if let Some(i) = n.as_i64() {
        return Ok(i.into());
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    Number::from_f64(f).ok_or_else(|| {
        error(
            path,
            format!("`{n}` is not a finite number; a count, a size or a duration must be one"),
        )
    })
}

fn key_text(key: serde_yaml_ng::Value, path: &str) -> Result<String, YamlError> {
    use serde_yaml_ng::Value as Y;
    match key {
        Y::String(s) => Ok(s),
        Y::Bool(b) => Ok(b.to_string()),
        Y::Number(n) => Ok(n.to_string()),
        Y::Null => Ok("null".to_owned()),
        _ => Err(error(path, "a map key must be text, not a list or a map")),
    }
}

#[cfg(test)]
mod tests {
    use super::yaml_to_json;
    use serde_json::json;

    #[test]
    fn non_finite_numbers_are_errors_with_their_path() {
        for (text, path) in [
            ("a: .nan", "a"),
            ("a: [1, -.inf]", "a[1]"),
            ("a: {b: .Inf}", "a.b"),
        ] {
            let err = yaml_to_json(text).unwrap_err();
            assert_eq!(err.path, path, "{text}");
            assert!(err.message.contains("not a finite number"), "{err}");
        }
        assert_eq!(yaml_to_json("a: 1.5").unwrap(), json!({"a": 1.5}));
    }

    #[test]
    fn duplicate_keys_are_errors_at_every_level() {
        let err = yaml_to_json("a:\n  b: 1\n  b: 2\n").unwrap_err();
        assert!(err.message.contains("duplicate entry"), "{err}");
        assert!(err.location.is_some());
        assert!(yaml_to_json("1: a\n'1': b\n").is_err());
    }

    #[test]
    fn merge_keys_apply_and_explicit_keys_win() {
        let v = yaml_to_json("b: &b {x: 1, y: 2}\nm: {<<: *b, y: 3}\n").unwrap();
        assert_eq!(v["m"], json!({"y": 3, "x": 1}));
    }

    #[test]
    fn tags_and_map_keys_are_refused() {
        assert!(yaml_to_json("a: !T 1")
            .unwrap_err()
            .message
            .contains("tags"));
        assert!(yaml_to_json("? [1]\n: 2\n").is_err());
    }
}
