//! Bad config inputs, run as a user would: the `pipeplug-testkit` binary with `check` and with
//! `run --for 1s`. Each must fail with exit code 1 and a message naming the file (and the key
//! where there is one), within 2 s (see [`TIME_BOUND`]) and under 200 MB of memory.
//!
//! Memory is the child's peak resident set (`ru_maxrss` from `wait4`, which reports on that
//! one child only); the big inputs are generated here, in a temporary folder.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]
#![cfg(target_os = "linux")]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a run of the binary gave.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    stdout: String,
    elapsed: Duration,
    /// Peak resident memory, in bytes.
    peak: u64,
}

/// 2 s for an optimised binary; an unoptimised test build (as `cargo test` makes) on a
/// loaded machine gets twice that. `cargo test --release --test bad_inputs` checks the 2 s.
const TIME_BOUND: Duration = if cfg!(debug_assertions) {
    Duration::from_secs(4)
} else {
    Duration::from_secs(2)
};
const MEMORY_BOUND: u64 = 200 * 1024 * 1024;

/// Runs the agent with `args`, killing it after 20 s (a hang fails the time bound anyway).
fn agent(args: &[&str], dir: &Path) -> Outcome {
    let out_path = dir.join("stdout.txt");
    let err_path = dir.join("stderr.txt");
    let start = Instant::now();
    // Waited for with `wait4` below, which also gives its peak memory.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_pipeplug-testkit"))
        .args(args)
        .env("RUST_LOG", "info")
        .env("RUST_BACKTRACE", "0")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: a zeroed `rusage` is a valid value for `wait4` to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not yet waited for; the pointers are valid.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        assert_eq!(r, 0, "wait4 failed");
        if start.elapsed() > Duration::from_secs(20) {
            // SAFETY: as above; SIGKILL to our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Outcome {
        code,
        stderr: std::fs::read_to_string(&err_path).unwrap(),
        stdout: std::fs::read_to_string(&out_path).unwrap(),
        elapsed,
        peak: u64::try_from(usage.ru_maxrss).unwrap() * 1024,
    }
}

/// `check FILE` and `run --for 1s FILE` both fail as the module docs say, with every one of
/// `expected` in stderr.
fn rejected(file: &Path, expected: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let name = file.to_str().unwrap();
    let mut last = None;
    for args in [vec!["check", name], vec!["run", "--for", "1s", name]] {
        let o = agent(&args, dir.path());
        let what = format!("`{}`", args.join(" "));
        assert_eq!(o.code, Some(1), "{what} exits 1:\n{}", o.stderr);
        assert!(o.elapsed < TIME_BOUND, "{what} took {:?}", o.elapsed);
        assert!(o.peak < MEMORY_BOUND, "{what} peaked at {} bytes", o.peak);
        assert!(!o.stderr.contains("panicked"), "{what}:\n{}", o.stderr);
        assert!(
            o.stderr.contains(name),
            "{what} names the file:\n{}",
            o.stderr
        );
        for e in expected {
            assert!(
                o.stderr.contains(e),
                "{what}: expected `{e}` in:\n{}",
                o.stderr
            );
        }
        last = Some(o);
    }
    last.unwrap()
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const GOOD_TAIL: &str = "flushers:\n  - Type: flusher_count\n";

#[test]
fn a_million_bad_entries_give_a_capped_list_of_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "{\"inputs\": [{\"Type\": \"service_counter\"}], \"flushers\": [{\"Type\": \"flusher_count\"}], \"processors\": [",
    );
    for i in 0..1_000_000 {
        if i > 0 {
            text.push(',');
        }
        write!(text, "{}", i % 10).unwrap();
    }
    text.push_str("]}");
    let file = write(dir.path(), "million.json", &text);
    let o = rejected(
        &file,
        &[
            "processors[0]: expected a map",
            "processors[19]",
            "and 999980 more error(s) in",
            "1000000 error(s)",
        ],
    );
    assert!(!o.stderr.contains("processors[20]"), "{}", o.stderr);
    assert!(o.stderr.lines().count() < 40, "{}", o.stderr);
}

#[test]
fn deep_nesting_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    let yaml = format!("inputs: {}1{}\n", "[".repeat(n), "]".repeat(n));
    let file = write(dir.path(), "deep.yaml", yaml);
    rejected(&file, &["nested more than 64 levels deep"]);
    let block = format!("inputs:\n{}x\n", "- ".repeat(n));
    let file = write(dir.path(), "deep-block.yaml", block);
    rejected(&file, &["nested more than 64 levels deep"]);
    let json = format!("{{\"inputs\": {}1{}}}", "[".repeat(n), "]".repeat(n));
    let file = write(dir.path(), "deep.json", json);
    rejected(&file, &["nested more than 64 levels deep"]);
}

