//! Pipeline config files: iLogtail's format, in YAML or JSON.
//!
//! A file holds one pipeline:
//!
//! ```yaml
//! enable: true                  # false: the pipeline is skipped
//! global:                       # iLogtail's global settings, keys case-insensitive
//!   StructureType: v2           # v1 (default) or v2
//! inputs:
//!   - Type: service_example_plugin
//!     interval: 1s              # the plugin's parameters, flattened (user form)
//! processors:
//!   - type: processor_rename/2  # internal form: `type` + `detail`; `name/id#priority`
//!     detail: { SourceKeys: [a], DestKeys: [b] }
//! flushers:
//!   - Type: flusher_stdout
//! ```
//!
//! [`load_file`] reads a file, resolves every `Type` in the registry and reports **every**
//! problem of the file at once, each naming the file, the plugin (its list, index and
//! `Type`) and the key. Plugin parameters are decoded later, by the plugins' own decoders,
//! when the engine builds the pipeline ([`crate::engine::Pipeline::build`]); `pipeplug check`
//! does both.

mod depth;
mod error;
mod global;
mod parse;
mod plugins;

pub use error::{ConfigDiagnostic, ConfigErrors, PluginPosition, Problem};
pub use global::StructureType;
pub use parse::{Format, MAX_DEPTH};
pub use plugins::{DeliveryConfig, DeliveryPolicy, DELIVERY_KEY};

use pipeplug::config::Decoder;
use pipeplug::registry::{PluginDescriptor, PluginKind, PluginType, Registry};
use pipeplug::{GlobalConfig, PluginMeta};
use std::fmt;
use std::path::Path;

/// The plugin lists of a pipeline config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    /// `inputs`: metric and service inputs.
    Inputs,
    /// `processors`.
    Processors,
    /// `aggregators`.
    Aggregators,
    /// `flushers`.
    Flushers,
    /// `extensions`.
    Extensions,
}

impl Section {
    /// Every list, in the order plugins are created (extensions first, as iLogtail does).
    pub const ALL: [Self; 5] = [
        Self::Extensions,
        Self::Inputs,
        Self::Processors,
        Self::Aggregators,
        Self::Flushers,
    ];

    /// The key in the file (`inputs`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inputs => "inputs",
            Self::Processors => "processors",
            Self::Aggregators => "aggregators",
            Self::Flushers => "flushers",
            Self::Extensions => "extensions",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One plugin of a pipeline: where it is, which registered plugin, and its parameters.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// Its list, index and `Type` as written.
    pub position: PluginPosition,
    /// The parsed `Type` (`name/id#priority`).
    pub plugin_type: PluginType,
    /// Its ID in the pipeline: as written, or numbered as iLogtail does.
    pub id: String,
    /// The registered plugin.
    pub descriptor: &'static PluginDescriptor,
    /// Its parameters (`null` when none: every default), without the engine's `Delivery`.
    pub params: serde_json::Value,
    /// A flusher's `Delivery` settings (the defaults for other plugins).
    pub delivery: DeliveryConfig,
}

impl PluginSpec {
    /// The plugin's kind.
    #[must_use]
    pub fn kind(&self) -> PluginKind {
        self.descriptor.kind()
    }

    /// `PluginMeta` for its context: the registered name and the ID.
    #[must_use]
    pub fn meta(&self) -> PluginMeta {
        PluginMeta {
            plugin_type: self.plugin_type.name.clone(),
            plugin_id: self.id.clone(),
        }
    }
}

/// A pipeline config file, read and checked against the registry.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The file, as given (used in messages).
    pub file: String,
    /// The config name: the file name without its extension (keys checkpoints, tags logs).
    pub name: String,
    /// `enable` (default `true`); a disabled pipeline is not run.
    pub enable: bool,
    /// `global`, over iLogtail's defaults.
    pub global: GlobalConfig,
    /// `global.StructureType`.
    pub structure: StructureType,
    /// `inputs`.
    pub inputs: Vec<PluginSpec>,
    /// `processors`, in running order.
    pub processors: Vec<PluginSpec>,
    /// `aggregators` (empty: the engine adds `aggregator_default`).
    pub aggregators: Vec<PluginSpec>,
    /// `flushers`.
    pub flushers: Vec<PluginSpec>,
    /// `extensions`.
    pub extensions: Vec<PluginSpec>,
    /// Things worth saying that are not errors (ignored iLogtail settings, ...).
    pub warnings: Vec<ConfigDiagnostic>,
}

