//! Plugin listings and documentation, generated from the registry (iLogtail's `--doc`).

use crate::pipeline_config::Section;
use pipeplug::config::engine;
use pipeplug::registry::{PluginDescriptor, PluginKind, Registry};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// The format of `pipeplug doc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocFormat {
    /// A Markdown page per plugin and `plugin-list.md`.
    Md,
    /// A JSON description per plugin and `plugins.json`.
    Json,
}

/// `pipeplug list`: one line per plugin, aligned columns.
#[must_use]
pub fn list_table(registry: &Registry) -> String {
    let header = ["NAME", "KIND", "NATIVE", "CRATE", "DESCRIPTION"];
    let rows: Vec<[String; 5]> = registry
        .iter()
        .map(|d| {
            [
                d.name.to_owned(),
                d.kind().to_string(),
                d.native.to_string(),
                d.source.crate_name.to_owned(),
                d.description.to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    if rows.is_empty() {
        out.push_str("(no plugins registered)\n");
    }
    out
}

fn summary(d: &PluginDescriptor) -> Value {
    json!({
        "name": d.name,
        "kind": d.kind(),
        "native": { "v1": d.native.v1, "v2": d.native.v2 },
        "crate": d.source.crate_name,
        "description": d.description,
    })
}

/// `pipeplug list --json`: an array of `{name, kind, native: {v1, v2}, crate, description}`.
#[must_use]
pub fn list_json(registry: &Registry) -> String {
    let all: Vec<Value> = registry.iter().map(summary).collect();
    let mut s = serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}

/// The plugin's defaults as a JSON map (empty when it has none or they fail).
fn defaults(d: &PluginDescriptor) -> serde_json::Map<String, Value> {
    match std::panic::catch_unwind(d.defaults) {
        Ok(Ok(Value::Object(m))) => m,
        _ => serde_json::Map::new(),
    }
}

/// The default of `key`, as shown in docs: the source text, else the decoded default.
fn default_text(
    field: &pipeplug::registry::ConfigField,
    defaults: &serde_json::Map<String, Value>,
) -> String {
    if let Some(d) = field.default {
        return d.to_owned();
    }
    match defaults.get(field.key) {
        None => String::new(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(v) => v.to_string(),
    }
}

/// A JSON-schema type for a Rust type name (best effort).
fn schema_type(rust: &str) -> &'static str {
    let t = rust.trim();
    let inner = t
        .strip_prefix("Option<")
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(t);
    let base = inner.rsplit("::").next().unwrap_or(inner);
    match base {
        "bool" => "boolean",
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            "integer"
        }
        "f32" | "f64" => "number",
        "String" | "&str" | "PathBuf" | "Duration" => "string",
        _ if base.starts_with("Vec<")
            || base.starts_with("HashSet<")
            || base.starts_with("BTreeSet<") =>
        {
            "array"
        }
        _ if base.starts_with("HashMap<")
            || base.starts_with("BTreeMap<")
            || base.starts_with("IndexMap<") =>
        {
            "object"
        }
        _ => "any",
    }
}

/// A JSON-schema-like description of a plugin and its config.
#[must_use]
pub fn describe(d: &PluginDescriptor) -> Value {
    let defaults = defaults(d);
    let mut properties = serde_json::Map::new();
    for f in d.config_fields {
        let mut p = serde_json::Map::new();
        let ty = schema_type(f.type_name);
        let optional = f.type_name.trim().starts_with("Option<");
        if let Some(unit) = f.unit {
            // A humantime string or an integer in the field's unit; `null` for an Option.
            let mut types = vec![json!("string"), json!("integer")];
            if optional {
                types.push(json!("null"));
            }
            p.insert("type".to_owned(), Value::Array(types));
            p.insert(
                "format".to_owned(),
                json!("duration: a humantime string (\"5s\", \"1m 30s\") or an integer"),
            );
            p.insert("x-unit".to_owned(), json!(unit));
        } else if ty != "any" {
            if optional {
                p.insert("type".to_owned(), json!([ty, "null"]));
            } else {
                p.insert("type".to_owned(), json!(ty));
            }
        }
        p.insert("x-rust-type".to_owned(), json!(f.type_name));
        if f.required {
            // No default: the config gives it.
        } else if let Some(v) = defaults.get(f.key) {
            p.insert("default".to_owned(), v.clone());
        } else if let Some(text) = f.default {
            p.insert("default".to_owned(), json!(text));
        }
        if !f.doc.is_empty() {
            p.insert("description".to_owned(), json!(f.doc));
        }
        properties.insert(f.key.to_owned(), Value::Object(p));
    }
    for k in engine::keys_of(d.kind()) {
        if d.config_fields
            .iter()
            .any(|f| f.key.eq_ignore_ascii_case(k.key))
        {
            continue; // the plugin's own field of that name documents it
        }
        properties.insert(
            k.key.to_owned(),
            json!({
                "description": k.doc,
                "x-engine-key": true,
                "x-type": k.type_name,
            }),
        );
    }
    let required: Vec<&str> = d
        .config_fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.key)
        .collect();
    let mut config = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    if let (Some(example), Value::Object(c)) = (example(d), &mut config) {
        c.insert("examples".to_owned(), json!([example]));
    }
    let mut v = summary(d);
    if let Value::Object(m) = &mut v {
        m.insert("config".to_owned(), config);
    }
    v
}

/// The plugin's example config (its attribute's `example = "..."`) as JSON, when it has one
/// that parses.
fn example(d: &PluginDescriptor) -> Option<serde_json::Map<String, Value>> {
    match pipeplug::config::yaml_to_json(d.example?) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// The entry of the plugin in the page's example pipeline: its example config when it has
/// one, else every documented default (a required key without an example shows `...`).
fn example_entry(d: &PluginDescriptor, defaults: &serde_json::Map<String, Value>) -> String {
    let mut s = format!("  - Type: {}\n", d.name);
    if let (Some(text), Some(example)) = (d.example, example(d)) {
        if text.trim_start().starts_with('{') {
            // A flow map: one key per line, values as JSON (YAML's flow form).
            for (k, v) in &example {
                let _ = writeln!(s, "    {k}: {v}");
            }
        } else {
            // A block map: as the author wrote it, under the entry.
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let _ = writeln!(s, "    {line}");
            }
        }
        return s;
    }
    for f in d.config_fields {
        if f.required {
            let _ = writeln!(s, "    {}: ...  # required", f.key);
            continue;
        }
        let def = default_text(f, defaults);
        if !def.is_empty() {
            let _ = writeln!(s, "    {}: {}", f.key, def);
        }
    }
    s
}

/// A whole pipeline around the plugin's entry, which `pipeplug check` accepts as it is: the
/// sections a pipeline needs and the plugin does not fill take built-ins (`metric_mock`,
/// `flusher_stdout`).
fn example_pipeline(d: &PluginDescriptor, entry: &str) -> String {
    let kind = d.kind();
    let section = Section::of_kind(kind);
    let mut s = String::new();
    if kind == PluginKind::Extension {
        let _ = write!(s, "{section}:\n{entry}");
    }
    if matches!(kind, PluginKind::MetricInput | PluginKind::ServiceInput) {
        let _ = write!(s, "{section}:\n{entry}");
    } else {
        s.push_str("inputs:\n  - Type: metric_mock\n");
    }
    if matches!(kind, PluginKind::Processor | PluginKind::Aggregator) {
        let _ = write!(s, "{section}:\n{entry}");
    }
    if kind == PluginKind::Flusher {
        let _ = write!(s, "{section}:\n{entry}");
    } else {
        s.push_str("flushers:\n  - Type: flusher_stdout\n");
    }
    s
}

fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// File name for a plugin page (registered names are identifiers; anything else is replaced).
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The Markdown page of a plugin.
#[must_use]
pub fn page(d: &PluginDescriptor) -> String {
    let defaults = defaults(d);
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", d.name);
    let _ = writeln!(
        s,
        "{} · native {} · crate `{}`\n",
        d.kind(),
        d.native,
        d.source.crate_name
    );
    let _ = writeln!(s, "{}\n", d.description);
    s.push_str("## Config\n\n");
    if d.config_fields.is_empty() {
        s.push_str("No parameters.\n\n");
    } else {
        s.push_str("| key | type | default | description |\n|---|---|---|---|\n");
        for f in d.config_fields {
            let def = if f.required {
                "**required**".to_owned()
            } else {
                match default_text(f, &defaults) {
                    d if d.is_empty() => "—".to_owned(),
                    d => format!("`{}`", escape_cell(&d)),
                }
            };
            // A duration takes "5s" or an integer in its unit: say which.
            let ty = match f.unit {
                Some(unit) => format!("`{}` (or integer {unit})", escape_cell(f.type_name)),
                None => format!("`{}`", escape_cell(f.type_name)),
            };
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} |",
                f.key,
                ty,
                def,
                escape_cell(f.doc)
            );
        }
        s.push('\n');
    }
    let engine_keys: Vec<_> = engine::keys_of(d.kind())
        .iter()
        .filter(|k| {
            !d.config_fields
                .iter()
                .any(|f| f.key.eq_ignore_ascii_case(k.key))
        })
        .collect();
    if !engine_keys.is_empty() {
        let _ = writeln!(
            s,
            "## Engine keys\n\nRead by the engine from every {} entry, beside the plugin's own:\n\n\
             | key | type | description |\n|---|---|---|",
            d.kind()
        );
        for k in engine_keys {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} |",
                k.key,
                k.type_name,
                escape_cell(k.doc)
            );
        }
        s.push('\n');
    }
    s.push_str("## Example\n\n```yaml\n");
    s.push_str(&example_pipeline(d, &example_entry(d, &defaults)));
    s.push_str("```\n");
    s
}

