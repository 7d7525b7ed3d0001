//! `pipeplug run` writes nothing where it runs unless a plugin saves a checkpoint: the
//! README's example pipeline, run from an empty folder, leaves it empty.

// Helpers of this test unwrap as the test does: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

#[test]
fn run_without_checkpoints_leaves_the_folder_it_runs_in_empty() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/example.yaml");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
        .current_dir(dir.path())
        .args(["run", "--for", "1s"])
        .arg(&example)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}\n{stderr}");
}