impl PipelineConfig {
    /// Every plugin, extensions first.
    pub fn plugins(&self) -> impl Iterator<Item = &PluginSpec> {
        self.extensions
            .iter()
            .chain(&self.inputs)
            .chain(&self.processors)
            .chain(&self.aggregators)
            .chain(&self.flushers)
    }
}

const TOP_KEYS: [&str; 7] = [
    "enable",
    "global",
    "inputs",
    "processors",
    "aggregators",
    "flushers",
    "extensions",
];

/// At most this many problems are kept per file; the others are counted in one
/// [`Problem::MoreErrors`] (a file of a million bad entries costs no more than its text).
pub const MAX_ERRORS_PER_FILE: usize = 20;

/// Reads the config file at `path` (`.json`: JSON, else YAML).
///
/// Only a regular file is read, and only up to [`pipeplug::fs::CONFIG_FILE_LIMIT`] (16 MiB):
/// a FIFO, a device or a directory, or a larger file, is an error naming the file (and the
/// limit) at once, without blocking or reading on. Nesting is limited to [`MAX_DEPTH`]
/// levels, and problems to [`MAX_ERRORS_PER_FILE`] (then a count of the others).
///
/// # Errors
/// Every problem of the file, each naming the file, the plugin and the key.
pub fn load_file(path: &Path, registry: &Registry) -> Result<PipelineConfig, ConfigErrors> {
    let (config, errors) = load_file_partial(path, registry);
    match config {
        Some(c) => errors.into_result(c),
        None => Err(errors),
    }
}

/// Like [`load_file`], but also returns what could be read when there are errors: the
/// config with the plugins that resolved (so that their parameters can be checked too), or
/// `None` when the file cannot be read or parsed.
#[must_use]
pub fn load_file_partial(
    path: &Path,
    registry: &Registry,
) -> (Option<PipelineConfig>, ConfigErrors) {
    let file = path.display().to_string();
    let text = match pipeplug::fs::read_to_string_limited(path, pipeplug::fs::CONFIG_FILE_LIMIT) {
        Ok(t) => t,
        Err(e) => {
            return (
                None,
                ConfigDiagnostic::file(&file, Problem::Io(e.kind.to_string())).into(),
            )
        }
    };
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("pipeline")
        .to_owned();
    load_str_partial(&text, Format::from_path(path), &file, &name, registry)
}

/// Reads a config text; `file` names it in messages and `name` is its config name.
///
/// # Errors
/// Every problem found, as [`load_file`].
pub fn load_str(
    text: &str,
    format: Format,
    file: &str,
    name: &str,
    registry: &Registry,
) -> Result<PipelineConfig, ConfigErrors> {
    let (config, errors) = load_str_partial(text, format, file, name, registry);
    match config {
        Some(c) => errors.into_result(c),
        None => Err(errors),
    }
}

/// Like [`load_str`], returning what could be read beside the errors (see
/// [`load_file_partial`]).
#[must_use]
pub fn load_str_partial(
    text: &str,
    format: Format,
    file: &str,
    name: &str,
    registry: &Registry,
) -> (Option<PipelineConfig>, ConfigErrors) {
    match read(text, format, file, name, registry) {
        Ok((config, errors)) => (Some(config), ConfigErrors { errors }),
        Err(errors) => (None, errors),
    }
}

