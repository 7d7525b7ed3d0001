//! A fuzz target for config decoding: proptest builds documents shaped like pipeline files
//! (right and wrong keys, types and nesting; huge, negative and non-finite numbers; strings
//! with control characters and unicode), writes them as YAML or JSON, sometimes mangled
//! (a BOM, a key given twice, a cut), and loads them as `check` does. Asserted: no panic,
//! every error names the file, and `pipeplug check` agrees with the library (same verdict,
//! same error count) on a sample.
//!
//! Bounded: 256 cases, 24 of them also through the binary (about 5 s in a debug build). The
//! corpus in `tests/fuzz-corpus/` (inputs worth keeping: past crashes and edge cases) is
//! replayed by `corpus_replays`.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug::registry;
use pipeplug_agent::engine::{self, Loaded};
use pipeplug_agent::pipeline_config::Problem;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::path::Path;
use std::process::Command;

/// The library's verdict on `path`: `Ok` or the error count; panics fail the test.
fn library(path: &Path) -> Result<(), usize> {
    pipeplug_tests::testkit::register();
    let registry = registry::global().unwrap();
    let file = path.display().to_string();
    // A panic here fails the case (proptest reports it with the input).
    match engine::load_file(path, &registry) {
        Ok(Loaded::Pipeline(_) | Loaded::Disabled(_)) => Ok(()),
        Err(e) => {
            let mut count = 0;
            for d in &e.errors {
                assert_eq!(d.file, file, "every error names the file: {d}");
                count += match d.problem {
                    Problem::MoreErrors(n) => n,
                    _ => 1,
                };
            }
            Err(count)
        }
    }
}

/// `pipeplug check`'s verdict: `Ok` or the count it prints.
fn binary(path: &Path) -> Result<(), usize> {
    let out = Command::new(env!("CARGO_BIN_EXE_pipeplug-testkit"))
        .arg("check")
        .arg(path)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    if out.status.success() {
        return Ok(());
    }
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or("");
    let count = last
        .strip_suffix(" error(s)")
        .unwrap_or_else(|| panic!("{stderr}"));
    Err(count.parse().unwrap())
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
        "[\\x00-\\x1f]{0,4}".prop_map(Value::from),
        Just(json!("1s")),
        Just(json!("1ns")),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Type".to_owned()),
        Just("type".to_owned()),
        Just("Count".to_owned()),
        Just("Interval".to_owned()),
        Just("IntervalMs".to_owned()),
        Just("detail".to_owned()),
        "[A-Za-z]{1,6}",
    ]
}

fn plugin() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        Just("service_counter"),
        Just("metric_counter"),
        Just("flusher_count"),
        Just("processor_nope"),
        Just("service_counter/2#1"),
    ];
    (name, prop::collection::vec((key(), value()), 0..3)).prop_map(|(name, params)| {
        let mut m: Map<String, Value> = params.into_iter().collect();
        m.insert("Type".to_owned(), json!(name));
        Value::Object(m)
    })
}

fn pipeline() -> impl Strategy<Value = Value> {
    let list = prop_oneof![
        4 => prop::collection::vec(plugin(), 0..3).prop_map(Value::Array),
        1 => value(),
    ];
    const SECTIONS: [&str; 6] = [
        "inputs",
        "processors",
        "flushers",
        "global",
        "enable",
        "Inputz",
    ];
    prop::collection::vec((prop::sample::select(&SECTIONS[..]), list), 0..5)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

/// How the text is mangled after writing.
#[derive(Debug, Clone)]
enum Mangle {
    None,
    Bom,
    DuplicateFirstLine,
    Cut(usize),
    NonFinite(&'static str),
}

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        4 => Just(Mangle::None),
        1 => Just(Mangle::Bom),
        1 => Just(Mangle::DuplicateFirstLine),
        1 => (0usize..200).prop_map(Mangle::Cut),
        1 => prop::sample::select(&[".nan", ".inf", "-.Inf", "1e999"][..]).prop_map(Mangle::NonFinite),
    ]
}

fn render(doc: &Value, yaml: bool, m: &Mangle) -> String {
    let mut text = if yaml {
        serde_yaml_ng::to_string(doc).unwrap()
    } else {
        serde_json::to_string_pretty(doc).unwrap()
    };
    match m {
        Mangle::None => {}
        Mangle::Bom => text.insert(0, '\u{feff}'),
        Mangle::DuplicateFirstLine => {
            let first = text.lines().next().unwrap_or("").to_owned();
            text = format!("{first}\n{text}");
        }
        Mangle::Cut(n) => {
            let mut at = (*n).min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.truncate(at);
        }
        Mangle::NonFinite(token) => text = text.replacen("null", token, 1),
    }
    text
}

fn one_case(dir: &Path, n: usize, doc: &Value, yaml: bool, m: &Mangle, via_binary: bool) {
    let path = dir.join(format!("case{n}.{}", if yaml { "yaml" } else { "json" }));
    std::fs::write(&path, render(doc, yaml, m)).unwrap();
    let lib = library(&path);
    if via_binary {
        assert_eq!(
            binary(&path),
            lib,
            "check and the library agree on {}",
            path.display()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn config_decoding_never_panics_and_check_agrees(
        doc in pipeline(), yaml in any::<bool>(), m in mangle(), sample in 0u8..32
    ) {
        let dir = tempfile::tempdir().unwrap();
        one_case(dir.path(), 0, &doc, yaml, &m, sample < 3);
    }
}

#[test]
fn corpus_replays() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        assert_eq!(binary(&path), library(&path), "{}", path.display());
        n += 1;
    }
    assert!(n >= 5, "the corpus holds its inputs ({n})");
}
