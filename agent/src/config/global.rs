//! The `global` section: decoded over iLogtail's defaults, keys matched case-insensitively.

use super::error::{closest, describe, ConfigDiagnostic, Problem};
use pipeplug::GlobalConfig;
use serde_json::{Map, Value};

/// Which plugin interfaces a pipeline runs (`global.StructureType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StructureType {
    /// V1: `protocol` logs and log groups (the default, as in iLogtail).
    #[default]
    V1,
    /// V2: `models` event groups.
    V2,
}

impl std::fmt::Display for StructureType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
        })
    }
}

/// iLogtail `global` keys that pipeplug accepts and ignores: they concern the C++ core,
/// containers or SLS, which pipeplug does not have. Anything else unknown is an error.
const IGNORED_ILOGTAIL_KEYS: &[&str] = &[
    "AlwaysOnline",
    "DelayStopSec",
    "UsingOldContentTag",
    "EnableProcessorTag",
    "PipelineMetaTagKey",
    "AgentEnvMetaTagKey",
    "EnableSlsMetricsFormat",
    "EnableContainerdUpperDirDetect",
    "GoInputToNativeProcessor",
    "HostIP",
    "Hostname",
    "DefaultLogQueueSizeForFile",
];

/// The decoded `global` section, and the ignored keys (for warnings).
pub(crate) struct DecodedGlobal {
    pub global: GlobalConfig,
    pub structure: StructureType,
    pub ignored: Vec<String>,
}

/// Decodes `global` (absent or null: every default). Every problem is pushed to `errors`.
pub(crate) fn decode(
    value: Option<&Value>,
    file: &str,
    errors: &mut Vec<ConfigDiagnostic>,
) -> DecodedGlobal {
    let defaults = GlobalConfig::default();
    let mut out = DecodedGlobal {
        global: defaults.clone(),
        structure: StructureType::V1,
        ignored: Vec::new(),
    };
    let map = match value {
        None | Some(Value::Null) => return out,
        Some(Value::Object(m)) => m,
        Some(other) => {
            errors.push(
                ConfigDiagnostic::file(
                    file,
                    Problem::WrongType {
                        expected: "a map of settings".to_owned(),
                        found: describe(other),
                    },
                )
                .at_key("global"),
            );
            return out;
        }
    };
    let Ok(Value::Object(default_map)) = serde_json::to_value(&defaults) else {
        return out;
    };
    let known: Vec<&str> = default_map.keys().map(String::as_str).collect();
    let mut merged = default_map.clone();
    let mut seen: Vec<(String, String)> = Vec::new(); // (canonical, as written)
    for (key, v) in map {
        let canonical = known
            .iter()
            .find(|k| **k == key)
            .or_else(|| known.iter().find(|k| k.eq_ignore_ascii_case(key)))
            .map(|k| (*k).to_owned());
        let Some(canonical) = canonical else {
            if IGNORED_ILOGTAIL_KEYS
                .iter()
                .any(|k| k.eq_ignore_ascii_case(key))
            {
                out.ignored.push(key.clone());
                continue;
            }
            let mut accepted: Vec<String> = known.iter().map(|k| (*k).to_owned()).collect();
            accepted.sort();
            errors.push(
                ConfigDiagnostic::file(
                    file,
                    Problem::UnknownKey {
                        closest: closest(key, known.iter().copied()).map(str::to_owned),
                        accepted,
                    },
                )
                .at_key(format!("global.{key}")),
            );
            continue;
        };
        if let Some((_, other)) = seen.iter().find(|(c, _)| *c == canonical) {
            errors.push(
                ConfigDiagnostic::file(
                    file,
                    Problem::DuplicateKey {
                        other: other.clone(),
                    },
                )
                .at_key(format!("global.{key}")),
            );
            continue;
        }
        seen.push((canonical.clone(), key.clone()));
        if canonical == "StructureType" {
            match v.as_str().map(str::to_lowercase).as_deref() {
                Some("v1") => out.structure = StructureType::V1,
                Some("v2") => out.structure = StructureType::V2,
                Some(_) => errors.push(
                    ConfigDiagnostic::file(
                        file,
                        Problem::UnknownStructureType(v.as_str().unwrap_or_default().to_owned()),
                    )
                    .at_key(format!("global.{key}")),
                ),
                None => errors.push(
                    ConfigDiagnostic::file(
                        file,
                        Problem::WrongType {
                            expected: "`v1` or `v2`".to_owned(),
                            found: describe(v),
                        },
                    )
                    .at_key(format!("global.{key}")),
                ),
            }
            merged.insert(canonical, Value::String(out.structure.to_string()));
            continue;
        }
        // Check the value alone, so that the error names its key.
        let mut single = Map::new();
        single.insert(canonical.clone(), v.clone());
        if let Err(e) = serde_json::from_value::<GlobalConfig>(Value::Object(single)) {
            errors.push(
                ConfigDiagnostic::file(
                    file,
                    Problem::WrongType {
                        expected: expected_for(&canonical).to_owned(),
                        found: format!("{} ({e})", describe(v)),
                    },
                )
                .at_key(format!("global.{key}")),
            );
            continue;
        }
        // Queues are allocated up front: a size past the bound would exhaust memory.
        if let Some(max) = queue_bound(&canonical) {
            if !v.as_u64().is_some_and(|n| (1..=max).contains(&n)) {
                errors.push(
                    ConfigDiagnostic::file(
                        file,
                        Problem::WrongType {
                            expected: format!("an integer from 1 to {max}"),
                            found: describe(v),
                        },
                    )
                    .at_key(format!("global.{key}")),
                );
                continue;
            }
        }
        merged.insert(canonical, v.clone());
    }
    if let Ok(g) = serde_json::from_value::<GlobalConfig>(Value::Object(merged)) {
        out.global = g;
    }
    out
}