#[test]
fn files_that_are_not_regular_are_refused_without_reading() {
    rejected(
        Path::new("/dev/zero"),
        &["not a regular file (a character device)"],
    );
    let dir = tempfile::tempdir().unwrap();
    // A directory stands for its config files: one without any is refused, naming it.
    rejected(
        dir.path(),
        &["a directory with no config file in it (*.yaml, *.yml, *.json)"],
    );
    let fifo = dir.path().join("fifo.yaml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; creates a FIFO no one opens.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    rejected(&fifo, &["not a regular file (a FIFO)"]);
}

#[test]
fn a_file_over_the_limit_is_refused_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.yaml");
    // A sparse file: 17 MiB long, nothing written.
    std::fs::File::create(&file)
        .unwrap()
        .set_len(17 * 1024 * 1024)
        .unwrap();
    rejected(&file, &["larger than the limit of 16777216 bytes (16 MiB)"]);
}

#[test]
fn a_key_given_twice_is_an_error_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let top = format!(
        "inputs:\n  - Type: service_counter\n{GOOD_TAIL}inputs:\n  - Type: service_counter\n"
    );
    let file = write(dir.path(), "twice.yaml", top);
    rejected(&file, &["duplicate entry with key \"inputs\""]);
    let inner =
        format!("inputs:\n  - Type: service_counter\n    Count: 1\n    Count: 2\n{GOOD_TAIL}");
    let file = write(dir.path(), "twice-inner.yaml", inner);
    rejected(&file, &["duplicate entry with key \"Count\""]);
    let json = r#"{"inputs": [{"Type": "service_counter", "Count": 1, "Count": 2}], "flushers": [{"Type": "flusher_count"}]}"#;
    let file = write(dir.path(), "twice.json", json);
    rejected(&file, &["key `Count` given twice"]);
}

#[test]
fn nan_and_inf_are_type_errors_with_their_key() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value, key) in [
        ("nan-duration.yaml", "Interval: .nan", "inputs[0].Interval"),
        ("inf-count.yaml", "Count: .inf", "inputs[0].Count"),
        ("neg-inf.yaml", "Batch: -.Inf", "inputs[0].Batch"),
    ] {
        let text = format!("inputs:\n  - Type: service_counter\n    {value}\n{GOOD_TAIL}");
        let file = write(dir.path(), name, text);
        rejected(&file, &[&format!("key `{key}`"), "not a finite number"]);
    }
}

#[test]
fn a_bom_is_skipped_and_merge_keys_apply() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "\u{feff}inputs:\n  - &counter\n    Type: service_counter\n    Count: 3\n  - <<: *counter\n    Count: 4\n{GOOD_TAIL}"
    );
    let file = write(dir.path(), "bom.yaml", text);
    let o = agent(&["check", file.to_str().unwrap()], dir.path());
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    // The merged entry is a second service_counter: 3 plugins with the flusher.
    assert!(o.stdout.contains("(v1, 3 plugin(s))"), "{}", o.stdout);
    let json = "\u{feff}{\"inputs\": [{\"Type\": \"service_counter\"}], \"flushers\": [{\"Type\": \"flusher_count\"}]}";
    let file = write(dir.path(), "bom.json", json);
    let o = agent(&["check", file.to_str().unwrap()], dir.path());
    assert_eq!(o.code, Some(0), "{}", o.stderr);
}

#[test]
fn check_says_when_an_interval_is_raised_to_1ms() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("inputs:\n  - Type: metric_counter\n    IntervalMs: 0\n{GOOD_TAIL}");
    let file = write(dir.path(), "zero.yaml", text);
    let o = agent(&["check", file.to_str().unwrap()], dir.path());
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("inputs[0] (metric_counter): key `IntervalMs`")
            && o.stderr.contains("below 1 ms"),
        "{}",
        o.stderr
    );
}

#[test]
fn service_mock_refuses_a_device_as_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("inputs:\n  - Type: service_mock\n    File: /dev/zero\n{GOOD_TAIL}");
    let file = write(dir.path(), "mock.yaml", text);
    let o = agent(&["run", "--for", "1s", file.to_str().unwrap()], dir.path());
    assert_eq!(o.code, Some(1), "{}", o.stderr);
    assert!(o.elapsed < TIME_BOUND, "took {:?}", o.elapsed);
    assert!(o.peak < MEMORY_BOUND, "peaked at {} bytes", o.peak);
    assert!(
        o.stderr.contains("service_mock")
            && o.stderr
                .contains("/dev/zero: not a regular file (a character device)"),
        "{}",
        o.stderr
    );
}
