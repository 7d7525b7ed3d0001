//! Config text → a JSON value, with the parser's line on error.

use super::error::{ConfigDiagnostic, ConfigErrors, Problem};
use std::path::Path;

/// The syntax of a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (also reads JSON).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// JSON for `.json` files, YAML for everything else (YAML reads JSON too).
    #[must_use]
    pub fn from_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Self::Json,
            _ => Self::Yaml,
        }
    }
}

/// Whether `text` holds nothing but whitespace and (YAML) comments.
fn is_blank(text: &str, format: Format) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || (format == Format::Yaml && (l.starts_with('#') || l == "---" || l == "..."))
    })
}

/// Parses `text` into a JSON value. An empty text is an error, as is any syntax error (with
/// its line and column).
pub(crate) fn parse(
    text: &str,
    format: Format,
    file: &str,
) -> Result<serde_json::Value, ConfigErrors> {
    parse_one(text, format, file).map_err(|d| ConfigErrors::from(*d))
}

fn parse_one(
    text: &str,
    format: Format,
    file: &str,
) -> Result<serde_json::Value, Box<ConfigDiagnostic>> {
    if is_blank(text, format) {
        return Err(Box::new(ConfigDiagnostic::file(file, Problem::Empty)));
    }
    match format {
        Format::Json => serde_json::from_str(text).map_err(|e| {
            let mut d = ConfigDiagnostic::file(
                file,
                Problem::Syntax {
                    format: "JSON",
                    message: strip_position(&e.to_string()),
                },
            );
            if e.line() > 0 {
                d.line = Some((e.line(), e.column()));
            }
            Box::new(d)
        }),
        Format::Yaml => {
            let value: serde_json::Value = serde_yaml_ng::from_str(text).map_err(|e| {
                let mut d = ConfigDiagnostic::file(
                    file,
                    Problem::Syntax {
                        format: "YAML",
                        message: strip_position(&e.to_string()),
                    },
                );
                d.line = e.location().map(|l| (l.line(), l.column()));
                Box::new(d)
            })?;
            if value.is_null() {
                return Err(Box::new(ConfigDiagnostic::file(file, Problem::Empty)));
            }
            Ok(value)
        }
    }
}

/// The parser's message without ` at line L column C` (the diagnostic shows the position in
/// front).
fn strip_position(message: &str) -> String {
    let Some(start) = message.find(" at line ") else {
        return message.to_owned();
    };
    let rest = &message[start + " at line ".len()..];
    let after_line = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let Some(after_col) = after_line.strip_prefix(" column ") else {
        return message.to_owned();
    };
    let tail = after_col.trim_start_matches(|c: char| c.is_ascii_digit());
    format!("{}{tail}", &message[..start])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_yaml_reports_its_line() {
        let err =
            parse_one("inputs:\n  - Type: a\n   bad: [\n", Format::Yaml, "f.yaml").unwrap_err();
        assert!(matches!(
            err.problem,
            Problem::Syntax { format: "YAML", .. }
        ));
        let (line, _) = err.line.expect("a line");
        assert!((2..=4).contains(&line), "line {line}");
        assert!(
            err.to_string().starts_with(&format!("f.yaml:{line}:")),
            "{err}"
        );
    }

    #[test]
    fn comments_only_is_empty() {
        let err = parse_one("# nothing\n\n", Format::Yaml, "f.yaml").unwrap_err();
        assert_eq!(err.problem, Problem::Empty);
        assert_eq!(
            parse_one("  ", Format::Json, "f.json").unwrap_err().problem,
            Problem::Empty
        );
    }

    #[test]
    fn malformed_json_reports_its_line() {
        let err = parse_one("{\n \"inputs\": [,]\n}", Format::Json, "f.json").unwrap_err();
        assert_eq!(err.line.map(|l| l.0), Some(2));
    }
}
