//! End-to-end tests of the `pipeplug` command line, run as a user would: the agent binary
//! with the test plugins of `pipeplug_tests::testkit` registered (`pipeplug-testkit`).

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn agent() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pipeplug-testkit"));
    c.env("RUST_LOG", "info").env("RUST_BACKTRACE", "0");
    c
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn check(text: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "pipeline.yaml", text);
    let out = agent().arg("check").arg(&file).output().unwrap();
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&*file.to_string_lossy(), "pipeline.yaml");
    assert!(
        !stderr.contains("panicked"),
        "no panic on bad input:\n{stderr}"
    );
    (out, stderr)
}

/// `check` rejects `text`, with every one of `expected` in its messages.
fn rejects(text: &str, expected: &[&str]) {
    let (out, stderr) = check(text);
    assert_eq!(out.status.code(), Some(1), "check fails:\n{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "expected `{e}` in:\n{stderr}");
    }
}

const GOOD: &str =
    "inputs:\n  - Type: service_counter\n    Count: 3\nflushers:\n  - Type: flusher_count\n";

#[test]
fn check_accepts_a_good_config() {
    let (out, stderr) = check(GOOD);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ok: ") && stdout.contains("(v1, 2 plugin(s))"),
        "{stdout}"
    );
}

#[test]
fn check_rejects_a_misspelt_key_suggesting_the_right_one() {
    rejects(
        &GOOD.replace("Count: 3", "Cont: 3"),
        &["pipeline.yaml: inputs[0] (service_counter): key `Cont`: unknown key, did you mean `Count`?"],
    );
}

#[test]
fn check_rejects_an_unknown_type_suggesting_the_closest() {
    rejects(
        &GOOD.replace("flusher_count", "flusher_cont"),
        &["pipeline.yaml: flushers[0] (flusher_cont): unknown flusher `flusher_cont`; did you mean `flusher_count`?"],
    );
}

#[test]
fn check_rejects_a_plugin_in_the_wrong_list() {
    rejects(
        &GOOD.replace("Type: flusher_count", "Type: processor_tag"),
        &[
            "flushers[0] (processor_tag): unknown flusher `processor_tag`",
            "list it under `processors`",
        ],
    );
}

#[test]
fn check_rejects_a_bad_duration() {
    rejects(
        &GOOD.replace("Count: 3", "Interval: 5 parsecs"),
        &["inputs[0] (service_counter): key `Interval`: expected"],
    );
}

#[test]
fn check_rejects_a_value_of_the_wrong_type() {
    rejects(
        &GOOD.replace("Count: 3", "Count: many"),
        &["inputs[0] (service_counter): key `Count`: expected"],
    );
}

#[test]
fn check_rejects_malformed_yaml_with_its_line() {
    rejects(
        "inputs:\n  - Type: service_counter\n   Count: [\nflushers: []\n",
        &["pipeline.yaml:3:", "invalid YAML"],
    );
}

#[test]
fn check_rejects_an_empty_file() {
    rejects("# nothing yet\n", &["pipeline.yaml: the file is empty"]);
}

#[test]
fn check_rejects_an_unknown_structure_type() {
    rejects(
        &format!("global:\n  StructureType: v3\n{GOOD}"),
        &["pipeline.yaml: key `global.StructureType`: unknown StructureType `v3`; expected `v1` (the default) or `v2`"],
    );
}

#[test]
fn check_reports_every_error_of_every_file_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.yaml",
        &GOOD
            .replace("Count: 3", "Cont: 3\n    Interval: soon")
            .replace("flusher_count", "flusher_cont"),
    );
    let b = write(
        dir.path(),
        "b.json",
        r#"{"inputs": [{"Type": "service_counter"}], "flushers": [{"Type": "flusher_cont"}]}"#,
    );
    let c = write(dir.path(), "c.yaml", GOOD);
    let out = agent().arg("check").args([&a, &b, &c]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("key `Cont`") && stderr.contains("key `Interval`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a.yaml: flushers[0] (flusher_cont)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("b.json: flushers[0] (flusher_cont)"),
        "{stderr}"
    );
    assert!(stderr.contains("4 error(s)"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("c.yaml"),
        "the good file is ok"
    );
}

#[test]
fn list_shows_every_plugin_with_kind_native_crate_and_description() {
    let out = agent().arg("list").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("service_counter"))
        .expect("listed");
    for part in [
        "service input",
        "v1+v2",
        "pipeplug-tests",
        "emits numbered events",
    ] {
        assert!(line.contains(part), "{line}");
    }
    let out = agent().args(["list", "--json"]).output().unwrap();
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let counter = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "flusher_count")
        .expect("listed");
    assert_eq!(counter["kind"], "flusher");
    assert_eq!(counter["native"]["v1"], true);
}