fn read(
    text: &str,
    format: Format,
    file: &str,
    name: &str,
    registry: &Registry,
) -> Result<(PipelineConfig, Vec<ConfigDiagnostic>), ConfigErrors> {
    let value = parse::parse(text, format, file)?;
    if !value.is_object() {
        return Err(ConfigDiagnostic::file(
            file,
            Problem::WrongType {
                expected: "a map with `inputs`, `flushers`, ...".to_owned(),
                found: error::describe(&value),
            },
        )
        .into());
    }
    let mut errors = Vec::new();
    let top = TopLevel::decode(&value, file, &mut errors);
    let (global, warnings) = global::decode(top.global, file, &mut errors);
    let mut config = PipelineConfig {
        file: file.to_owned(),
        name: name.to_owned(),
        enable: top.enable,
        structure: global.structure_type,
        global,
        inputs: Vec::new(),
        processors: Vec::new(),
        aggregators: Vec::new(),
        flushers: Vec::new(),
        extensions: Vec::new(),
        warnings,
    };
    if !config.enable {
        // Skipped as a whole: its plugins may not even be in this binary.
        return Ok((config, errors));
    }
    let mut more = 0;
    cap(&mut errors, Vec::new(), &mut more);
    for (section, list) in top.sections {
        *config.section_mut(section) =
            read_section_capped(section, list, registry, file, &mut errors, &mut more);
    }
    config.order_and_number();
    config.warn_clamped_intervals();
    missing_lists(&top.sections, file, &mut errors);
    cap(&mut errors, Vec::new(), &mut more);
    if more > 0 {
        errors.push(ConfigDiagnostic::file(file, Problem::MoreErrors(more)));
    }
    Ok((config, errors))
}

/// Plugins read at a time, so that the problems of a huge list are counted, not all kept.
const CHUNK: usize = 256;

/// Reads a plugin list as [`plugins::read_section`] does, a chunk at a time, keeping at most
/// [`MAX_ERRORS_PER_FILE`] problems in `errors` and counting the others in `more`.
fn read_section_capped(
    section: Section,
    list: &serde_json::Value,
    registry: &Registry,
    file: &str,
    errors: &mut Vec<ConfigDiagnostic>,
    more: &mut usize,
) -> Vec<PluginSpec> {
    let serde_json::Value::Array(items) = list else {
        return plugins::read_section(section, list, registry, file, errors);
    };
    let mut specs = Vec::new();
    let mut read_part =
        |part: Vec<serde_json::Value>, offset: usize, errors: &mut Vec<_>, more: &mut usize| {
            let mut found = Vec::new();
            let part = serde_json::Value::Array(part);
            let mut read = plugins::read_section(section, &part, registry, file, &mut found);
            for spec in &mut read {
                spec.position.index += offset;
            }
            for d in &mut found {
                if let Some(p) = d.plugin.as_mut() {
                    p.index += offset;
                }
            }
            specs.append(&mut read);
            cap(errors, found, more);
        };
    for (n, chunk) in items.chunks(CHUNK).enumerate() {
        let offset = n * CHUNK;
        if errors.len() < MAX_ERRORS_PER_FILE {
            read_part(chunk.to_vec(), offset, errors, more);
            continue;
        }
        // Only counted from here on: an entry that is not a map is one problem, known
        // without reading it; the maps are read one by one for their problems and specs.
        *more += chunk.iter().filter(|i| !i.is_object()).count();
        for (i, item) in chunk.iter().enumerate().filter(|(_, i)| i.is_object()) {
            read_part(vec![item.clone()], offset + i, errors, more);
        }
    }
    specs
}

/// Moves `found` into `errors` up to [`MAX_ERRORS_PER_FILE`]; counts the rest in `more`.
fn cap(errors: &mut Vec<ConfigDiagnostic>, found: Vec<ConfigDiagnostic>, more: &mut usize) {
    if errors.len() > MAX_ERRORS_PER_FILE {
        *more += errors.len() - MAX_ERRORS_PER_FILE;
        errors.truncate(MAX_ERRORS_PER_FILE);
    }
    let room = MAX_ERRORS_PER_FILE - errors.len();
    *more += found.len().saturating_sub(room);
    errors.extend(found.into_iter().take(room));
}

impl PipelineConfig {
    /// Puts processors in running order and gives every plugin its ID.
    fn order_and_number(&mut self) {
        // Processors run in list order; an explicit `#priority` moves one (stable).
        self.processors.sort_by_key(|s| {
            s.plugin_type
                .priority
                .map_or(s.position.index as i64, i64::from)
        });
        plugins::assign_ids(
            self.extensions
                .iter_mut()
                .chain(&mut self.inputs)
                .chain(&mut self.processors)
                .chain(&mut self.aggregators)
                .chain(&mut self.flushers),
        );
    }

