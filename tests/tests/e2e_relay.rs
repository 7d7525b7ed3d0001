//! End-to-end: one pipeplug agent relays to another over HTTP, and the receiving agent is
//! restarted once in the middle of the run.
//!
//! Agent A runs `service_mock` (numbered logs, `Index` 1..=N) into `flusher_http`; agent B
//! runs `service_http_server` into `flusher_stdout` writing a file. While A is sending, B is
//! stopped (SIGTERM: it answers or finishes what it holds, and its pipeline flushes) and
//! started again on the same port; A's `flusher_http` retries the requests refused in
//! between. Every `Index` must reach B's file, and none twice.
#![cfg(unix)]
// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long any awaited condition may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(120);

/// A running agent with its standard error collected.
struct Agent {
    name: &'static str,
    child: Child,
    stderr: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Agent {
    fn start(name: &'static str, config: &Path, data: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipeplug-testkit"))
            // The plugins' debug lines too: flusher_http says so when it retries.
            .env("RUST_LOG", "info,pipeplug::plugin=debug")
            .arg("run")
            .arg("--data-dir")
            .arg(data)
            .arg(config)
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
        Self {
            name,
            child,
            stderr,
            reader: Some(reader),
        }
    }

    fn log(&self) -> String {
        format!("--- agent {}:\n{}", self.name, self.stderr.lock().unwrap())
    }

    /// SIGTERM, then the exit status (within the patience).
    fn stop(mut self) -> (ExitStatus, String) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) takes plain integers; the pid of our child, not yet reaped.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "no exit\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        };
        self.reader.take().unwrap().join().unwrap();
        (status, self.log())
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free right now on 127.0.0.1 (B binds it again after its restart, so it is fixed).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How many times each `Index` is in B's output file.
fn indexes(out: &Path) -> BTreeMap<u64, usize> {
    let mut seen = BTreeMap::new();
    for line in std::fs::read_to_string(out).unwrap_or_default().lines() {
        // A line being written is not whole yet: it is read again next time.
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        // V1 logs are written flat, V2 events with their `contents`.
        let index = v
            .get("contents")
            .unwrap_or(&v)
            .get("Index")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a line without a numeric `Index`: {line}"));
        *seen.entry(index).or_insert(0) += 1;
    }
    seen
}

fn wait_until(what: &str, logs: &dyn Fn() -> String, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "not {what} within {PATIENCE:?}\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Relay {
    _dir: tempfile::TempDir,
    a_config: PathBuf,
    b_config: PathBuf,
    out: PathBuf,
    data: PathBuf,
}

/// A sends `total` logs, `per_round` every 50 ms, to B on `port`; `structure` is `v1` or
/// `v2` for both agents.
fn relay(total: usize, per_round: usize, structure: &str) -> Relay {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = dir.path().join("received.jsonl");
    let a_config = dir.path().join("a.yaml");
    let b_config = dir.path().join("b.yaml");
    std::fs::write(
        &a_config,
        format!(
            "global: {{ StructureType: {structure}, AggregatIntervalMs: 50 }}
inputs:
  - Type: service_mock
    Fields: {{ service: relay }}
    LogsPerSecond: {per_round}
    MaxLogCount: {total}
    Interval: 50ms
flushers:
  - Type: flusher_http
    RemoteURL: http://127.0.0.1:{port}/ingest
    Convert: {{ Protocol: custom_single, Encoding: json, Separator: \"\\n\" }}
    Timeout: 5s
    Retry: {{ MaxRetryTimes: 20, InitialDelay: 100ms, MaxDelay: 1s }}
    Concurrency: 2
"
        ),
    )
    .unwrap();
    std::fs::write(
        &b_config,
        format!(
            "global: {{ StructureType: {structure}, AggregatIntervalMs: 50 }}
inputs:
  - Type: service_http_server
    Address: http://127.0.0.1:{port}/ingest
    Format: json
flushers:
  - Type: flusher_stdout
    FileName: {}
",
            out.display()
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    Relay {
        _dir: dir,
        a_config,
        b_config,
        out,
        data,
    }
}

/// Runs the relay with one restart of B once `restart_after` logs have arrived, and checks
/// that every log arrived exactly once.
fn relay_with_a_restart_of_b(structure: &str) {
    const TOTAL: usize = 20_000;
    let r = relay(TOTAL, 500, structure);
    let b = Agent::start("B", &r.b_config, &r.data.join("b"));
    let a = Agent::start("A", &r.a_config, &r.data.join("a"));

    // B is stopped once part of the logs arrived, and stays down for a second while A
    // goes on sending (its requests are refused and retried).
    let logs = || format!("{}\n{}", a.log(), b.log());
    wait_until("a tenth of the logs at B", &logs, || {
        indexes(&r.out).len() >= TOTAL / 10
    });
    let (status, b_log) = b.stop();
    assert_eq!(status.code(), Some(0), "{b_log}");
    let at_restart = indexes(&r.out).len();
    std::thread::sleep(Duration::from_secs(1));
    let b = Agent::start("B (restarted)", &r.b_config, &r.data.join("b"));

    let logs = || format!("{}\n{b_log}\n{}", a.log(), b.log());
    wait_until("every log at B", &logs, || indexes(&r.out).len() >= TOTAL);
    let (a_status, a_log) = a.stop();
    let (b_status, b2_log) = b.stop();
    let all = format!("{a_log}\n{b_log}\n{b2_log}");
    assert_eq!(a_status.code(), Some(0), "{all}");
    assert_eq!(b_status.code(), Some(0), "{all}");

    let seen = indexes(&r.out);
    assert!(
        at_restart < TOTAL,
        "B was restarted after everything had arrived ({at_restart}): the test proves nothing\n{all}"
    );
    let expected: Vec<u64> = (1..=TOTAL as u64).collect();
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        expected,
        "every Index 1..={TOTAL} arrives\n{all}"
    );
    assert!(
        a_log.contains("retrying"),
        "A's requests were refused while B was down and retried\n{all}"
    );
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "logs that arrived twice: {twice:?}\n{all}"
    );
}

#[test]
fn v1_a_relay_delivers_every_log_once_across_a_restart_of_the_receiver() {
    relay_with_a_restart_of_b("v1");
}

#[test]
fn v2_a_relay_delivers_every_event_once_across_a_restart_of_the_receiver() {
    relay_with_a_restart_of_b("v2");
}
