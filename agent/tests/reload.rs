//! Reloading configs in a running `pipeplug` (the real binary, as a child process): SIGHUP
//! and `--watch` add, remove and change pipelines, refuse a broken config, and leave the
//! unchanged ones alone.
//!
//! Every pipeline is `metric_mock` (its `Index` counts up from 1 in each run of the
//! pipeline; the field `gen` says which version of the config made the event) into
//! `flusher_stdout` writing `<name>.jsonl`. So the file shows, per config version, whether
//! events were lost (a gap), duplicated (a repeat) or restarted (`Index` back to 1), and its
//! line count is checked against the stop report (`N event(s) in, flushed N`).
#![cfg(unix)]
// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long any awaited condition may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// A test's folders: `conf/` (the configs, given to `run` as a directory) and `out/` (the
/// flushers' files).
struct Dirs {
    root: tempfile::TempDir,
}

impl Dirs {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("conf")).unwrap();
        std::fs::create_dir(root.path().join("out")).unwrap();
        Self { root }
    }

    fn conf(&self) -> PathBuf {
        self.root.path().join("conf")
    }

    fn config(&self, name: &str) -> PathBuf {
        self.conf().join(format!("{name}.yaml"))
    }

    fn out(&self, name: &str) -> PathBuf {
        self.root.path().join("out").join(format!("{name}.jsonl"))
    }

    /// Writes the config `name`, version `gen`, through a temporary file and a rename (as
    /// editors and config managers do: the agent never reads a half-written file).
    fn write(&self, name: &str, gen: u32) {
        let text = format!(
            "global:\n  AggregatIntervalMs: 100\ninputs:\n  - Type: metric_mock\n    IntervalMs: 10\n    Fields: {{gen: {gen}}}\nflushers:\n  - Type: flusher_stdout\n    FileName: {}\n",
            self.out(name).display()
        );
        self.write_text(name, &text);
    }

    fn write_text(&self, name: &str, text: &str) {
        let tmp = self.root.path().join(format!("{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.config(name)).unwrap();
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.config(name)).unwrap();
    }

    /// The events flushed to `name`'s file so far: (gen, Index) of each whole line.
    fn events(&self, name: &str) -> Vec<(u64, u64)> {
        let text = std::fs::read_to_string(self.out(name)).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| {
                let field = |k: &str| v[k].as_str().unwrap().parse::<u64>().unwrap();
                (field("gen"), field("Index"))
            })
            .collect()
    }

    /// Waits until `name`'s file holds at least `n` events of version `gen`.
    fn wait_for_events(&self, agent: &Agent, name: &str, gen: u64, n: usize) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let have = self.events(name).iter().filter(|e| e.0 == gen).count();
            if have >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{name}`: {have} event(s) of gen {gen}, not {n}, within {PATIENCE:?}:\n{}",
                agent.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The agent, running, with its stderr collected line by line.
struct Agent {
    child: Child,
    stderr: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Agent {
    /// `pipeplug run --data-dir <root>/data ARGS`, with stdout as given.
    fn run(dirs: &Dirs, args: &[&str], stdout: Stdio) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
            .env("RUST_LOG", "info")
            .env("RUST_BACKTRACE", "0")
            .arg("run")
            .arg("--data-dir")
            .arg(dirs.root.path().join("data"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
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
            child,
            stderr,
            reader: Some(reader),
        }
    }

    /// Runs the configs of `dirs`' `conf/` folder, with `--watch` when asked.
    fn run_conf(dirs: &Dirs, watch: bool) -> Self {
        let conf = dirs.conf();
        let mut args = vec![conf.to_str().unwrap()];
        if watch {
            args.insert(0, "--watch");
        }
        Self::run(dirs, &args, Stdio::null())
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) takes plain integers; the pid of our child, not yet reaped.
        let rc = unsafe { libc::kill(pid, sig) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Waits until stderr holds `text` `times` times or more.
    fn wait_for_log_n(&self, text: &str, times: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self.stderr().matches(text).count() < times {
            assert!(
                Instant::now() < deadline,
                "not {times} × `{text}` within {PATIENCE:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_for_log(&self, text: &str) {
        self.wait_for_log_n(text, 1);
    }

    /// SIGTERM, then waits for the exit. Returns the status and all of stderr.
    fn stop(self) -> (ExitStatus, String) {
        self.signal(libc::SIGTERM);
        self.wait()
    }

    fn wait(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "pipeplug did not exit within {PATIENCE:?}:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        (status, self.stderr())
    }
}

/// The stop reports of pipeline `name`, in order: (events in, flushed to its flusher).
fn reports(stderr: &str, name: &str) -> Vec<(u64, u64)> {
    let marker = format!("pipeline `{name}` stopped: ");
    stderr
        .lines()
        .filter_map(|l| Some(l[l.find(&marker)? + marker.len()..].to_owned()))
        .map(|rest| {
            // `N event(s) in, flushed M to flusher_stdout/1 (flushers[0]) (0 dropped)`
            let words: Vec<&str> = rest.split(' ').collect();
            assert_eq!(words[3], "flushed", "{rest}");
            assert!(rest.contains("(0 dropped)"), "nothing dropped: {rest}");
            (words[0].parse().unwrap(), words[4].parse().unwrap())
        })
        .collect()
}

/// The events of one run of a pipeline (one `gen`) are exactly `Index` 1..=n, in order:
/// nothing lost, nothing twice, no restart. Returns n.
fn assert_one_unbroken_run(events: &[(u64, u64)], gen: u64, name: &str) -> u64 {
    let indexes: Vec<u64> = events.iter().filter(|e| e.0 == gen).map(|e| e.1).collect();
    let n = indexes.len() as u64;
    assert!(n > 0, "`{name}` gen {gen}: no events");
    assert_eq!(
        indexes,
        (1..=n).collect::<Vec<_>>(),
        "`{name}` gen {gen}: Index 1..={n} once each, in order"
    );
    n
}

/// `name` ran once, unbroken, as gen `gen`: its file holds `Index` 1..=n and its single
/// stop report says n in, n flushed.
fn assert_ran_once(dirs: &Dirs, stderr: &str, name: &str, gen: u64) {
    let events = dirs.events(name);
    assert!(
        events.iter().all(|e| e.0 == gen),
        "`{name}`: only gen {gen}"
    );
    let n = assert_one_unbroken_run(&events, gen, name);
    assert_eq!(
        reports(stderr, name),
        [(n, n)],
        "`{name}`: one run:\n{stderr}"
    );
}

fn assert_clean_exit(status: ExitStatus, stderr: &str) {
    assert_eq!(status.code(), Some(0), "exit 0:\n{stderr}");
    assert!(!stderr.contains("exiting now"), "no forced exit:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn sighup_starts_a_new_config_and_leaves_the_running_one_untouched() {
    let dirs = Dirs::new();
    dirs.write("a", 1);
    let agent = Agent::run_conf(&dirs, false);
    dirs.wait_for_events(&agent, "a", 1, 5);
    dirs.write("b", 1);
    agent.signal(libc::SIGHUP);
    agent.wait_for_log(
        "reload (SIGHUP): added [b]; removed []; changed []; unchanged [a]; refused []",
    );
    dirs.wait_for_events(&agent, "b", 1, 5);
    // `a` keeps going after the reload, in the same run.
    let before = dirs.events("a").len();
    dirs.wait_for_events(&agent, "a", 1, before + 5);
    let (status, stderr) = agent.stop();
    assert_clean_exit(status, &stderr);
    assert_eq!(
        stderr.matches("pipeline `a` started").count(),
        1,
        "{stderr}"
    );
    assert_ran_once(&dirs, &stderr, "a", 1);
    assert_ran_once(&dirs, &stderr, "b", 1);
}

#[test]
fn sighup_stops_a_removed_config_cleanly_and_the_others_run_on() {
    let dirs = Dirs::new();
    dirs.write("a", 1);
    dirs.write("b", 1);
    let agent = Agent::run_conf(&dirs, false);
    dirs.wait_for_events(&agent, "a", 1, 5);
    dirs.wait_for_events(&agent, "b", 1, 5);
    dirs.remove("b");
    agent.signal(libc::SIGHUP);
    agent.wait_for_log(
        "reload (SIGHUP): added []; removed [b]; changed []; unchanged [a]; refused []",
    );
    agent.wait_for_log("pipeline `b` stopped");
    // What `b` accepted before its stop is all in its file (checked below); it grows no more
    // while `a` goes on.
    let b_after_stop = dirs.events("b").len();
    let a_now = dirs.events("a").len();
    dirs.wait_for_events(&agent, "a", 1, a_now + 10);
    assert_eq!(dirs.events("b").len(), b_after_stop, "`b` stopped");
    let (status, stderr) = agent.stop();
    assert_clean_exit(status, &stderr);
    assert_ran_once(&dirs, &stderr, "a", 1);
    assert_ran_once(&dirs, &stderr, "b", 1);
}

#[test]
fn sighup_restarts_a_changed_config_losing_nothing_and_leaves_the_unchanged_one_running() {
    let dirs = Dirs::new();
    dirs.write("a", 1);
    dirs.write("b", 1);
    let agent = Agent::run_conf(&dirs, false);
    dirs.wait_for_events(&agent, "a", 1, 5);
    dirs.write("a", 2);
    agent.signal(libc::SIGHUP);
    agent.wait_for_log(
        "reload (SIGHUP): added []; removed []; changed [a]; unchanged [b]; refused []",
    );
    dirs.wait_for_events(&agent, "a", 2, 5);
    let (status, stderr) = agent.stop();
    assert_clean_exit(status, &stderr);
    // `a`: the old run stopped cleanly (every event it accepted is in the file), then the
    // new one started from Index 1; no event of the old run after the new one's first.
    let events = dirs.events("a");
    let first_new = events.iter().position(|e| e.0 == 2).unwrap();
    assert!(
        events[first_new..].iter().all(|e| e.0 == 2),
        "old run over first"
    );
    let old = assert_one_unbroken_run(&events, 1, "a");
    let new = assert_one_unbroken_run(&events, 2, "a");
    assert_eq!(reports(&stderr, "a"), [(old, old), (new, new)], "{stderr}");
    assert_eq!(
        stderr.matches("pipeline `a` started").count(),
        2,
        "{stderr}"
    );
    // `b`: one run, its Index never back to 1, its counters never reset.
    assert_ran_once(&dirs, &stderr, "b", 1);
    assert_eq!(
        stderr.matches("pipeline `b` started").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn sighup_refuses_a_broken_config_and_its_pipeline_keeps_running_as_it_was() {
    let dirs = Dirs::new();
    dirs.write("a", 1);
    let agent = Agent::run_conf(&dirs, false);
    dirs.wait_for_events(&agent, "a", 1, 5);
    dirs.write_text(
        "a",
        "inputs:\n  - Type: metric_mokc\nflushers:\n  - Type: flusher_stdout\n",
    );
    agent.signal(libc::SIGHUP);
    agent.wait_for_log(
        "reload (SIGHUP): added []; removed []; changed []; unchanged []; refused [a]",
    );
    let stderr = agent.stderr();
    assert!(
        stderr.contains("a.yaml") && stderr.contains("metric_mokc"),
        "the refused config's error, naming the file and the plugin:\n{stderr}"
    );
    let now = dirs.events("a").len();
    dirs.wait_for_events(&agent, "a", 1, now + 10);
    // Fixed, it is a change like any other.
    dirs.write("a", 2);
    agent.signal(libc::SIGHUP);
    agent.wait_for_log("changed [a]");
    dirs.wait_for_events(&agent, "a", 2, 5);
    let (status, stderr) = agent.stop();
    assert_clean_exit(status, &stderr);
    let events = dirs.events("a");
    let old = assert_one_unbroken_run(&events, 1, "a");
    let new = assert_one_unbroken_run(&events, 2, "a");
    assert_eq!(reports(&stderr, "a"), [(old, old), (new, new)], "{stderr}");
}

#[test]
fn a_changed_config_that_fails_to_start_gives_way_to_its_previous_config() {
    let dirs = Dirs::new();
    dirs.write("a", 1);
    let agent = Agent::run_conf(&dirs, false);
    dirs.wait_for_events(&agent, "a", 1, 5);
    // It passes `check`, but its flusher's `init` cannot open the file.
    let missing = dirs.root.path().join("no-such-dir").join("a.jsonl");
    dirs.write_text(
        "a",
        &format!(
            "inputs:\n  - Type: metric_mock\n    Fields: {{gen: 2}}\nflushers:\n  - Type: flusher_stdout\n    FileName: {}\n",
            missing.display()
        ),
    );
    agent.signal(libc::SIGHUP);
    agent.wait_for_log("changed [a]");
    agent.wait_for_log("pipeline `a` runs its previous config again");
    // The previous config runs again: a second run of gen 1, from Index 1.
    agent.wait_for_log_n("pipeline `a` started", 2);
    let before = dirs.events("a").len();
    dirs.wait_for_events(&agent, "a", 1, before + 5);
    let (status, stderr) = agent.stop();
    assert_clean_exit(status, &stderr);
    assert!(
        stderr.contains("no-such-dir") && stderr.contains("starting pipeline `a` again"),
        "the init error, naming the file:\n{stderr}"
    );
    let events = dirs.events("a");
    assert!(events.iter().all(|e| e.0 == 1), "only gen 1 ran");
    let second = events.iter().skip(1).position(|e| e.1 == 1).unwrap() + 1;
    let first_run = assert_one_unbroken_run(&events[..second], 1, "a");
    let second_run = assert_one_unbroken_run(&events[second..], 1, "a");
    assert_eq!(
        reports(&stderr, "a"),
        [(first_run, first_run), (second_run, second_run)],
        "{stderr}"
    );
}

#[test]
fn watch_adds_changes_and_removes_pipelines_as_files_change() {
    let dirs = Dirs::new();
    dirs.write("a", 1);
    let agent = Agent::run_conf(&dirs, true);
    dirs.wait_for_events(&agent, "a", 1, 5);
    dirs.write("b", 1);
    agent.wait_for_log("reload (a config file changed): added [b]");
    dirs.wait_for_events(&agent, "b", 1, 5);
    dirs.write("b", 2);
    agent.wait_for_log("reload (a config file changed): added []; removed []; changed [b]");
    dirs.wait_for_events(&agent, "b", 2, 5);
    dirs.remove("b");
    agent.wait_for_log("reload (a config file changed): added []; removed [b]");
    agent.wait_for_log_n("pipeline `b` stopped", 2);
    let (status, stderr) = agent.stop();
    assert_clean_exit(status, &stderr);
    assert!(!stderr.contains("SIGHUP"), "{stderr}");
    assert_ran_once(&dirs, &stderr, "a", 1);
    let events = dirs.events("b");
    let old = assert_one_unbroken_run(&events, 1, "b");
    let new = assert_one_unbroken_run(&events, 2, "b");
    assert_eq!(reports(&stderr, "b"), [(old, old), (new, new)], "{stderr}");
}

#[test]
fn watch_with_no_config_yet_waits_for_one() {
    let dirs = Dirs::new();
    let agent = Agent::run_conf(&dirs, true);
    agent.wait_for_log("watching the configs");
    dirs.write("late", 1);
    agent.wait_for_log("added [late]");
    dirs.wait_for_events(&agent, "late", 1, 5);
    let (status, stderr) = agent.stop();
    assert_clean_exit(status, &stderr);
    assert_ran_once(&dirs, &stderr, "late", 1);
}

/// Bytes waiting in the pipe of `fd` and its capacity.
#[cfg(target_os = "linux")]
fn pipe_fill(fd: std::os::fd::RawFd) -> (usize, usize) {
    let mut queued: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int; F_GETPIPE_SZ reads nothing. `fd` is our open pipe.
    let capacity = unsafe {
        assert_eq!(libc::ioctl(fd, libc::FIONREAD, &mut queued), 0);
        libc::fcntl(fd, libc::F_GETPIPE_SZ)
    };
    (
        usize::try_from(queued).unwrap(),
        usize::try_from(capacity).unwrap(),
    )
}

/// A SIGTERM while a reload is stopping a pipeline stops the run (cleanly, exit 0) without
/// starting the new config, and a SIGHUP during that stop is ignored (it neither reloads
/// nor forces the exit as a second stop signal would).
#[cfg(target_os = "linux")]
#[test]
fn sigterm_during_a_reload_stops_the_run_and_sighup_during_the_stop_is_ignored() {
    use std::os::fd::AsRawFd;
    let dirs = Dirs::new();
    // `a` writes to the agent's stdout, a pipe this test never reads: once it is full the
    // flusher is blocked, so `a`'s stop lasts until its step limits (2 s each).
    dirs.write_text(
        "a",
        "global:\n  AggregatIntervalMs: 100\ninputs:\n  - Type: metric_mock\n    IntervalMs: 1\n    Fields: {gen: 1}\nflushers:\n  - Type: flusher_stdout\n",
    );
    let conf = dirs.conf();
    let mut agent = Agent::run(
        &dirs,
        &["--stop-timeout", "2s", conf.to_str().unwrap()],
        Stdio::piped(),
    );
    let stdout = agent.child.stdout.take().unwrap();
    // Full: the pipe holds a lot and has not moved for a second, while `a` writes every
    // 0.1 s (pieces of at most 4096 bytes, each written whole or not at all: how full the
    // pipe is when a write blocks depends on the pieces).
    let deadline = Instant::now() + PATIENCE;
    let (mut last, mut still_since) = (0, Instant::now());
    loop {
        let (queued, capacity) = pipe_fill(stdout.as_raw_fd());
        if queued != last {
            (last, still_since) = (queued, Instant::now());
        } else if queued >= capacity / 2 && still_since.elapsed() >= Duration::from_secs(1) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stdout never filled ({queued} of {capacity} bytes):\n{}",
            agent.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    dirs.write_text(
        "a",
        "inputs:\n  - Type: metric_mock\n    Fields: {gen: 2}\nflushers:\n  - Type: flusher_stdout\n",
    );
    agent.signal(libc::SIGHUP);
    agent.wait_for_log("changed [a]");
    agent.signal(libc::SIGTERM);
    agent.wait_for_log("stopping (SIGTERM) during a reload");
    agent.signal(libc::SIGHUP);
    agent.wait_for_log("SIGHUP received while stopping: ignored");
    let (status, stderr) = agent.wait();
    drop(stdout);
    assert_eq!(status.code(), Some(0), "exit 0:\n{stderr}");
    assert!(!stderr.contains("exiting now"), "no forced exit:\n{stderr}");
    assert_eq!(
        stderr.matches("pipeline `a` started").count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.matches("reload (").count(), 1, "{stderr}");
}

#[test]
fn check_takes_a_directory_as_run_does_and_names_its_broken_file() {
    let dirs = Dirs::new();
    dirs.write("a", 1);
    dirs.write_text("b", "inputs:\n  - Type: metric_mokc\n");
    std::fs::write(dirs.conf().join("notes.txt"), "not a config").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
        .arg("check")
        .arg(dirs.conf())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("ok: ") && stdout.contains("a.yaml"),
        "{stdout}"
    );
    assert!(
        stderr.contains("b.yaml") && stderr.contains("metric_mokc"),
        "{stderr}"
    );
    assert!(!stdout.contains("notes.txt") && !stderr.contains("notes.txt"));
}

/// `GET path` on `addr`: the status and the body.
fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (
        head.split(' ').nth(1).unwrap().parse().unwrap(),
        body.to_owned(),
    )
}

/// `pipeplug_pipeline_events_in_total` of pipeline `name` in a scrape.
fn events_in(metrics: &str, name: &str) -> Option<u64> {
    let key = format!("pipeplug_pipeline_events_in_total{{pipeline=\"{name}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&key))
        .map(|v| v.trim().parse::<f64>().unwrap() as u64)
}

/// Seen from `/metrics`: across a reload that changes `a`, the unchanged `b`'s counter goes
/// on from where it was, and `a`'s starts again with its new run.
#[test]
fn the_metrics_of_an_unchanged_pipeline_go_on_across_a_reload() {
    let dirs = Dirs::new();
    dirs.write("a", 1);
    dirs.write("b", 1);
    let agent = Agent::run(
        &dirs,
        &[
            "--metrics-listen",
            "127.0.0.1:0",
            dirs.conf().to_str().unwrap(),
        ],
        Stdio::null(),
    );
    agent.wait_for_log("metrics on http://");
    let log = agent.stderr();
    let addr = log
        .split("metrics on http://")
        .nth(1)
        .and_then(|rest| rest.split("/metrics").next())
        .unwrap()
        .to_owned();
    dirs.wait_for_events(&agent, "a", 1, 100);
    dirs.wait_for_events(&agent, "b", 1, 100);
    let before = http_get(&addr, "/metrics").1;
    let b_before = events_in(&before, "b").unwrap();
    assert!(events_in(&before, "a").unwrap() >= 100, "{before}");

    dirs.write("a", 2);
    agent.signal(libc::SIGHUP);
    agent.wait_for_log(
        "reload (SIGHUP): added []; removed []; changed [a]; unchanged [b]; refused []",
    );
    dirs.wait_for_events(&agent, "a", 2, 1);
    let after = http_get(&addr, "/metrics").1;
    let b_after = events_in(&after, "b").unwrap();
    assert!(
        b_after >= b_before,
        "b's counter went back: {b_before} → {b_after}\n{after}"
    );
    let a_after = events_in(&after, "a").unwrap();
    let (status, health) = http_get(&addr, "/health");
    let mut lines: Vec<&str> = health.lines().collect();
    lines.sort_unstable();
    assert_eq!((status, lines), (200, vec!["a: running", "b: running"]));
    let (status, stderr) = agent.stop();
    assert_clean_exit(status, &stderr);
    // `a`'s counter counts its new run only: at most what that run took in by the stop
    // (had it gone on from the old run's 100 or more, it would be above that).
    let runs = reports(&stderr, "a");
    assert_eq!(runs.len(), 2, "{stderr}");
    assert!(runs[0].0 >= 100, "{runs:?}");
    assert!(
        a_after <= runs[1].0,
        "a: {a_after} after the reload, runs {runs:?}"
    );
}
