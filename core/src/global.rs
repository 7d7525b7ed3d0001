//! [`GlobalConfig`]: the `global` section of a pipeline config, and how it is decoded.

use crate::config::Decoder;
use crate::{ConfigError, ConfigProblem, ConfigProblemKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Which plugin interfaces a pipeline runs (`global.StructureType`); written `v1` or `v2`,
/// in any case.
///
/// ```
/// use pipeplug::StructureType;
/// assert_eq!("V2".parse::<StructureType>(), Ok(StructureType::V2));
/// assert_eq!(StructureType::default().to_string(), "v1");
/// assert_eq!(
///     "v3".parse::<StructureType>().unwrap_err(),
///     "unknown StructureType `v3`; expected `v1` (the default) or `v2`"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StructureType {
    /// V1: `protocol` logs and log groups (the default, as in iLogtail).
    #[default]
    V1,
    /// V2: `models` event groups.
    V2,
}

impl fmt::Display for StructureType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
        })
    }
}

impl FromStr for StructureType {
    type Err = String;

    /// `v1` or `v2`, in any case; the error is the message a config check shows.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("v1") {
            Ok(Self::V1)
        } else if s.eq_ignore_ascii_case("v2") {
            Ok(Self::V2)
        } else {
            Err(format!(
                "unknown StructureType `{s}`; expected `v1` (the default) or `v2`"
            ))
        }
    }
}

impl Serialize for StructureType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StructureType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StructureType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`v1` or `v2`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StructureType, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// The `global` section of a pipeline config, with iLogtail's defaults
/// (`pkg/config/global_config.go`). Keys are iLogtail's (`InputIntervalMs`, ...), matched
/// case-insensitively by [`GlobalConfig::decode`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GlobalConfig {
    /// Which plugin interfaces the pipeline runs.
    pub structure_type: StructureType,
    /// Default interval of metric inputs, in milliseconds.
    pub input_interval_ms: u64,
    /// Upper bound of the random delay before a metric input's first run, in milliseconds.
    pub input_max_first_collect_delay_ms: u64,
    /// Default flush interval of aggregators, in milliseconds.
    pub aggregat_interval_ms: u64,
    /// Capacity of the queue between inputs and processors, in logs or groups.
    pub default_log_queue_size: usize,
    /// Capacity of the queue between aggregators and flushers, in log groups.
    pub default_log_group_queue_size: usize,
    /// Tags added to every group.
    pub tags: BTreeMap<String, String>,
    /// Whether V1 logs carry nanoseconds.
    pub enable_timestamp_nanosecond: bool,
    /// The IP address plugins report (`HostIP`), instead of the machine's; empty: the
    /// machine's (see [`HostIdentity`](crate::HostIdentity)).
    #[serde(rename = "HostIP")]
    pub host_ip: String,
    /// The host name plugins report (`Hostname`), instead of the machine's; empty: the
    /// machine's.
    pub hostname: String,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        Self {
            structure_type: StructureType::V1,
            input_interval_ms: 1000,
            input_max_first_collect_delay_ms: 10_000,
            aggregat_interval_ms: 3000,
            default_log_queue_size: 1000,
            default_log_group_queue_size: 4,
            tags: BTreeMap::new(),
            enable_timestamp_nanosecond: false,
            host_ip: String::new(),
            hostname: String::new(),
        }
    }
}

/// A decoded `global` section: the settings (defaults where a key is absent or wrong), the
/// iLogtail keys that were ignored, and every problem.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedGlobal {
    /// The settings.
    pub config: GlobalConfig,
    /// iLogtail keys accepted and ignored, as written (worth a warning).
    pub ignored: Vec<String>,
    /// Every problem, each with its key as written (`InputIntervalMs`); the path is empty
    /// when the section is not a map.
    pub problems: Vec<ConfigProblem>,
}

