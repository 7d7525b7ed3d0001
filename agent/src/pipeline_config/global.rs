//! The `global` section: decoded by core's [`GlobalConfig::decode`], over iLogtail's
//! defaults, with the same key matching as plugin configs; here its problems and ignored
//! keys become diagnostics of the file.

use super::error::ConfigDiagnostic;
use pipeplug::GlobalConfig;
use serde_json::Value;

pub use pipeplug::StructureType;

/// The decoded `global` section (absent or null: every default); every problem is pushed
/// to `errors`, and each ignored iLogtail key is returned as a warning.
pub(crate) fn decode(
    value: &Value,
    file: &str,
    errors: &mut Vec<ConfigDiagnostic>,
) -> (GlobalConfig, Vec<ConfigDiagnostic>) {
    let decoded = GlobalConfig::decode(value);
    errors.extend(
        decoded
            .problems
            .into_iter()
            .map(|p| ConfigDiagnostic::decoded(file, "global", p)),
    );
    let warnings = decoded
        .ignored
        .iter()
        .map(|k| {
            ConfigDiagnostic::file(
                file,
                super::Problem::Pipeline("an iLogtail setting that pipeplug ignores".to_owned()),
            )
            .at_key(format!("global.{k}"))
        })
        .collect();
    (decoded.config, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> (GlobalConfig, Vec<String>, Vec<ConfigDiagnostic>) {
        let mut errors = Vec::new();
        let (g, warnings) = decode(&v, "f.yaml", &mut errors);
        (
            g,
            warnings.iter().map(ToString::to_string).collect(),
            errors,
        )
    }

    #[test]
    fn problems_name_the_file_and_the_key_under_global() {
        let (_, _, errors) = run(json!({"StructureType": "v3", "InputIntervlMs": 1}));
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].starts_with(
                "f.yaml: key `global.InputIntervlMs`: unknown key, did you mean `InputIntervalMs`?"
            ),
            "{}",
            text[0]
        );
        assert_eq!(
            text[1],
            "f.yaml: key `global.StructureType`: unknown StructureType `v3`; expected `v1` (the \
             default) or `v2`"
        );
        let (_, _, errors) = run(json!("x"));
        assert_eq!(
            errors[0].to_string(),
            "f.yaml: key `global`: expected a map of keys, found a string"
        );
    }

    #[test]
    fn ignored_keys_are_warnings_and_the_rest_applies() {
        let (g, warnings, errors) =
            run(json!({"structuretype": "V2", "AlwaysOnline": true, "DefaultLogQueueSize": 5000}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(g.structure_type, StructureType::V2);
        assert_eq!(g.default_log_queue_size, 5000);
        assert_eq!(
            warnings,
            ["f.yaml: key `global.AlwaysOnline`: an iLogtail setting that pipeplug ignores"]
        );
    }
}
