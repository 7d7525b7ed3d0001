//! The generated conformance tests of plugins with required keys: built from the plugin's
//! example config, and failures that say which fix applies.

use pipeplug::prelude::*;
use pipeplug::registry::PluginKind;
use pipeplug::testing::conformance;

/// Splits a key's value (required keys, with an example: the generated test passes).
#[processor(
    name = "processor_required_ok",
    rename_all = "PascalCase",
    example = "SourceKey: content"
)]
#[derive(Debug)]
pub struct WithExample {
    /// The key to split.
    #[config(required)]
    source_key: String,
}

impl Processor for WithExample {}
impl ProcessorV1 for WithExample {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

/// Required keys and no example: nothing to build it from.
#[processor(name = "processor_required_no_example", conformance = false)]
#[derive(Debug)]
pub struct NoExample {
    /// The key to split.
    #[config(required, rename = "SourceKey")]
    source_key: String,
}

impl Processor for NoExample {}
impl ProcessorV1 for NoExample {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

/// An example that misses a required key.
#[processor(
    name = "processor_required_bad_example",
    conformance = false,
    example = "Separator: \",\""
)]
#[derive(Debug)]
pub struct BadExample {
    /// The key to split.
    #[config(required, rename = "SourceKey")]
    source_key: String,
    /// What to split on.
    #[config(rename = "Separator")]
    separator: String,
}

impl Processor for BadExample {}
impl ProcessorV1 for BadExample {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

/// An example that is not YAML.
#[processor(
    name = "processor_required_not_yaml",
    conformance = false,
    example = "SourceKey: [content"
)]
#[derive(Debug)]
pub struct NotYaml {
    /// The key to split.
    #[config(required, rename = "SourceKey")]
    source_key: String,
}

impl Processor for NotYaml {}
impl ProcessorV1 for NotYaml {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

/// No required key, and an example that does not decode: the empty config still builds it,
/// the example does not.
#[processor(
    name = "processor_optional_bad_example",
    conformance = false,
    example = "Limit: many"
)]
#[derive(Debug)]
pub struct OptionalBadExample {
    /// At most this many.
    #[config(rename = "Limit")]
    limit: u32,
}

impl Processor for OptionalBadExample {}
impl ProcessorV1 for OptionalBadExample {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn failures(name: &str) -> Vec<String> {
    conformance::check(PluginKind::Processor, name)
        .expect_err("the check fails")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn required_keys_with_an_example_pass() {
    assert_eq!(
        conformance::check(PluginKind::Processor, "processor_required_ok"),
        Ok(())
    );
}

#[test]
fn required_keys_without_an_example_say_to_add_one() {
    let f = failures("processor_required_no_example");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].starts_with(
            "example: the plugin has required key(s) `SourceKey` and no example config to build it from; fix: give one in the plugin's attribute, such as `example = \"SourceKey: value\"`"
        ),
        "{f:#?}"
    );
}

#[test]
fn an_example_missing_a_required_key_says_to_fix_the_example() {
    let f = failures("processor_required_bad_example");
    assert!(
        f.iter().any(|m| m.starts_with(
            "create: the V1 factory fails on its example config: plugin `processor_required_bad_example`: key `SourceKey` is required; fix `example = \"...\"`"
        )),
        "{f:#?}"
    );
}

#[test]
fn an_example_that_is_not_yaml_says_so() {
    let f = failures("processor_required_not_yaml");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].starts_with("example: the example config is not valid YAML (")
            && f[0].contains("fix `example = \"...\"` in the plugin's attribute"),
        "{f:#?}"
    );
}

#[test]
fn without_required_keys_both_the_empty_config_and_the_example_must_build() {
    let f = failures("processor_optional_bad_example");
    assert!(!f.is_empty());
    assert!(
        f.iter().all(|m| m.contains("fails on its example config")
            && m.contains("key `Limit`: expected `u32`")),
        "the empty config builds; only the example fails: {f:#?}"
    );
}

/// `pipeplug check` (the pipeline loader) says a missing required key as the plugin's own
/// decoding does.
#[test]
fn the_pipeline_loader_names_a_missing_required_key() {
    use pipeplug_agent::engine;
    use pipeplug_agent::pipeline_config::Format;
    let registry = pipeplug::registry::global().expect("no duplicates");
    let Err(err) = engine::load_str(
        "inputs:\n  - Type: metric_mock\nprocessors:\n  - Type: processor_required_ok\nflushers:\n  - Type: flusher_stdout\n",
        Format::Yaml,
        "p.yaml",
        "p",
        &registry,
    ) else {
        panic!("a required key is missing, yet the pipeline loads");
    };
    let err = err.to_string();
    assert!(
        err.contains("p.yaml: processors[0] (processor_required_ok): key `SourceKey` is required"),
        "{err}"
    );
}