#[test]
fn doc_writes_a_page_per_plugin_and_json_descriptions() {
    let dir = tempfile::tempdir().unwrap();
    let out = agent()
        .args(["doc", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.path().join("service_counter.md")).unwrap();
    assert!(page.contains("# service_counter"), "{page}");
    assert!(
        page.contains("| `Count` | `u64` | `10` | How many events to emit; 0 for no end. |"),
        "{page}"
    );
    let list = std::fs::read_to_string(dir.path().join("plugin-list.md")).unwrap();
    assert!(
        list.contains("[service_counter](service_counter.md)"),
        "{list}"
    );

    let out = agent()
        .args(["doc", "--format", "json", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let desc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("service_counter.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(desc["config"]["properties"]["Count"]["default"], 10);
    // A duration: a humantime string or an integer in its unit (nanoseconds here).
    assert_eq!(
        desc["config"]["properties"]["Interval"]["type"],
        serde_json::json!(["string", "integer"])
    );
    assert_eq!(desc["config"]["properties"]["Interval"]["x-unit"], "ns");
}

#[test]
fn run_for_a_duration_stops_cleanly_and_reports_a_panicking_plugin_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "panics.yaml",
        "inputs:\n  - Type: service_counter\n    Count: 0\n    Interval: 1ms\n    MarkEvery: 20\nprocessors:\n  - Type: processor_panic\nflushers:\n  - Type: flusher_count\n",
    );
    let out = agent()
        .args(["run", "--for", "500ms", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg(&cfg)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("plugin processor_panic/2 (processors[0]) panicked in `process_logs`: boom in a V1 batch"),
        "{stderr}"
    );
    assert!(stderr.contains("pipeline `panics` stopped"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn run_stops_on_sigterm_with_exit_0_and_every_produced_event_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "sigterm.yaml",
        "global: { AggregatIntervalMs: 50 }\ninputs:\n  - Type: service_counter\n    Count: 0\n    Interval: 200us\nflushers:\n  - Type: flusher_lines\n",
    );
    let mut child = agent()
        .args(["run", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if lines.len() == 100 {
                let _ = tx.send(());
            }
            lines.push(line);
        }
        lines
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("events are flushed while running");
    let kill = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "pipeplug did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let lines = reader.join().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    // Every event produced went out, in order, with no gap: n = 0, 1, ..., N-1 ...
    let ns: Vec<u64> = lines
        .iter()
        .map(|l| {
            l.strip_prefix("n=")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("line {l:?}"))
        })
        .collect();
    assert!(
        ns.iter().enumerate().all(|(i, n)| *n == i as u64),
        "no gap or repeat"
    );
    // ... and N is what the inputs produced.
    let reported = format!(
        "{} event(s) in, flushed {} to flusher_lines",
        ns.len(),
        ns.len()
    );
    assert!(
        stderr.contains(&reported),
        "expected `{reported}` in:\n{stderr}"
    );
}

/// A flusher whose first calls fail is warned about once (the next failures within 10 s go
/// to the debug level), and every event still arrives through the retries.
#[test]
fn a_failing_flush_is_warned_about_once_then_retried_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "retried.yaml",
        "inputs:\n  - Type: service_counter\n    Count: 5\nflushers:\n  - Type: flusher_faulty\n    Name: warned-once\n    FailFirst: 3\n    Delivery: {RetryInitialDelay: 10ms}\n",
    );
    let out = agent()
        .args(["run", "--for", "2s", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("`flush` failed"))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "one warning for three failures:\n{stderr}"
    );
    assert!(warnings[0].contains("retry 1 in"), "{stderr}");
    assert!(
        stderr.contains("5 event(s) in, flushed 5 to flusher_faulty"),
        "{stderr}"
    );
}