/// The largest accepted value of a queue size key: 1,000 times iLogtail's default.
fn queue_bound(key: &str) -> Option<u64> {
    match key {
        "DefaultLogQueueSize" => Some(1_000_000),
        "DefaultLogGroupQueueSize" => Some(4_000),
        _ => None,
    }
}

fn expected_for(key: &str) -> &'static str {
    match key {
        "Tags" => "a map of strings",
        "EnableTimestampNanosecond" => "a boolean",
        "StructureType" => "`v1` or `v2`",
        _ => "a non-negative integer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> (DecodedGlobal, Vec<ConfigDiagnostic>) {
        let mut errors = Vec::new();
        let d = decode(Some(&v), "f.yaml", &mut errors);
        (d, errors)
    }

    #[test]
    fn queue_sizes_are_bounded() {
        for (key, v) in [
            ("DefaultLogQueueSize", json!(100_000_000_000_u64)),
            ("DefaultLogQueueSize", json!(0)),
            ("DefaultLogGroupQueueSize", json!(u64::MAX)),
        ] {
            let (_, errors) = run(json!({ key: v }));
            assert_eq!(errors.len(), 1, "{key}: {v}");
            assert!(
                errors[0].to_string().contains("an integer from 1 to"),
                "{}",
                errors[0]
            );
        }
        let (d, errors) = run(json!({"DefaultLogQueueSize": 5000}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(d.global.default_log_queue_size, 5000);
    }

    #[test]
    fn keys_match_case_insensitively_over_defaults() {
        let (d, errors) =
            run(json!({"structuretype": "V2", "inputIntervalMs": 5, "Tags": {"a": "b"}}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(d.structure, StructureType::V2);
        assert_eq!(d.global.input_interval_ms, 5);
        assert_eq!(d.global.aggregat_interval_ms, 3000);
        assert_eq!(d.global.tags.get("a").map(String::as_str), Some("b"));
    }

    #[test]
    fn unknown_structure_type_and_typos_are_errors() {
        let (_, errors) = run(
            json!({"StructureType": "v3", "InputIntervalMS": "x", "InputIntervlMs": 1, "AlwaysOnline": true}),
        );
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{text:?}");
        assert!(
            text[0].contains("unknown StructureType `v3`"),
            "{}",
            text[0]
        );
        assert!(
            text[1].contains("key `global.InputIntervalMS`"),
            "{}",
            text[1]
        );
        assert!(
            text[2].contains("did you mean `InputIntervalMs`?"),
            "{}",
            text[2]
        );
    }
}
