//! `pipeplug run --metrics-listen`: the real binary serves every plugin's counts on
//! `/metrics` (Prometheus text format) and says on `/health` whether its pipelines run.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// 150 logs (3 rounds of 50, 100 ms apart) through a processor into `flusher_stdout`; the
/// default aggregator flushes them on its interval (3 s).
const PIPELINE: &str = "\
inputs:
  - Type: service_mock
    LogsPerSecond: 50
    MaxLogCount: 150
    Interval: 100ms
    Fields: {msg: hello}
processors:
  - Type: processor_add_fields
    Fields: {service: checkout}
flushers:
  - Type: flusher_stdout
";

/// A running `pipeplug run` and the address its log says it serves metrics on.
struct Run {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `pipeplug run --for <secs> --metrics-listen 127.0.0.1:0` on `pipeline` and reads
/// the chosen port from its log.
fn start(pipeline: &str, secs: u32) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.yaml");
    std::fs::write(&file, pipeline).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
        .args([
            "run",
            "--for",
            &format!("{secs}s"),
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg(&file)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("metrics on http://") {
                let rest = &line[at + "metrics on http://".len()..];
                let addr = rest.split('/').next().unwrap_or_default().to_owned();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("pipeplug logs the metrics address");
    Run {
        child,
        addr,
        _dir: dir,
    }
}

/// `GET path` on `addr`: the status code and the body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// The value of the sample `name{labels}` (labels in the order written), if present.
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    let key = format!("{name}{{{labels}}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .map(|v| v.parse().unwrap())
}

fn plugin(t: &str, id: &str) -> String {
    format!("pipeline=\"shop\",plugin_type=\"{t}\",plugin_id=\"{id}\"")
}

/// Scrapes until the flusher has flushed all 150 logs (at most 20 s); the last scrape.
fn scrape_until_flushed(addr: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, text) = get(addr, "/metrics");
        assert_eq!(status, 200, "{text}");
        let flushed = sample(
            &text,
            "pipeplug_plugin_events_out_total",
            &plugin("flusher_stdout", "3"),
        );
        if flushed == Some(150.0) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "not all flushed in time:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_run_serves_each_plugins_counts_and_its_health() {
    let mut run = start(PIPELINE, 10);
    // The server listens before the pipelines have started: 503 until they run.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (status, body) = loop {
        let (status, body) = get(&run.addr, "/health");
        if status == 200 || Instant::now() > deadline {
            break (status, body);
        }
        assert_eq!((status, body.as_str()), (503, "no pipeline is running\n"));
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!((status, body.as_str()), (200, "shop: running\n"));
    let text = scrape_until_flushed(&run.addr);
    let count = |name: &str, labels: &str| {
        sample(&text, name, labels).unwrap_or_else(|| panic!("no {name}{{{labels}}} in:\n{text}"))
    };
    let out = "pipeplug_plugin_events_out_total";
    let inn = "pipeplug_plugin_events_in_total";
    assert_eq!(
        count("pipeplug_pipeline_events_in_total", "pipeline=\"shop\""),
        150.0
    );
    assert_eq!(count(out, &plugin("service_mock", "1")), 150.0);
    assert_eq!(count(inn, &plugin("processor_add_fields", "2")), 150.0);
    assert_eq!(count(out, &plugin("processor_add_fields", "2")), 150.0);
    // The engine's default aggregator comes after the config's plugins.
    assert_eq!(count(inn, &plugin("aggregator_default", "4")), 150.0);
    assert_eq!(count(out, &plugin("aggregator_default", "4")), 150.0);
    assert_eq!(count(inn, &plugin("flusher_stdout", "3")), 150.0);
    let flusher = plugin("flusher_stdout", "3");
    for reason in ["stalled", "failed", "permanent", "panicked", "at_stop"] {
        let labels = format!("{flusher},reason=\"{reason}\"");
        assert_eq!(count("pipeplug_plugin_dropped_events_total", &labels), 0.0);
    }
    assert_eq!(count("pipeplug_plugin_panics_total", &flusher), 0.0);
    // The processor was called and timed: once per batch, at least once.
    let calls = count(
        "pipeplug_plugin_call_duration_seconds_count",
        &plugin("processor_add_fields", "2"),
    );
    assert!(calls >= 1.0, "{text}");
    // The flusher's self-metric, from its Context.
    assert_eq!(
        count("pipeplug_self_flusher_flushed_events_total", &flusher),
        150.0
    );
    let queue =
        "pipeline=\"shop\",queue=\"flusher\",plugin_type=\"flusher_stdout\",plugin_id=\"3\"";
    assert!(
        count("pipeplug_queue_capacity_batches", queue) >= 1.0,
        "{text}"
    );
    // What the flusher wrote is what the counts say: one line per log.
    let status = run.child.wait().unwrap();
    assert!(status.success());
    let mut stdout = String::new();
    run.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert_eq!(
        stdout.lines().filter(|l| l.contains("checkout")).count(),
        150
    );
}

#[test]
fn the_scraped_metrics_pass_promtool() {
    let Ok(out) = Command::new("promtool").arg("--version").output() else {
        eprintln!(
            "SKIPPED: `promtool` is not installed (Debian package `prometheus`; \
             tests/scripts/install-prometheus.sh installs it)"
        );
        return;
    };
    assert!(out.status.success());
    // A pipeline with self-metrics of every kind the engine has, and a metric input.
    let pipeline =
        format!("{PIPELINE}  - Type: flusher_stdout\n    Delivery: {{Policy: drop_newest}}\n")
            .replace(
                "inputs:\n",
                "inputs:\n  - Type: metric_mock\n    IntervalMs: 100\n",
            );
    let run = start(&pipeline, 10);
    std::thread::sleep(Duration::from_millis(500));
    let (status, text) = get(&run.addr, "/metrics");
    assert_eq!(status, 200);
    assert!(
        text.contains(
            "pipeplug_plugin_events_out_total{pipeline=\"shop\",plugin_type=\"metric_mock\""
        ),
        "{text}"
    );
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool: {}{}\non:\n{text}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[test]
fn a_metrics_address_in_use_is_a_start_up_error_naming_it() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.yaml");
    std::fs::write(&file, PIPELINE).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
        .args(["run", "--for", "5s", "--metrics-listen", &addr])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("error: cannot listen for metrics on {addr}: ")),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("in use"), "{stderr}");
    // Nothing ran.
    assert!(!stderr.contains("started"), "{stderr}");
}
