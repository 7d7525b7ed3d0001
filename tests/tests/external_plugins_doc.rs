//! `docs/external-plugins.md` runs as written: its shell blocks and the files it shows are
//! replayed in order, in an empty folder, as a new user would — from `cargo new` to a tested
//! plugin crate, then `pipeplug build` of an agent with it, whose `list` shows the plugin
//! and whose `run` runs it.
//!
//! A fenced block whose info string has `file=PATH` is written to `PATH` (relative to the
//! shell's current folder); a `sh` block is run by bash with `set -eu`; other blocks are
//! prose. The guide runs in a temporary folder outside the repository (as a user's crate
//! would be: inside, `cargo new` would join this workspace) and builds into a target folder
//! of its own under `CARGO_TARGET_TMPDIR`, kept between runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The doc as one bash script.
fn script(markdown: &str) -> String {
    let mut out = String::from("set -eu\n");
    let mut lines = markdown.lines();
    let mut n = 0;
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        if info.is_empty() {
            continue;
        }
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or_default();
        if let Some(path) = words.find_map(|w| w.strip_prefix("file=")) {
            n += 1;
            let _ = writeln!(
                out,
                "mkdir -p \"$(dirname '{path}')\"\ncat > '{path}' <<'PIPEPLUG_DOC_{n}'\n{body}PIPEPLUG_DOC_{n}"
            );
        } else if lang == "sh" {
            out.push_str(&body);
        }
    }
    out
}

#[test]
fn the_external_plugins_guide_runs_as_written() {
    let repo = repo();
    let doc = std::fs::read_to_string(repo.join("docs/external-plugins.md")).expect("read the doc");
    let script = script(&doc);
    let tmp = tempfile::tempdir().expect("create a temporary folder");
    let work = tmp.path();
    std::fs::write(work.join("guide.sh"), &script).expect("write the script");

    let out = Command::new("bash")
        .arg("guide.sh")
        .current_dir(work)
        .env("PIPEPLUG", &repo)
        // One target folder for the plugin crate and the agent, kept between runs.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("doc-tests"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the guide failed ({}).\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );

    // `cargo test` of the new crate: the generated conformance test and the two harness tests.
    assert!(
        stdout.contains("emits_one_log_per_interval ... ok"),
        "{stdout}"
    );
    assert!(stdout.contains("pipeplug_conformance ... ok"), "{stdout}");
    // `pipeplug list` of the built agent shows the external plugin, from the user's crate,
    // and the built-ins.
    let listed = |name: &str, krate: &str| {
        stdout
            .lines()
            .any(|l| l.starts_with(name) && l.split_whitespace().any(|w| w == krate))
    };
    assert!(listed("service_example_plugin", "my_plugins"), "{stdout}");
    assert!(listed("flusher_stdout", "pipeplug-plugins"), "{stdout}");
    // `pipeplug run --for 3s`: the plugin's logs, printed by flusher_stdout.
    assert!(
        stdout.contains("1.1.1.1"),
        "no event printed by the built agent:\n{stdout}"
    );
    // The build expects `service_example_plugin` (`expect:`), and it is there.
    assert!(
        !stderr.contains("was meant to be in this binary"),
        "{stderr}"
    );
}
