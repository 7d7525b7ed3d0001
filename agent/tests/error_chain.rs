//! The CLI prints an error with its whole chain of causes (`error: X: Y: Z`), though each
//! error's own message leaves its cause to `source()`.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::process::Command;

/// Runs `pipeplug run --for 1s` on the config `text` with `data_dir` (relative to a fresh
/// folder); returns the exit code and stderr, the folder's path replaced by `DIR`.
fn run(text: &str, data_dir: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipeline.yaml");
    std::fs::write(&file, text).unwrap();
    std::fs::write(dir.path().join("a_file"), "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
        .env("RUST_BACKTRACE", "0")
        .args(["run", "--for", "1s", "--data-dir"])
        .arg(dir.path().join(data_dir))
        .arg(&file)
        .output()
        .unwrap();
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&*dir.path().to_string_lossy(), "DIR");
    (out.status.code(), stderr)
}

const MOCK: &str = "inputs:\n  - Type: service_mock\nflushers:\n  - Type: flusher_stdout\n";

#[test]
fn an_init_failure_shows_the_plugins_own_error() {
    let (code, stderr) = run(
        "inputs:\n  - Type: service_mock\n    File: /nonexistent/pipeplug-test\nflushers:\n  - Type: flusher_stdout\n",
        "data",
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "error: DIR/pipeline.yaml: plugin service_mock/1 (inputs[0]): init failed: service_mock: cannot read `File`"
        ),
        "{stderr}"
    );
}

#[test]
fn a_data_dir_that_cannot_be_made_shows_the_os_error() {
    let (code, stderr) = run(MOCK, "a_file/data");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "error: cannot open the checkpoint database DIR/a_file/data/checkpoints.redb: cannot create the data folder: "
        ),
        "{stderr}"
    );
}
