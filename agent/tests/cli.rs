//! The `pipeplug` binary as built, with the plugin collections it links.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pipeplug() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pipeplug"));
    c.env("RUST_BACKTRACE", "0");
    c
}

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn check_text(text: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipeline.yaml");
    std::fs::write(&file, text).unwrap();
    let out = pipeplug().arg("check").arg(&file).output().unwrap();
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&*file.to_string_lossy(), "pipeline.yaml");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out, stderr)
}

#[test]
fn the_binary_links_the_example_plugin() {
    let out = pipeplug().arg("list").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("service_example_plugin") && l.contains("example_plugin")),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("not registered"),
        "nothing expected is missing: {stderr}"
    );
}

#[test]
fn check_names_the_misspelt_key_of_a_real_plugin() {
    let (out, stderr) = check_text("inputs:\n  - Type: service_example_plugin\n    intervl: 1s\nflushers:\n  - Type: flusher_x\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("pipeline.yaml: inputs[0] (service_example_plugin): key `intervl`: unknown key, did you mean `interval`?"),
        "{stderr}"
    );
}

#[test]
fn check_rejects_a_bad_duration_of_a_real_plugin() {
    let (out, stderr) =
        check_text("inputs:\n  - Type: service_example_plugin\n    interval: 5 parsecs\nflushers:\n  - Type: flusher_x\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("inputs[0] (service_example_plugin): key `interval`: expected"),
        "{stderr}"
    );
    assert!(
        stderr.contains("parsecs"),
        "the duration parser's reason is kept: {stderr}"
    );
}

#[test]
fn check_suggests_the_closest_input() {
    let (out, stderr) =
        check_text("inputs:\n  - Type: service_exampel_plugin\nflushers:\n  - Type: flusher_x\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(
            "unknown input `service_exampel_plugin`; did you mean `service_example_plugin`?"
        ),
        "{stderr}"
    );
}

