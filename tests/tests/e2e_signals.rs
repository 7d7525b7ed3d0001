//! End-to-end tests of how `pipeplug run` stops: the real agent binary (`pipeplug-testkit`)
//! as a child process, stopped by `--for` or by signals as operators and service managers
//! send them, counting events in (the stop report) and out (`flusher_tally`'s file) exactly.
#![cfg(unix)]
// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Events every clean-stop test sees through the pipeline at least.
const MIN_EVENTS: u64 = 100_000;

#[derive(Clone, Copy, Debug)]
enum Version {
    V1,
    V2,
}

/// A pipeline file: an endless, fast `service_counter` into `flusher_tally`, writing the
/// tally to `<dir>/<name>.tally`.
fn pipeline(dir: &Path, name: &str, version: Version) -> (PathBuf, PathBuf) {
    let tally = dir.join(format!("{name}.tally"));
    let global = match version {
        Version::V1 => "",
        Version::V2 => "global: { StructureType: v2 }\n",
    };
    let text = format!(
        "{global}inputs:\n  - Type: service_counter\n    Count: 0\n    Batch: 1000\n    Interval: 1ms\nflushers:\n  - Type: flusher_tally\n    Path: {}\n",
        tally.display()
    );
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, text).unwrap();
    (file, tally)
}

