//! `pipeplug build` failures a builder must be able to act on: each names the entry of
//! `external_plugins.yml` and shows cargo's output in full. (The successful build, from the
//! external-plugins guide, is `tests/tests/external_plugins_doc.rs`.)

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A folder with a plugin crate `tiny` whose `lib.rs` is `lib`, and an
/// `external_plugins.yml` importing `import` from it.
fn setup(lib: &str, import: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let core = repo().join("core").canonicalize().unwrap();
    std::fs::create_dir_all(dir.path().join("tiny/src")).unwrap();
    std::fs::write(
        dir.path().join("tiny/Cargo.toml"),
        format!(
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\npipeplug = {{ path = {:?} }}\n",
            core.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("tiny/src/lib.rs"), lib).unwrap();
    std::fs::write(
        dir.path().join("external_plugins.yml"),
        format!("plugins:\n  common:\n    - crate: tiny\n      path: tiny\n    - crate: tiny\n      path: tiny\n      import: {import}\n"),
    )
    .unwrap();
    dir
}

fn build(dir: &Path) -> (Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
        .args([
            "build",
            "--plugins",
            "external_plugins.yml",
            "--out",
            "agent",
        ])
        .current_dir(dir)
        // Shares compiled dependencies with the guide's test.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("doc-tests"),
        )
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out, stderr)
}

#[test]
fn an_import_that_does_not_resolve_names_its_entry_and_shows_cargos_error() {
    let dir = setup("pub mod all {}\n", "tiny::nope");
    let (out, stderr) = build(dir.path());
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // cargo's own error, in full.
    assert!(
        stderr.contains("unresolved import `tiny::nope`"),
        "{stderr}"
    );
    // And which entry it comes from.
    assert!(
        stderr.contains("external_plugins.yml: plugins.common[1]: `import: tiny::nope` of crate `tiny` does not resolve"),
        "{stderr}"
    );
    // The generated crate is kept for reading.
    let main = std::fs::read_to_string(dir.path().join("agent/src/main.rs")).unwrap();
    assert!(main.contains("use tiny::nope as _;"), "{main}");
}

#[test]
fn a_plugin_crate_that_does_not_compile_shows_cargos_output_in_full() {
    let dir = setup("pub fn broken() -> u32 { \"not a number\" }\n", "tiny");
    let (out, stderr) = build(dir.path());
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("mismatched types"), "{stderr}");
    assert!(stderr.contains("tiny/src/lib.rs"), "{stderr}");
    assert!(stderr.contains("error: cargo build failed"), "{stderr}");
}

#[test]
fn a_bad_plugin_list_stops_before_cargo() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("external_plugins.yml"),
        "plugins:\n  common:\n    - path: x\n",
    )
    .unwrap();
    let (out, stderr) = build(dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("external_plugins.yml: plugins.common[0]: missing `crate`"),
        "{stderr}"
    );
    assert!(!dir.path().join("agent").exists(), "nothing generated");
    let (out, stderr) = {
        let o = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
            .args(["build", "--plugins", "missing.yml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&o.stderr).into_owned();
        (o, e)
    };
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("missing.yml: cannot read"), "{stderr}");
}

#[test]
fn a_git_server_that_never_answers_stops_the_build_within_the_fetch_timeout() {
    // Accepts connections and never answers: cargo would wait on it for good.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().map_while(Result::ok) {
            open.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("external_plugins.yml"),
        format!("plugins:\n  common:\n    - crate: silent\n      git: http://127.0.0.1:{port}/silent.git\n"),
    )
    .unwrap();
    let start = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
        .args([
            "build",
            "--plugins",
            "external_plugins.yml",
            "--out",
            "agent",
        ])
        .args(["--fetch-timeout", "3s"])
        .current_dir(dir.path())
        .env("RUST_BACKTRACE", "0")
        .env("CARGO_TARGET_DIR", dir.path().join("target"))
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cargo fetch (downloading the plugin crates and their dependencies) did not finish within 3s")
            && stderr.contains("--fetch-timeout"),
        "{stderr}"
    );
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "took {elapsed:?}"
    );
}