impl GlobalConfig {
    /// The keys of `global`, in field order.
    pub const KEYS: &'static [&'static str] = &[
        "StructureType",
        "InputIntervalMs",
        "InputMaxFirstCollectDelayMs",
        "AggregatIntervalMs",
        "DefaultLogQueueSize",
        "DefaultLogGroupQueueSize",
        "Tags",
        "EnableTimestampNanosecond",
        "HostIP",
        "Hostname",
    ];

    /// iLogtail `global` keys that pipeplug accepts and ignores: they concern the C++ core,
    /// containers, SLS or the flusher loop, which pipeplug does not have. Anything else
    /// unknown is an error.
    pub const IGNORED_KEYS: &'static [&'static str] = &[
        "AlwaysOnline",
        "DelayStopSec",
        "UsingOldContentTag",
        "EnableProcessorTag",
        "PipelineMetaTagKey",
        "AgentEnvMetaTagKey",
        "EnableSlsMetricsFormat",
        "EnableContainerdUpperDirDetect",
        "GoInputToNativeProcessor",
        "DefaultLogQueueSizeForFile",
        "FlushIntervalMs",
    ];

    /// Decodes a `global` map (`null`: every default) over iLogtail's defaults, the way the
    /// agent reads its pipeline files: keys matched exactly, then case-insensitively;
    /// [`IGNORED_KEYS`](Self::IGNORED_KEYS) listed for a warning; an unknown key, a value
    /// of the wrong type, an unknown `StructureType`, a queue size past its bound or a
    /// `HostIP` that is not an IP address is a problem.
    ///
    /// ```
    /// use pipeplug::StructureType;
    /// use pipeplug::GlobalConfig;
    ///
    /// let global = serde_json::json!({"structuretype": "V2", "InputIntervalMs": 500, "AlwaysOnline": true});
    /// let d = GlobalConfig::decode(&global);
    /// assert!(d.problems.is_empty());
    /// assert_eq!(d.config.structure_type, StructureType::V2);
    /// assert_eq!(d.config.input_interval_ms, 500);
    /// assert_eq!(d.ignored, ["AlwaysOnline"]);
    ///
    /// let d = GlobalConfig::decode(&serde_json::json!({"InputIntervlMs": 1}));
    /// assert!(d.problems[0].to_string().starts_with(
    ///     "key `InputIntervlMs`: unknown key, did you mean `InputIntervalMs`?"
    /// ));
    /// ```
    #[must_use]
    pub fn decode(config: &Value) -> DecodedGlobal {
        let mut out = DecodedGlobal {
            config: Self::default(),
            ignored: Vec::new(),
            problems: Vec::new(),
        };
        let options = Decoder::options("global", Self::KEYS).ignore(Self::IGNORED_KEYS);
        let mut d = match options.decode(config) {
            Ok(d) => d,
            Err(e) => {
                out.problems = e.problems;
                return out;
            }
        };
        let g = &mut out.config;
        if let Some((key, value)) = d.raw(0).filter(|(_, v)| !v.is_null()) {
            match StructureType::deserialize(value) {
                Ok(s) => g.structure_type = s,
                Err(e) => d.report(key, ConfigProblemKind::Custom(e.to_string())),
            }
        }
        set(&mut g.input_interval_ms, d.value(1, "u64"));
        set(&mut g.input_max_first_collect_delay_ms, d.value(2, "u64"));
        set(&mut g.aggregat_interval_ms, d.value(3, "u64"));
        set(
            &mut g.default_log_queue_size,
            queue_size(&mut d, 4, 1_000_000),
        );
        set(
            &mut g.default_log_group_queue_size,
            queue_size(&mut d, 5, 4_000),
        );
        set(&mut g.tags, d.value(6, "BTreeMap<String, String>"));
        set(&mut g.enable_timestamp_nanosecond, d.value(7, "bool"));
        set(&mut g.host_ip, host_ip(&mut d, 8));
        set(&mut g.hostname, d.value(9, "String"));
        out.ignored = d.ignored().to_vec();
        out.problems = d.into_problems();
        out
    }

    /// Decodes a `global` map as [`decode`](Self::decode) does, logging a warning for each
    /// ignored key.
    ///
    /// # Errors
    /// Every problem found, under the subject `global`.
    pub fn from_config(config: &Value) -> Result<Self, ConfigError> {
        let d = Self::decode(config);
        for key in &d.ignored {
            tracing::warn!(key = %key, "an iLogtail `global` setting that pipeplug ignores");
        }
        if d.problems.is_empty() {
            Ok(d.config)
        } else {
            Err(ConfigError {
                plugin: "global".to_owned(),
                problems: d.problems,
            })
        }
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

/// The queue size at `index`, from 1 to `max`: queues are allocated up front, so a size
/// past the bound (1,000 times iLogtail's default) would exhaust memory.
fn queue_size(d: &mut Decoder<'_>, index: usize, max: u64) -> Option<usize> {
    let (key, value) = d.raw(index)?;
    if value.is_null() {
        return None;
    }
    match value.as_u64().filter(|n| (1..=max).contains(n)) {
        Some(n) => usize::try_from(n).ok(),
        None => {
            d.report(
                key,
                ConfigProblemKind::Invalid {
                    expected: format!("an integer from 1 to {max}"),
                    reason: format!("found {value}"),
                },
            );
            None
        }
    }
}

/// The `HostIP` at `index`: empty (the machine's address) or an IP address.
fn host_ip(d: &mut Decoder<'_>, index: usize) -> Option<String> {
    let (key, value) = d.raw(index)?;
    if value.is_null() {
        return None;
    }
    match value.as_str() {
        Some(s) if s.is_empty() || s.parse::<std::net::IpAddr>().is_ok() => Some(s.to_owned()),
        _ => {
            d.report(
                key,
                ConfigProblemKind::Invalid {
                    expected: "an IP address such as `192.168.0.10`".to_owned(),
                    reason: format!("found {value}"),
                },
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{GlobalConfig, StructureType};
    use serde_json::json;

    #[test]
    fn queue_sizes_are_bounded() {
        for (key, v) in [
            ("DefaultLogQueueSize", json!(100_000_000_000_u64)),
            ("DefaultLogQueueSize", json!(0)),
            ("DefaultLogQueueSize", json!("x")),
            ("DefaultLogGroupQueueSize", json!(u64::MAX)),
        ] {
            let d = GlobalConfig::decode(&json!({ key: v }));
            assert_eq!(d.problems.len(), 1, "{key}: {v}");
            let text = d.problems[0].to_string();
            assert!(text.contains("expected an integer from 1 to"), "{text}");
        }
        let d = GlobalConfig::decode(&json!({"DefaultLogQueueSize": 5000}));
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.config.default_log_queue_size, 5000);
    }

    #[test]
    fn keys_match_case_insensitively_over_defaults() {
        let d = GlobalConfig::decode(
            &json!({"structuretype": "V2", "inputIntervalMs": 5, "Tags": {"a": "b"}}),
        );
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(d.config.structure_type, StructureType::V2);
        assert_eq!(d.config.input_interval_ms, 5);
        assert_eq!(d.config.aggregat_interval_ms, 3000);
        assert_eq!(d.config.tags.get("a").map(String::as_str), Some("b"));
        assert_eq!(
            GlobalConfig::decode(&json!(null)).config,
            GlobalConfig::default()
        );
    }

    #[test]
    fn unknown_structure_type_and_typos_are_errors() {
        let d = GlobalConfig::decode(&json!({
            "StructureType": "v3",
            "InputIntervalMS": "x",
            "InputIntervlMs": 1,
            "AlwaysOnline": true,
            "StructureTYPE": "v1",
        }));
        let text: Vec<String> = d.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "key `InputIntervlMs`: unknown key, did you mean `InputIntervalMs`?; accepted \
                 keys: `StructureType`, `InputIntervalMs`, `InputMaxFirstCollectDelayMs`, \
                 `AggregatIntervalMs`, `DefaultLogQueueSize`, `DefaultLogGroupQueueSize`, \
                 `Tags`, `EnableTimestampNanosecond`, `HostIP`, `Hostname`",
                "key `StructureTYPE`: given twice, also as `StructureType`",
                "key `StructureType`: unknown StructureType `v3`; expected `v1` (the default) or \
                 `v2`",
                "key `InputIntervalMS`: expected `u64`: invalid type: string \"x\", expected u64",
            ]
        );
        assert_eq!(d.ignored, ["AlwaysOnline"]);
        let d = GlobalConfig::decode(&json!({"StructureType": 2}));
        assert_eq!(
            d.problems[0].to_string(),
            "key `StructureType`: invalid type: integer `2`, expected `v1` or `v2`"
        );
    }

    #[test]
    fn not_a_map_and_from_config() {
        let d = GlobalConfig::decode(&json!([1]));
        assert_eq!(
            d.problems[0].to_string(),
            "expected a map of keys, found a list"
        );
        let e = GlobalConfig::from_config(&json!({"Tags": 3})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "plugin `global`: key `Tags`: expected `BTreeMap<String, String>`: invalid type: \
             integer `3`, expected a map"
        );
        let g = GlobalConfig::from_config(&json!({"AlwaysOnline": true})).unwrap();
        assert_eq!(g, GlobalConfig::default());
    }

    #[test]
    fn host_identity_keys_are_decoded_and_checked() {
        let d = GlobalConfig::decode(&json!({"HostIP": "10.0.0.5", "hostname": "web-1"}));
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert!(d.ignored.is_empty(), "{:?}", d.ignored);
        assert_eq!(d.config.host_ip, "10.0.0.5");
        assert_eq!(d.config.hostname, "web-1");
        // Serialized under iLogtail's key names.
        let v = serde_json::to_value(&d.config).unwrap();
        assert_eq!(v["HostIP"], "10.0.0.5");
        assert_eq!(v["Hostname"], "web-1");
        let d = GlobalConfig::decode(&json!({"HostIP": "x", "Hostname": 3}));
        let text: Vec<String> = d.problems.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].starts_with("key `HostIP`: expected an IP address such as `192.168.0.10`"),
            "{text:?}"
        );
        assert!(
            text[1].starts_with("key `Hostname`: expected `String`"),
            "{text:?}"
        );
        assert_eq!(d.config.host_ip, "");
    }
}
