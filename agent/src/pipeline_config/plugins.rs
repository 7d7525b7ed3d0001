//! One entry of a plugin list: its `Type`, its parameters, and the registered plugin.

use super::error::{closest as closest_name, describe, ConfigDiagnostic, PluginPosition, Problem};
use super::{PluginSpec, Section};
use pipeplug::config::{Decoder, DurationUnit};
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

/// The key of a flusher's entry that holds its [`DeliveryConfig`], taken out before the
/// plugin decodes its parameters (a flusher cannot have a parameter of that name).
pub const DELIVERY_KEY: &str = "Delivery";

const DELIVERY_FIELDS: [&str; 4] = ["Policy", "MaxRetries", "RetryInitialDelay", "RetryMaxDelay"];

/// What the engine does when a flusher cannot take a batch: its queue is full while it is
/// not ready, or it is too slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryPolicy {
    /// `block` (the default, as iLogtail): the pipeline waits for the flusher; inputs feel
    /// the back-pressure, memory stays bounded, nothing is dropped.
    #[default]
    Block,
    /// `drop_newest`: once the flusher has been unready for the engine's stall grace with
    /// a full queue, the batches for it are dropped (counted, warned about at a limited
    /// rate) and the other flushers go on.
    DropNewest,
}

impl DeliveryPolicy {
    /// The policy as written in a pipeline file.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::DropNewest => "drop_newest",
        }
    }
}

/// A flusher's delivery settings: the map under its `Delivery` key
/// (`Delivery: {Policy: drop_newest, MaxRetries: 5, RetryInitialDelay: 100ms,
/// RetryMaxDelay: 5s}`), every key optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// `Policy`: `block` (default) or `drop_newest`.
    pub policy: DeliveryPolicy,
    /// `MaxRetries`: how many times a failed `flush`/`export` is retried (default 5; 0: never).
    pub max_retries: u32,
    /// `RetryInitialDelay`: the wait before the first retry (default 100 ms); it doubles at
    /// each retry, with up to ±25 % jitter.
    pub retry_initial_delay: std::time::Duration,
    /// `RetryMaxDelay`: the longest wait between retries (default 5 s).
    pub retry_max_delay: std::time::Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            policy: DeliveryPolicy::Block,
            max_retries: 5,
            retry_initial_delay: std::time::Duration::from_millis(100),
            retry_max_delay: std::time::Duration::from_secs(5),
        }
    }
}

impl DeliveryConfig {
    /// Decodes the `Delivery` map (`null`: every default).
    ///
    /// # Errors
    /// Each problem with its key path (`Delivery.Policy`) and what is wrong.
    pub fn decode(value: &Value) -> Result<Self, Vec<(String, Problem)>> {
        let at = |k: &str| format!("{DELIVERY_KEY}.{k}");
        let mut d = Decoder::options(DELIVERY_KEY, &DELIVERY_FIELDS)
            .decode(value)
            .map_err(|e| {
                e.problems
                    .into_iter()
                    .map(|p| (DELIVERY_KEY.to_owned(), Problem::PluginConfig(p.kind)))
                    .collect::<Vec<_>>()
            })?;
        let mut c = Self::default();
        let mut own = Vec::new();
        if let Some((key, v)) = d.raw(0) {
            match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("block") => c.policy = DeliveryPolicy::Block,
                Some("drop_newest") => c.policy = DeliveryPolicy::DropNewest,
                _ => own.push((
                    at(key),
                    Problem::WrongType {
                        expected: "`block` or `drop_newest`".to_owned(),
                        found: describe(v),
                    },
                )),
            }
        }
        if let Some(n) = d.value::<u32>(1, "u32") {
            c.max_retries = n;
        }
        if let Some(t) = d.duration(2, DurationUnit::Millis) {
            c.retry_initial_delay = t;
        }
        if let Some(t) = d.duration(3, DurationUnit::Millis) {
            c.retry_max_delay = t;
        }
        if c.retry_initial_delay < std::time::Duration::from_millis(1)
            || c.retry_max_delay < c.retry_initial_delay
        {
            own.push((
                at("RetryMaxDelay"),
                Problem::Pipeline(format!(
                    "retry delays must be at least 1ms and RetryInitialDelay ({}) at most RetryMaxDelay ({})",
                    pipeplug::config::format_duration(c.retry_initial_delay),
                    pipeplug::config::format_duration(c.retry_max_delay)
                )),
            ));
        }
        let mut problems: Vec<(String, Problem)> = d
            .into_problems()
            .into_iter()
            .map(|p| {
                let key = if p.path.is_empty() {
                    DELIVERY_KEY.to_owned()
                } else {
                    at(&p.path)
                };
                (key, Problem::PluginConfig(p.kind))
            })
            .collect();
        problems.extend(own);
        if problems.is_empty() {
            Ok(c)
        } else {
            Err(problems)
        }
    }
}

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
    value.map_or_else(|| Ok(DeliveryConfig::default()), DeliveryConfig::decode)
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
