//! One entry of a plugin list: its `Type`, its parameters, and the registered plugin.

use super::error::{closest as closest_name, describe, ConfigDiagnostic, PluginPosition, Problem};
use super::{PluginSpec, Section};
use pipeplug::registry::{PluginKind, PluginType, Registry};
use serde_json::{Map, Value};

/// Reads the list `section` (absent or null: empty) into specs; problems go to `errors`.
pub(crate) fn read_section(
    section: Section,
    value: Option<&Value>,
    registry: &Registry,
    file: &str,
    errors: &mut Vec<ConfigDiagnostic>,
) -> Vec<PluginSpec> {
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            errors.push(
                ConfigDiagnostic::file(
                    file,
                    Problem::WrongType {
                        expected: format!("a list of plugins (`{section}: [ {{Type: ...}} ]`)"),
                        found: describe(other),
                    },
                )
                .at_key(section.as_str()),
            );
            return Vec::new();
        }
    };
    let mut specs = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let mut position = PluginPosition {
            section,
            index,
            type_string: String::new(),
        };
        let diag = |p: &PluginPosition, problem: Problem| {
            ConfigDiagnostic::file(file, problem).at_plugin(p.clone())
        };
        let Value::Object(map) = item else {
            errors.push(diag(
                &position,
                Problem::WrongType {
                    expected: "a map with `Type` and the plugin's parameters".to_owned(),
                    found: describe(item),
                },
            ));
            continue;
        };
        let (type_value, params) = match split_entry(map) {
            Ok(x) => x,
            Err((key, problem)) => {
                errors.push(match key {
                    Some(k) => diag(&position, problem).at_key(k),
                    None => diag(&position, problem),
                });
                continue;
            }
        };
        let Value::String(type_string) = type_value else {
            errors.push(
                diag(
                    &position,
                    Problem::WrongType {
                        expected: "a plugin name".to_owned(),
                        found: describe(type_value),
                    },
                )
                .at_key("Type"),
            );
            continue;
        };
        position.type_string.clone_from(type_string);
        let plugin_type = match PluginType::parse(type_string) {
            Ok(t) => t,
            Err(e) => {
                errors.push(diag(&position, Problem::TypeString(e.to_string())).at_key("Type"));
                continue;
            }
        };
        match resolve(section, &plugin_type.name, registry) {
            Ok(descriptor) => specs.push(PluginSpec {
                position,
                plugin_type,
                id: String::new(),
                descriptor,
                params,
            }),
            Err(problem) => errors.push(diag(&position, problem)),
        }
    }
    specs
}

/// Splits an entry into its type value and its parameters: the internal form
/// (`type` + `detail`) or the user form (`Type` + flattened parameters).
fn split_entry(map: &Map<String, Value>) -> Result<(&Value, Value), (Option<String>, Problem)> {
    let type_keys: Vec<&String> = map
        .keys()
        .filter(|k| k.eq_ignore_ascii_case("type"))
        .collect();
    let type_key = match type_keys.as_slice() {
        [] => return Err((None, Problem::MissingType)),
        [k] => *k,
        [a, b, ..] => {
            return Err((
                Some((*b).clone()),
                Problem::DuplicateKey {
                    other: (*a).clone(),
                },
            ))
        }
    };
    let type_value = &map[type_key.as_str()];
    let internal =
        (map.contains_key("detail") && map.len() == 2) || (type_key == "type" && map.len() == 1);
    let params = if internal {
        map.get("detail").cloned().unwrap_or(Value::Null)
    } else {
        let rest: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| *k != type_key)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if rest.is_empty() {
            Value::Null
        } else {
            Value::Object(rest)
        }
    };
    Ok((type_value, params))
}

/// The registered plugin for `name` in `section`.
fn resolve(
    section: Section,
    name: &str,
    registry: &Registry,
) -> Result<&'static pipeplug::registry::PluginDescriptor, Problem> {
    for kind in section.kinds() {
        if let Some(d) = registry.get(*kind, name) {
            return Ok(d);
        }
    }
    // The closest name over the section's kinds: the closest among each kind's closest.
    let closest: Vec<String> = section
        .kinds()
        .iter()
        .filter_map(|kind| registry.closest(*kind, name))
        .collect();
    let suggestion = closest_name(name, closest.iter().map(String::as_str)).map(str::to_owned);
    let elsewhere = registry
        .kinds_of(name)
        .into_iter()
        .find(|k| !section.kinds().contains(k));
    Err(Problem::UnknownPlugin {
        kind: section.singular(),
        name: name.to_owned(),
        suggestion,
        elsewhere,
    })
}

/// Sets each spec's ID as iLogtail does: `name/id` keeps its ID (a numeric one moves the
/// counter), a bare name gets the next number.
pub(crate) fn assign_ids<'a>(specs: impl IntoIterator<Item = &'a mut PluginSpec>) {
    let mut counter: i64 = 0;
    for spec in specs {
        match &spec.plugin_type.id {
            Some(id) => {
                if let Ok(n) = id.parse::<i64>() {
                    counter = n;
                }
                spec.id.clone_from(id);
            }
            None => {
                counter += 1;
                spec.id = counter.to_string();
            }
        }
    }
}

impl Section {
    /// The plugin kinds this list holds.
    pub fn kinds(self) -> &'static [PluginKind] {
        match self {
            Self::Inputs => &[PluginKind::MetricInput, PluginKind::ServiceInput],
            Self::Processors => &[PluginKind::Processor],
            Self::Aggregators => &[PluginKind::Aggregator],
            Self::Flushers => &[PluginKind::Flusher],
            Self::Extensions => &[PluginKind::Extension],
        }
    }

    /// The list that holds `kind`.
    #[must_use]
    pub fn of_kind(kind: PluginKind) -> Self {
        match kind {
            PluginKind::MetricInput | PluginKind::ServiceInput => Self::Inputs,
            PluginKind::Processor => Self::Processors,
            PluginKind::Aggregator => Self::Aggregators,
            PluginKind::Flusher => Self::Flushers,
            PluginKind::Extension => Self::Extensions,
        }
    }

    fn singular(self) -> &'static str {
        match self {
            Self::Inputs => "input",
            Self::Processors => "processor",
            Self::Aggregators => "aggregator",
            Self::Flushers => "flusher",
            Self::Extensions => "extension",
        }
    }
}
