//! One entry of a plugin list: its `Type`, its parameters, and the registered plugin.

use super::error::{closest as closest_name, describe, ConfigDiagnostic, PluginPosition, Problem};
use super::{PluginSpec, Section};
use pipeplug::config::Decoder;
use pipeplug::registry::{PluginKind, PluginType, Registry};
use serde_json::{Map, Value};

/// Reads the list `section` (`null`: empty) into specs; problems go to `errors`.
pub(crate) fn read_section(
    section: Section,
    value: &Value,
    registry: &Registry,
    file: &str,
    errors: &mut Vec<ConfigDiagnostic>,
) -> Vec<PluginSpec> {
    let items = match value {
        Value::Null => return Vec::new(),
        Value::Array(items) => items,
        other => {
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
        let position = PluginPosition {
            section,
            index,
            type_string: String::new(),
        };
        match read_entry(position, item, registry) {
            Ok(spec) => specs.push(spec),
            Err(problems) => errors.extend(problems.into_iter().map(|(position, key, p)| {
                let d = ConfigDiagnostic::file(file, p).at_plugin(position);
                match key {
                    Some(k) => d.at_key(k),
                    None => d,
                }
            })),
        }
    }
    specs
}

/// A problem of an entry: where (the position, and the key if any) and what.
type EntryProblem = (PluginPosition, Option<String>, Problem);

/// One entry: the user form (`Type` and the plugin's parameters beside it) or the internal
/// form (`type` and `detail`, the parameters). `Type` matches as a plugin's keys do (any
/// case); the other keys are the parameters, which the plugin's own decoder checks later.
fn read_entry(
    mut position: PluginPosition,
    item: &Value,
    registry: &Registry,
) -> Result<PluginSpec, Vec<EntryProblem>> {
    if !item.is_object() {
        let found = describe(item);
        let expected = "a map with `Type` and the plugin's parameters".to_owned();
        return Err(vec![(
            position,
            None,
            Problem::WrongType { expected, found },
        )]);
    }
    // `Delivery` is the engine's, beside a flusher's parameters; other plugins keep it.
    let keys: &[&str] = if position.section == Section::Flushers {
        &["Type", DELIVERY_KEY]
    } else {
        &["Type"]
    };
    let mut d = Decoder::options(position.to_string(), keys)
        .keep_unknown()
        .decode(item)
        .map_err(|_| Vec::new())?; // a map, checked above
    let type_value = d.raw(0);
    let delivery_value = if keys.len() > 1 { d.raw(1) } else { None };
    let rest = d.take_rest();
    let problems = d.into_problems();
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|p| {
                let key = Some(p.path).filter(|k| !k.is_empty());
                (position.clone(), key, Problem::PluginConfig(p.kind))
            })
            .collect());
    }
    let problem = |p: &PluginPosition, key: Option<&str>, problem| {
        vec![(p.clone(), key.map(str::to_owned), problem)]
    };
    let Some((_, type_value)) = type_value else {
        return Err(problem(&position, None, Problem::MissingType));
    };
    let Value::String(type_string) = type_value else {
        let found = describe(type_value);
        let expected = "a plugin name".to_owned();
        return Err(problem(
            &position,
            Some("Type"),
            Problem::WrongType { expected, found },
        ));
    };
    position.type_string.clone_from(type_string);
    let plugin_type = PluginType::parse(type_string)
        .map_err(|e| problem(&position, Some("Type"), Problem::TypeString(e.to_string())))?;
    let descriptor = resolve(position.section, &plugin_type.name, registry)
        .map_err(|p| problem(&position, None, p))?;
    let delivery = if position.section == Section::Flushers {
        flusher_delivery(descriptor, delivery_value.map(|(_, v)| v)).map_err(|ps| {
            ps.into_iter()
                .map(|(k, p)| (position.clone(), Some(k), p))
                .collect::<Vec<_>>()
        })?
    } else {
        DeliveryConfig::default()
    };
    Ok(PluginSpec {
        position,
        plugin_type,
        id: String::new(),
        descriptor,
        params: params(rest),
        delivery,
    })
}

/// The delivery settings of a flusher's entry (its `Delivery` key, an engine key of every
/// flusher, taken out before the plugin decodes its parameters), from `pipeplug::delivery`.
pub use pipeplug::delivery::{DeliveryConfig, DeliveryPolicy, DELIVERY_KEY};

/// A flusher's delivery settings from its `Delivery` value; a flusher declaring a
/// parameter of that name is an error (the engine takes the key).
fn flusher_delivery(
    descriptor: &pipeplug::registry::PluginDescriptor,
    value: Option<&Value>,
) -> Result<DeliveryConfig, Vec<(String, Problem)>> {
    if let Some(field) = descriptor
        .config_fields
        .iter()
        .find(|f| f.key.eq_ignore_ascii_case(DELIVERY_KEY))
    {
        return Err(vec![(
            field.key.to_owned(),
            Problem::Pipeline(format!(
                "flusher `{}` declares a parameter `{}`, but `{DELIVERY_KEY}` is reserved for the engine's delivery settings in every flusher entry; rename the parameter",
                descriptor.name, field.key
            )),
        )]);
    }
    value.map_or_else(
        || Ok(DeliveryConfig::default()),
        |v| {
            DeliveryConfig::decode(v).map_err(|ps| {
                ps.into_iter()
                    .map(|p| (p.path, Problem::PluginConfig(p.kind)))
                    .collect()
            })
        },
    )
}

/// The parameters: `detail` when it is the only key beside the type (the internal form),
/// else every other key (the user form); `null` when there is none.
fn params(mut rest: Map<String, Value>) -> Value {
    if rest.len() == 1 {
        if let Some(detail) = rest.remove("detail") {
            return detail;
        }
    }
    if rest.is_empty() {
        Value::Null
    } else {
        Value::Object(rest)
    }
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