/// The agent, running, with its stderr collected line by line.
struct Agent {
    child: Child,
    stderr: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Agent {
    /// `pipeplug-testkit run --data-dir <dir>/data ARGS`; in a process group of its own
    /// (as a service manager or `timeout` starts it) when `own_group`.
    fn run(dir: &Path, args: &[&str], own_group: bool) -> Self {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pipeplug-testkit"));
        // With the flushers' retries (debug): a failure message then shows a `flush` that
        // failed and was called again.
        c.env("RUST_LOG", "info,pipeplug_agent::engine::flush=debug")
            .env("RUST_BACKTRACE", "0")
            .arg("run")
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if own_group {
            c.process_group(0);
        }
        let mut child = c.spawn().unwrap();
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

    fn pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.child.id()).unwrap()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr holds `text`.
    fn wait_for_log(&self, text: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.stderr().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no `{text}` within {within:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the exit; fails unless it comes within `bound`. Returns the status, how long
    /// it took, and all of stderr.
    fn wait(mut self, bound: Duration) -> (ExitStatus, Duration, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > bound {
                let _ = self.child.kill();
                panic!("pipeplug did not exit within {bound:?}:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = start.elapsed();
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        (status, took, self.stderr())
    }
}

fn signal(pid: libc::pid_t, sig: libc::c_int) {
    // SAFETY: kill(2) takes plain integers; a pid of ours (or a group id, negated).
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(
        rc,
        0,
        "kill({pid}, {sig}): {}",
        std::io::Error::last_os_error()
    );
}

/// `flusher_tally`'s file: (events, distinct event numbers).
fn tally(path: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let field = |name: &str| -> u64 {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("count"), field("distinct"))
}

/// Waits until `flusher_tally` has flushed at least `n` events.
fn wait_for_tally(agent: &Agent, path: &Path, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tally(path).0 < n {
        assert!(
            Instant::now() < deadline,
            "fewer than {n} events flushed within 30 s:\n{}",
            agent.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Events the stop report of pipeline `name` says were accepted.
fn events_in(stderr: &str, name: &str) -> u64 {
    let marker = format!("pipeline `{name}` stopped: ");
    let line = stderr
        .lines()
        .find(|l| l.contains(&marker))
        .unwrap_or_else(|| panic!("no stop report of `{name}`:\n{stderr}"));
    let rest = &line[line.find(&marker).unwrap() + marker.len()..];
    rest.split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no event count in {line:?}"))
}

/// A clean stop happened: exit 0, and every event accepted (at least [`MIN_EVENTS`]) was
/// flushed exactly once.
fn assert_nothing_lost(status: ExitStatus, stderr: &str, tally_file: &Path, name: &str) {
    assert_eq!(status.code(), Some(0), "exit 0:\n{stderr}");
    assert!(!stderr.contains("exiting now"), "no forced exit:\n{stderr}");
    let accepted = events_in(stderr, name);
    assert!(
        accepted >= MIN_EVENTS,
        "at least {MIN_EVENTS} events in, got {accepted}:\n{stderr}"
    );
    assert_eq!(
        tally(tally_file),
        (accepted, accepted),
        "every accepted event flushed exactly once:\n{stderr}"
    );
}

/// Runs the pipeline until [`MIN_EVENTS`] are flushed, calls `stop` with the agent, and
/// checks the stop was clean.
fn stop_cleanly(version: Version, own_group: bool, stop: impl FnOnce(&Agent)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{version:?}").to_lowercase();
    let (file, tally_file) = pipeline(dir.path(), &name, version);
    let agent = Agent::run(dir.path(), &[file.to_str().unwrap()], own_group);
    wait_for_tally(&agent, &tally_file, MIN_EVENTS);
    stop(&agent);
    let (status, _, stderr) = agent.wait(Duration::from_secs(30));
    assert_nothing_lost(status, &stderr, &tally_file, &name);
    stderr
}

#[test]
fn stop_by_for_loses_nothing_v1_and_v2() {
    for version in [Version::V1, Version::V2] {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("{version:?}").to_lowercase();
        let (file, tally_file) = pipeline(dir.path(), &name, version);
        let agent = Agent::run(dir.path(), &["--for", "3s", file.to_str().unwrap()], false);
        let (status, _, stderr) = agent.wait(Duration::from_secs(30));
        assert!(stderr.contains("stopping (--for)"), "{stderr}");
        assert_nothing_lost(status, &stderr, &tally_file, &name);
    }
}

#[test]
fn a_flush_retried_after_the_tally_file_could_not_be_written_counts_once_v1_and_v2() {
    // The engine calls a failed `flush`/`export` again with the same groups: the tally must
    // count them once, as the engine counts them once (a disk full for a moment made
    // `stop_by_for_loses_nothing_v1_and_v2` see a group twice).
    for version in [Version::V1, Version::V2] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let name = format!("{version:?}").to_lowercase();
        let (file, tally_file) = pipeline(&out, &name, version);
        let agent = Agent::run(dir.path(), &[file.to_str().unwrap()], false);
        wait_for_tally(&agent, &tally_file, MIN_EVENTS);
        // The tally's directory goes away for a moment: its writes fail, and the engine
        // retries them once it is back.
        let away = dir.path().join("away");
        std::fs::rename(&out, &away).unwrap();
        agent.wait_for_log("`flush` failed", Duration::from_secs(10));
        std::fs::rename(&away, &out).unwrap();
        let before = tally(&tally_file).0;
        wait_for_tally(&agent, &tally_file, before + 1);
        signal(agent.pid(), libc::SIGTERM);
        let (status, _, stderr) = agent.wait(Duration::from_secs(30));
        assert!(stderr.contains("retry 1 in"), "{stderr}");
        assert_nothing_lost(status, &stderr, &tally_file, &name);
    }
}

#[test]
fn sigterm_and_sigint_each_stop_cleanly_v1_and_v2() {
    // SIGHUP reloads the configs (`agent/tests/reload.rs`).
    for (sig, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        for version in [Version::V1, Version::V2] {
            let stderr = stop_cleanly(version, false, |a| signal(a.pid(), sig));
            assert!(stderr.contains(&format!("stopping ({name})")), "{stderr}");
        }
    }
}

#[test]
fn sigterm_twice_within_10_ms_is_one_clean_stop_v1_and_v2() {
    for version in [Version::V1, Version::V2] {
        stop_cleanly(version, false, |a| {
            signal(a.pid(), libc::SIGTERM);
            std::thread::sleep(Duration::from_millis(5));
            signal(a.pid(), libc::SIGTERM);
        });
    }
}

#[test]
fn sigterm_to_the_process_and_its_group_at_once_is_one_clean_stop_v1_and_v2() {
    // What `timeout` and service managers do: the agent gets the signal twice, at once.
    for version in [Version::V1, Version::V2] {
        stop_cleanly(version, true, |a| {
            signal(-a.pid(), libc::SIGTERM);
            signal(a.pid(), libc::SIGTERM);
        });
    }
}

#[test]
fn a_signal_1_5_s_after_the_first_forces_exit_130_and_reports_what_was_not_delivered() {
    let dir = tempfile::tempdir().unwrap();
    // A flusher that is never ready makes the stop wait (the flush step's 5 s by default).
    let file = dir.path().join("stuck.yaml");
    std::fs::write(
        &file,
        "inputs:\n  - Type: service_counter\n    Count: 0\n    Batch: 100\n    Interval: 1ms\nflushers:\n  - Type: flusher_never_ready\n",
    )
    .unwrap();
    let agent = Agent::run(dir.path(), &[file.to_str().unwrap()], false);
    agent.wait_for_log("pipeline `stuck` started", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    signal(agent.pid(), libc::SIGTERM);
    agent.wait_for_log("stopping (SIGTERM)", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(1500));
    signal(agent.pid(), libc::SIGTERM);
    let (status, took, stderr) = agent.wait(Duration::from_secs(3));
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(took < Duration::from_secs(1), "exits at once: {took:?}");
    assert!(
        stderr.contains("pipeplug: SIGTERM 1.5s after the first signal: exiting now, without finishing the stop"),
        "{stderr}"
    );
    // The pipeline's figures when the stop began, and the events not delivered.
    let report = stderr
        .lines()
        .find(|l| l.starts_with("pipeplug: pipeline `stuck` did not finish its stop"))
        .unwrap_or_else(|| panic!("no report of the pipeline:\n{stderr}"));
    let accepted: u64 = report
        .split(": ")
        .nth(2)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no event count in {report:?}"));
    assert!(accepted > 0, "{report}");
    assert!(
        report.ends_with(&format!(
            "flushed 0 to flusher_never_ready/2 (flushers[0]) ({accepted} not delivered)"
        )),
        "{report}"
    );
    assert!(
        stderr.contains(&format!("pipeplug: {accepted} event(s) not delivered")),
        "{stderr}"
    );
}

#[test]
fn stop_timeout_bounds_a_stop_held_by_a_never_ready_flusher() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("held.yaml");
    std::fs::write(
        &file,
        "inputs:\n  - Type: service_counter\n    Count: 0\n    Batch: 100\n    Interval: 1ms\nflushers:\n  - Type: flusher_never_ready\n",
    )
    .unwrap();
    // Every step 1 s at most: the stop takes at most 5 s (inputs + drain + flush + 2 × stop).
    let agent = Agent::run(
        dir.path(),
        &["--stop-timeout", "1s", file.to_str().unwrap()],
        false,
    );
    agent.wait_for_log("pipeline `held` started", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    signal(agent.pid(), libc::SIGTERM);
    let (status, took, stderr) = agent.wait(Duration::from_secs(6));
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("pipeline `held` stopped"), "{stderr}");
    // The flush step gave the unready flusher its 1 s, no more than the default 5 s.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn a_blocked_init_is_named_and_sigterm_still_stops_the_other_pipelines_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // A FIFO no one reads: opening it for writing blocks the flusher's `init`.
    let fifo = dir.path().join("fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let blocked = dir.path().join("blocked.yaml");
    std::fs::write(
        &blocked,
        format!(
            "inputs:\n  - Type: service_counter\n    Count: 0\nflushers:\n  - Type: flusher_open_path\n    Path: {}\n",
            fifo.display()
        ),
    )
    .unwrap();
    let (good, tally_file) = pipeline(dir.path(), "good", Version::V2);
    let agent = Agent::run(
        dir.path(),
        &[
            "--stop-timeout",
            "1s",
            good.to_str().unwrap(),
            blocked.to_str().unwrap(),
        ],
        false,
    );
    // The agent says what it waits for...
    agent.wait_for_log(
        "waiting for the init of flusher_open_path/2 (flushers[0]) in pipeline `blocked`",
        Duration::from_secs(30),
    );
    wait_for_tally(&agent, &tally_file, MIN_EVENTS);
    // ... and SIGTERM stops it: the start is given up on after `inputs` (1 s), then the
    // pipeline that did start stops (at most 5 s with 1 s steps).
    signal(agent.pid(), libc::SIGTERM);
    let (status, _, stderr) = agent.wait(Duration::from_secs(7));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: stopping (SIGTERM): the init of flusher_open_path/2 (flushers[0]) in pipeline `blocked` did not return"),
        "{stderr}"
    );
    let accepted = events_in(&stderr, "good");
    assert!(accepted >= MIN_EVENTS, "{stderr}");
    assert_eq!(tally(&tally_file), (accepted, accepted), "{stderr}");
}

#[test]
fn a_bad_stop_timeout_is_a_command_line_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_pipeplug-testkit"))
        .args(["run", "--stop-timeout", "flash=1s", "x.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "`flash` is not a stop step; the steps are `inputs`, `drain`, `flush` and `stop`"
        ),
        "{stderr}"
    );
}

/// The numbers of a stop report line: events in, and per flusher (flushed, dropped).
fn stop_report(stderr: &str, name: &str) -> (u64, Vec<(u64, u64)>) {
    let marker = format!("pipeline `{name}` stopped: ");
    let line = stderr
        .lines()
        .find(|l| l.contains(&marker))
        .unwrap_or_else(|| panic!("no stop report of `{name}`:\n{stderr}"));
    let number = |s: &str| -> u64 {
        s.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number at {s:?} in {line:?}"))
    };
    let flushers = line
        .split("flushed ")
        .skip(1)
        .map(|part| {
            let dropped = part
                .find('(')
                .and_then(|_| part.rsplit_once(" dropped"))
                .map_or(0, |(before, _)| {
                    number(&before[before.rfind('(').unwrap() + 1..])
                });
            (number(part), dropped)
        })
        .collect();
    (events_in(stderr, name), flushers)
}

#[test]
fn a_stop_with_stdout_blocked_in_a_write_adds_up_and_tears_no_line_v1_and_v2() {
    for version in [Version::V1, Version::V2] {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("blocked_{version:?}").to_lowercase();
        let global = match version {
            Version::V1 => "",
            Version::V2 => "global: { StructureType: v2 }\n",
        };
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(
            &file,
            format!(
                "{global}inputs:\n  - Type: service_counter\n    Count: 0\n    Batch: 1000\n    Interval: 1ms\nflushers:\n  - Type: flusher_stdout\n"
            ),
        )
        .unwrap();
        // Standard output is a pipe nobody reads until the agent has exited: once its buffer
        // is full, flusher_stdout is blocked in a write, as behind a stuck reader.
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipeplug-testkit"))
            .env("RUST_LOG", "info")
            .args(["run", "--stop-timeout", "1s", "--data-dir"])
            .arg(dir.path().join("data"))
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let sent = Instant::now();
        signal(libc::pid_t::try_from(child.id()).unwrap(), libc::SIGTERM);
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
            s
        });
        // The worst case of a stop with every step at 1 s is 6 s.
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "no exit within 10 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut out).unwrap();
        let stderr = err_reader.join().unwrap();
        assert_eq!(status.code(), Some(0), "{stderr}");
        let (accepted, flushers) = stop_report(&stderr, &name);
        assert_eq!(flushers.len(), 1, "{stderr}");
        let (flushed, dropped) = flushers[0];
        assert!(
            dropped > 0,
            "the blocked flusher dropped what it held:\n{stderr}"
        );
        assert_eq!(
            flushed + dropped,
            accepted,
            "in = flushed + dropped:\n{stderr}"
        );
        // What reached the reader is whole lines, each a JSON object.
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.is_empty(),
            "something was written before the pipe filled up"
        );
        assert!(text.ends_with('\n'), "the last line is whole");
        for line in text.lines() {
            assert!(
                serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object()),
                "a torn line: {line:?}"
            );
        }
    }
}
