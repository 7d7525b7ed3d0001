//! End-to-end: a reload keeps the checkpoint store. The agent binary (`pipeplug-testkit`) runs
//! `service_checkpoint`, which counts its runs in a checkpoint and emits `run = <n>` once per
//! run, into `flusher_stdout` writing a file; a changed config, reloaded by SIGHUP, starts a
//! new run of the pipeline that reads the checkpoint the first run saved.
#![cfg(unix)]
// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any awaited condition may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// The config: `service_checkpoint` into `out`; `comment` makes another text of it.
fn write_config(file: &Path, out: &Path, comment: &str) {
    let text = format!(
        "# {comment}\nglobal: {{ AggregatIntervalMs: 50 }}\ninputs:\n  - Type: service_checkpoint\nflushers:\n  - Type: flusher_stdout\n    FileName: {}\n",
        out.display()
    );
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, file).unwrap();
}

/// The `run` of each line of `out`.
fn runs(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["run"].as_str().unwrap().to_owned())
        .collect()
}

fn wait_until(what: &str, stderr: &Mutex<String>, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "not {what} within {PATIENCE:?}:\n{}",
            stderr.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) takes plain integers; the pid of our child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

#[test]
fn a_pipeline_changed_by_a_reload_reads_the_checkpoints_its_previous_run_saved() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("counted.yaml");
    let out = dir.path().join("counted.jsonl");
    write_config(&config, &out, "first");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipeplug-testkit"))
        .env("RUST_LOG", "info")
        .arg("run")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let pipe = child.stderr.take().unwrap();
    let sink = Arc::clone(&stderr);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    wait_until("the first run's event", &stderr, || runs(&out).len() == 1);
    write_config(&config, &out, "second");
    signal(&child, libc::SIGHUP);
    wait_until("the second run's event", &stderr, || runs(&out).len() == 2);
    signal(&child, libc::SIGTERM);
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit");
        std::thread::sleep(Duration::from_millis(10));
    };
    reader.join().unwrap();
    let stderr = stderr.lock().unwrap().clone();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("changed [counted]"), "{stderr}");
    assert_eq!(
        runs(&out),
        ["1", "2"],
        "the second run read the first run's checkpoint:\n{stderr}"
    );
}
