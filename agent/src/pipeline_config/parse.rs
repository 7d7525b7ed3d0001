//! Config text → a JSON value, with the parser's line on error.

use super::depth;
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

/// How deep values may nest in a config file (a real pipeline nests less than 10 levels).
pub const MAX_DEPTH: usize = 64;

/// Parses `text` into a JSON value. An empty text is an error, as is any syntax error (with
/// its line and column), nesting deeper than [`MAX_DEPTH`] (checked in one pass before the
/// parser runs, whose own cost grows with the square of the depth), a key given twice at any
/// level, and (YAML) a value JSON cannot hold such as `.nan`. A UTF-8 byte order mark at the
/// start is skipped; YAML merge keys (`<<: *base`) are applied.
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if is_blank(text, format) {
        return Err(Box::new(ConfigDiagnostic::file(file, Problem::Empty)));
    }
    if let Some(line) = depth::exceeds(text, MAX_DEPTH) {
        let mut d = ConfigDiagnostic::file(file, Problem::TooDeep { limit: MAX_DEPTH });
        d.line = Some((line, 1));
        return Err(Box::new(d));
    }
    let syntax = |format, message: String, line| {
        let mut d = ConfigDiagnostic::file(
            file,
            Problem::Syntax {
                format,
                message: strip_position(&message),
            },
        );
        d.line = line;
        Box::new(d)
    };
    match format {
        Format::Json => pipeplug::config::json_to_value_strict(text).map_err(|e| {
            let line = (e.line() > 0).then(|| (e.line(), e.column()));
            syntax("JSON", e.to_string(), line)
        }),
        Format::Yaml => {
            let value = pipeplug::config::yaml_to_json(text).map_err(|e| {
                let mut d = syntax("YAML", e.message, e.location);
                if !e.path.is_empty() {
                    d.key = Some(e.path);
                }
                d
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