#[test]
fn check_rejects_empty_files_malformed_yaml_and_unknown_structure_types() {
    let (out, stderr) = check_text("\n# later\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("pipeline.yaml: the file is empty"),
        "{stderr}"
    );
    let (out, stderr) = check_text("inputs:\n  - Type: a\n   b: [\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("pipeline.yaml:3:"), "{stderr}");
    let (out, stderr) = check_text("global: {StructureType: v3}\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("unknown StructureType `v3`"), "{stderr}");
}

#[test]
fn a_bad_duration_on_the_command_line_is_a_usage_error() {
    let out = pipeplug()
        .args(["run", "--for", "soon", "x.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`soon` is not a duration"));
}

#[test]
fn the_examples_check_clean() {
    let out = pipeplug()
        .arg("check")
        .args(
            [
                "examples/example.yaml",
                "examples/example_v2.yaml",
                "examples/processors.yaml",
                "examples/http_to_clickhouse.yaml",
            ]
            .map(repo_file),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The README's main command: the example plugin's events on stdout, one JSON line each.
#[test]
fn the_readme_main_command_prints_the_example_plugins_events() {
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    assert!(
        readme.contains(
            "cargo run --release -p pipeplug-agent -- run --for 3s examples/example.yaml"
        ),
        "the README's main command changed; update this test"
    );
    let data = tempfile::tempdir().unwrap();
    let out = pipeplug()
        .args(["run", "--for", "2500ms", "--data-dir"])
        .arg(data.path())
        .arg(repo_file("examples/example.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // A 1 s interval for 2.5 s: two events, each flushed before the clean stop (one when a
    // loaded machine starts the input late).
    assert!((1..=2).contains(&lines.len()), "{lines:?}\n{stderr}");
    for line in &lines {
        assert_eq!(line["host"], "1.1.1.1");
        assert!(line["__time__"].as_str().unwrap().parse::<u64>().unwrap() > 1_600_000_000);
    }
}

#[test]
fn check_rejects_a_rule_across_keys_of_a_built_in() {
    let (out, stderr) = check_text(
        "inputs:\n  - Type: service_example_plugin\nprocessors:\n  - Type: processor_rename\n    SourceKeys: [a, b]\n    DestKeys: [c]\nflushers:\n  - Type: flusher_stdout\n",
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("processors[0] (processor_rename): key `DestKeys`: `SourceKeys` has 2 key(s) (`a`, `b`) but `DestKeys` has 1 (`c`)"),
        "{stderr}"
    );
}

/// Runs a config text for `for_` and returns (exit code, stderr).
fn run_text(text: &str, for_: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipeline.yaml");
    std::fs::write(&file, text).unwrap();
    let out = pipeplug()
        .args(["run", "--for", for_, "--data-dir"])
        .arg(dir.path().join("data"))
        .arg(&file)
        .output()
        .unwrap();
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&*file.to_string_lossy(), "pipeline.yaml");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code(), stderr)
}

#[test]
fn an_interval_too_long_to_represent_is_never_rather_than_a_panic() {
    let (code, stderr) = run_text(
        "global: { InputMaxFirstCollectDelayMs: 0, AggregatIntervalMs: 18446744073709551615 }\ninputs:\n  - Type: metric_mock\n    IntervalMs: 500000000000y\nflushers:\n  - Type: flusher_stdout\n",
        "300ms",
    );
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn queue_sizes_that_would_exhaust_memory_are_config_errors() {
    let (out, stderr) = check_text(
        "global: { DefaultLogQueueSize: 100000000000 }\ninputs:\n  - Type: service_mock\nflushers:\n  - Type: flusher_stdout\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("key `global.DefaultLogQueueSize`: expected an integer from 1 to 1000000"),
        "{stderr}"
    );
}

#[test]
fn an_init_failure_names_the_file_and_the_plugin() {
    let (code, stderr) = run_text(
        "inputs:\n  - Type: service_mock\n    File: /nonexistent/pipeplug-test\nflushers:\n  - Type: flusher_stdout\n",
        "1s",
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: pipeline.yaml: plugin service_mock/1 (inputs[0]): init failed"),
        "{stderr}"
    );
}

/// `IntervalMs` is an engine key of every metric input: `metric_mock` declares no field
/// for it, and `check` and `run` take it (and `run` collects on it).
#[test]
fn a_metric_input_runs_on_interval_ms_without_declaring_it() {
    let text = "global: { InputMaxFirstCollectDelayMs: 0 }\ninputs:\n  - Type: metric_mock\n    IntervalMs: 500\nflushers:\n  - Type: flusher_stdout\n";
    let (out, stderr) = check_text(text);
    assert!(out.status.success(), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipeline.yaml");
    std::fs::write(&file, text).unwrap();
    let out = pipeplug()
        .args(["run", "--for", "2600ms", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Every 500 ms for 2.6 s: six records (at least four on a loaded machine); the 1 s
    // default would give three at most.
    let records = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!((4..=6).contains(&records), "{records} records\n{stderr}");
}

#[test]
fn a_bad_interval_ms_is_reported_at_the_key_and_other_kinds_do_not_take_it() {
    let (out, stderr) = check_text(
        "inputs:\n  - Type: metric_mock\n    IntervalMs: soon\nflushers:\n  - Type: flusher_stdout\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("inputs[0] (metric_mock): key `IntervalMs`: expected"),
        "{stderr}"
    );
    let (out, stderr) = check_text(
        "inputs:\n  - Type: metric_mock\nprocessors:\n  - Type: processor_drop\n    IntervalMs: 5\nflushers:\n  - Type: flusher_stdout\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("processors[0] (processor_drop): key `IntervalMs`: unknown key"),
        "{stderr}"
    );
}

/// The example of every plugin's page (`pipeplug doc`) is a pipeline `pipeplug check`
/// accepts as it is: built-ins, the example plugin, and plugins with required keys.
#[test]
fn every_plugin_page_example_passes_check() {
    let docs = tempfile::tempdir().unwrap();
    let out = pipeplug()
        .args(["doc", "--out"])
        .arg(docs.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(docs.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "plugin-list" {
            continue;
        }
        let page = std::fs::read_to_string(&path).unwrap();
        let example = page
            .split("```yaml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap_or_else(|| panic!("{name}: no example:\n{page}"));
        let (out, stderr) = check_text(example);
        assert!(
            out.status.success(),
            "{name}'s example fails `check`:\n{example}\n{stderr}"
        );
        checked.push(name);
    }
    checked.sort();
    for expected in [
        "service_example_plugin",
        "metric_mock",
        "processor_rename",
        "aggregator_default",
        "flusher_stdout",
    ] {
        assert!(checked.iter().any(|c| c == expected), "{checked:?}");
    }
}