    /// Warns about the intervals the runners will raise to 1 ms: a metric input's
    /// `IntervalMs` of 0 or below a millisecond (`1ns`), and a zero global interval.
    fn warn_clamped_intervals(&mut self) {
        use pipeplug::runner::{Interval, IntervalSource, INTERVAL_MS_KEY};
        let mut found = Vec::new();
        for spec in self
            .inputs
            .iter()
            .filter(|s| s.kind() == PluginKind::MetricInput)
        {
            let Some((key, value)) = spec.params.as_object().and_then(|m| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(INTERVAL_MS_KEY))
            }) else {
                continue;
            };
            let requested = match value {
                serde_json::Value::Number(n) => n.as_u64().map(std::time::Duration::from_millis),
                serde_json::Value::String(s) => humantime::parse_duration(s).ok(),
                _ => None,
            };
            let interval = requested.map(|r| Interval::clamp(r, IntervalSource::ConfigIntervalMs));
            if let Some(w) = interval.and_then(|i| i.clamp_warning()) {
                found.push(
                    ConfigDiagnostic::file(&self.file, Problem::Pipeline(w))
                        .at_plugin(spec.position.clone())
                        .at_key(key.clone()),
                );
            }
        }
        for (key, ms, source) in [
            (
                "global.InputIntervalMs",
                self.global.input_interval_ms,
                IntervalSource::GlobalInputInterval,
            ),
            (
                "global.AggregatIntervalMs",
                self.global.aggregat_interval_ms,
                IntervalSource::GlobalAggregatorInterval,
            ),
        ] {
            let interval = Interval::clamp(std::time::Duration::from_millis(ms), source);
            if let Some(w) = interval.clamp_warning() {
                found.push(ConfigDiagnostic::file(&self.file, Problem::Pipeline(w)).at_key(key));
            }
        }
        self.warnings.extend(found);
    }

    fn section_mut(&mut self, section: Section) -> &mut Vec<PluginSpec> {
        match section {
            Section::Inputs => &mut self.inputs,
            Section::Processors => &mut self.processors,
            Section::Aggregators => &mut self.aggregators,
            Section::Flushers => &mut self.flushers,
            Section::Extensions => &mut self.extensions,
        }
    }
}

/// A diagnostic for `inputs` or `flushers` when absent or empty: a pipeline needs both.
fn missing_lists(
    sections: &[(Section, &serde_json::Value)],
    file: &str,
    errors: &mut Vec<ConfigDiagnostic>,
) {
    for (section, list) in sections {
        if matches!(*section, Section::Inputs | Section::Flushers) && is_empty_list(list) {
            errors.push(
                ConfigDiagnostic::file(
                    file,
                    Problem::Pipeline(format!(
                        "no {section}: a pipeline needs at least one (`{section}: [ {{Type: ...}} ]`)"
                    )),
                )
                .at_key(section.as_str()),
            );
        }
    }
}

/// The top level of a pipeline file, its keys matched as plugin configs match theirs.
struct TopLevel<'a> {
    enable: bool,
    global: &'a serde_json::Value,
    /// Every list, in [`Section::ALL`]'s order (`null` when absent).
    sections: [(Section, &'a serde_json::Value); 5],
}

impl<'a> TopLevel<'a> {
    /// Decodes the top-level map; its problems go to `errors`.
    fn decode(
        value: &'a serde_json::Value,
        file: &str,
        errors: &mut Vec<ConfigDiagnostic>,
    ) -> Self {
        const NULL: &serde_json::Value = &serde_json::Value::Null;
        let mut top = Self {
            enable: true,
            global: NULL,
            sections: Section::ALL.map(|s| (s, NULL)),
        };
        let Ok(mut d) = Decoder::options(file, &TOP_KEYS).decode(value) else {
            return top; // a map, checked by the caller
        };
        top.enable = d.value(0, "bool").unwrap_or(true);
        top.global = d.raw(1).map_or(NULL, |(_, v)| v);
        for (section, list) in &mut top.sections {
            if let Some(index) = TOP_KEYS.iter().position(|k| *k == section.as_str()) {
                *list = d.raw(index).map_or(NULL, |(_, v)| v);
            }
        }
        errors.extend(
            d.into_problems()
                .into_iter()
                .map(|p| ConfigDiagnostic::decoded(file, "", p)),
        );
        top
    }
}

fn is_empty_list(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Array(a) => a.is_empty(),
        _ => false,
    }
}