/// The plugin list page, by kind.
#[must_use]
pub fn list_page(registry: &Registry) -> String {
    let mut s = String::from("# Plugins\n\n");
    for kind in PluginKind::ALL {
        let of_kind: Vec<&PluginDescriptor> =
            registry.iter().filter(|d| d.kind() == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "## {}s\n\n| name | native | crate | description |\n|---|---|---|---|",
            capitalise(kind.as_str())
        );
        for d in of_kind {
            let _ = writeln!(
                s,
                "| [{}]({}.md) | {} | `{}` | {} |",
                d.name,
                file_stem(d.name),
                d.native,
                d.source.crate_name,
                escape_cell(d.description)
            );
        }
        s.push('\n');
    }
    s
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Writes the docs of every plugin into `out`; returns how many plugins.
///
/// # Errors
/// The folder or a file cannot be written.
pub fn write(registry: &Registry, out: &Path, format: DocFormat) -> std::io::Result<usize> {
    std::fs::create_dir_all(out)?;
    for d in registry.iter() {
        match format {
            DocFormat::Md => {
                std::fs::write(out.join(format!("{}.md", file_stem(d.name))), page(d))?
            }
            DocFormat::Json => std::fs::write(
                out.join(format!("{}.json", file_stem(d.name))),
                serde_json::to_string_pretty(&describe(d)).map_err(std::io::Error::other)? + "\n",
            )?,
        }
    }
    match format {
        DocFormat::Md => std::fs::write(out.join("plugin-list.md"), list_page(registry))?,
        DocFormat::Json => {
            let all: Vec<Value> = registry.iter().map(describe).collect();
            std::fs::write(
                out.join("plugins.json"),
                serde_json::to_string_pretty(&all).map_err(std::io::Error::other)? + "\n",
            )?;
        }
    }
    Ok(registry.len())
}

#[cfg(test)]
mod tests {
    use super::{describe, page, schema_type};
    use pipeplug::registry::{ConfigField, Factories, Native, PluginDescriptor, SourceLocation};
    use pipeplug::ConfigError;

    static FIELDS: [ConfigField; 2] = [
        ConfigField {
            key: "SourceKey",
            type_name: "String",
            default: None,
            doc: "The key to read.",
            unit: None,
            required: true,
        },
        ConfigField {
            key: "Separator",
            type_name: "String",
            default: Some("\"|\""),
            doc: "What to split on.",
            unit: None,
            required: false,
        },
    ];

    fn flusher(_: &serde_json::Value) -> Result<Box<dyn pipeplug::plugin::FlusherV1>, ConfigError> {
        Err(ConfigError::new(
            "flusher_docs",
            "",
            pipeplug::ConfigProblemKind::Custom("unused".into()),
        ))
    }

    fn flusher_v2(
        _: &serde_json::Value,
    ) -> Result<Box<dyn pipeplug::plugin::FlusherV2>, ConfigError> {
        Err(ConfigError::new(
            "flusher_docs",
            "",
            pipeplug::ConfigProblemKind::Custom("unused".into()),
        ))
    }

    fn descriptor() -> PluginDescriptor {
        PluginDescriptor {
            name: "flusher_docs",
            description: "Splits and sends.",
            config_fields: &FIELDS,
            source: SourceLocation {
                crate_name: "docs",
                file: file!(),
                line: line!(),
            },
            native: Native {
                v1: true,
                v2: false,
            },
            factories: Factories::Flusher {
                v1: &flusher,
                v2: &flusher_v2,
            },
            defaults: || Ok(serde_json::json!({"Separator": "|"})),
            example: Some("SourceKey: content"),
        }
    }

    #[test]
    fn required_keys_the_example_and_engine_keys_are_documented() {
        let d = descriptor();
        let json = describe(&d);
        let config = &json["config"];
        assert_eq!(config["required"], serde_json::json!(["SourceKey"]));
        assert!(config["properties"]["SourceKey"].get("default").is_none());
        assert_eq!(config["properties"]["Separator"]["default"], "|");
        assert_eq!(
            config["examples"],
            serde_json::json!([{"SourceKey": "content"}])
        );
        assert_eq!(config["properties"]["Delivery"]["x-engine-key"], true);

        let md = page(&d);
        assert!(
            md.contains("| `SourceKey` | `String` | **required** |"),
            "{md}"
        );
        assert!(md.contains("## Engine keys"), "{md}");
        assert!(md.contains("| `Delivery` | map |"), "{md}");
        assert!(
            md.contains("inputs:\n  - Type: metric_mock\nflushers:\n  - Type: flusher_docs\n    SourceKey: content\n"),
            "{md}"
        );
    }

    #[test]
    fn schema_types_of_common_rust_types() {
        assert_eq!(schema_type("Duration"), "string");
        assert_eq!(schema_type("Option<u64>"), "integer");
        assert_eq!(schema_type("Vec<String>"), "array");
        assert_eq!(
            schema_type("std::collections::BTreeMap<String, String>"),
            "object"
        );
        assert_eq!(schema_type("MyEnum"), "any");
    }
}
