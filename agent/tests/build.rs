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
fn an_unknown_target_is_refused_with_the_ones_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pipeplug"))
        .args([
            "build",
            "--target",
            "loongcolector",
            "--plugins",
            "external_plugins.yml",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'loongcolector' for '--target <TARGET>'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[possible values: agent, loongcollector]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a similar value exists: 'loongcollector'"),
        "{stderr}"
    );
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

/// A copy of the repository's `core/` and `macros/` in `dest`, in a workspace of their own
/// whose version is `version`: the pipeplug a plugin crate ported out of tree may depend on.
/// Returns the copy's `core/` folder.
fn copy_of_pipeplug(dest: &Path, version: &str) -> PathBuf {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != "target" {
                    copy_dir(&entry.path(), &target);
                }
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    copy_dir(&repo().join("core"), &dest.join("core"));
    copy_dir(&repo().join("macros"), &dest.join("macros"));
    let ours = env!("CARGO_PKG_VERSION");
    let root = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let manifest: String = root
        .lines()
        .map(|line| {
            if line.starts_with("members") {
                "members = [\"core\", \"macros\"]".to_owned()
            } else if line == format!("version = \"{ours}\"") {
                format!("version = \"{version}\"")
            } else {
                line.replace(&format!("\"={ours}\""), &format!("\"={version}\""))
            }
        })
        .map(|line| line + "\n")
        .collect();
    std::fs::write(dest.join("Cargo.toml"), manifest).unwrap();
    dest.join("core").canonicalize().unwrap()
}

/// A plugin crate `tiny` in `dir` whose `[dependencies]` are `deps`, with one processor
/// plugin, `processor_skew_probe`, and an `external_plugins.yml` listing it.
fn plugin_crate(dir: &Path, deps: &str) {
    std::fs::create_dir_all(dir.join("tiny/src")).unwrap();
    std::fs::write(
        dir.join("tiny/Cargo.toml"),
        format!("[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("tiny/src/lib.rs"),
        "use pipeplug::prelude::*;\n\n/// Passes logs on.\n#[processor(name = \"processor_skew_probe\", conformance = false)]\npub struct Probe {\n    /// Unused.\n    #[config(default = \"x\")]\n    value: String,\n}\n\nimpl Processor for Probe {}\nimpl ProcessorV1 for Probe {\n    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {\n        let _ = &self.value;\n        logs\n    }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("external_plugins.yml"),
        "plugins:\n  common:\n    - crate: tiny\n      path: tiny\n      expect: [processor_skew_probe]\n",
    )
    .unwrap();
}

/// `dir` as a git repository with one commit; its `file://` URL and the commit.
fn git_repo(dir: &Path) -> (String, String) {
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=pipeplug tests",
            "-c",
            "user.email=tests@pipeplug.invalid",
            "commit",
            "-q",
            "-m",
            "a copy of pipeplug",
        ],
    ] {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        format!("file://{}", dir.canonicalize().unwrap().display()),
        String::from_utf8(head.stdout).unwrap().trim().to_owned(),
    )
}

fn our_core() -> String {
    repo()
        .join("core")
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

/// What every skew message says: the crate and its entry, both copies, and the fix.
fn assert_skew_message(stderr: &str, plugin_copy: &str) {
    let v = env!("CARGO_PKG_VERSION");
    for part in [
        "error: plugin crate `tiny` (external_plugins.yml: plugins.common[0]) is built on another pipeplug than the agent:".to_owned(),
        format!("  `tiny` uses:    {plugin_copy}"),
        format!("  the agent uses: pipeplug {v} at path {}", our_core()),
        "fix: make `tiny` depend on the agent's pipeplug. In its Cargo.toml, [dependencies]:".to_owned(),
        format!("      pipeplug = {{ path = {:?} }}", our_core()),
        "      pipeplug = { git = \"https://github.com/pipeplug/pipeplug\", rev = ".to_owned(),
    ] {
        assert!(stderr.contains(&part), "missing {part:?} in:\n{stderr}");
    }
}

#[test]
fn a_plugin_crate_on_a_copy_of_pipeplug_at_another_path_is_stopped_before_cargo_with_the_fix() {
    let v = env!("CARGO_PKG_VERSION");
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_of_pipeplug(&dir.path().join("pipeplug-copy"), v);
    plugin_crate(
        dir.path(),
        &format!("pipeplug = {{ path = {:?} }}", copy.display().to_string()),
    );
    let (out, stderr) = build(dir.path());
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_skew_message(&stderr, &format!("pipeplug {v} at path {}", copy.display()));
    assert!(
        stderr.contains("cargo cannot redirect a path dependency"),
        "{stderr}"
    );
    // pipeplug's words, before cargo's "package collision in the lockfile".
    assert!(
        !stderr.contains("error: package collision in the lockfile"),
        "{stderr}"
    );
    assert!(!dir.path().join("agent/pipeplug").exists());
}

#[test]
fn a_plugin_crate_on_another_version_of_pipeplug_at_a_path_is_stopped_too() {
    // cargo itself accepts two versions at two paths, and links both: the plugins would
    // register with a registry the agent never reads.
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_of_pipeplug(&dir.path().join("pipeplug-copy"), "0.99.0");
    plugin_crate(
        dir.path(),
        &format!("pipeplug = {{ path = {:?} }}", copy.display().to_string()),
    );
    let (out, stderr) = build(dir.path());
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_skew_message(
        &stderr,
        &format!("pipeplug 0.99.0 at path {}", copy.display()),
    );
    assert!(!stderr.contains("Compiling"), "nothing built:\n{stderr}");
}

#[test]
fn a_copy_of_pipeplug_reached_through_another_crate_is_explained_after_cargos_error() {
    // `tiny` depends on `middle`, which depends on the copy: cargo stops on the collision,
    // and pipeplug says what it means.
    let v = env!("CARGO_PKG_VERSION");
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_of_pipeplug(&dir.path().join("pipeplug-copy"), v);
    std::fs::create_dir_all(dir.path().join("middle/src")).unwrap();
    std::fs::write(
        dir.path().join("middle/Cargo.toml"),
        format!(
            "[package]\nname = \"middle\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\npipeplug = {{ path = {:?} }}\n",
            copy.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("middle/src/lib.rs"), "pub use pipeplug;\n").unwrap();
    plugin_crate(dir.path(), "middle = { path = \"../middle\" }");
    std::fs::write(
        dir.path().join("tiny/src/lib.rs"),
        "pub use middle::pipeplug;\n",
    )
    .unwrap();
    let (out, stderr) = build(dir.path());
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("package collision in the lockfile"),
        "cargo's error, in full:\n{stderr}"
    );
    assert!(
        stderr.contains("note: two copies of pipeplug are in this build")
            && stderr.contains(&format!("pipeplug = {{ path = {:?} }}", our_core())),
        "{stderr}"
    );
}

#[test]
fn a_plugin_crate_on_pipeplug_from_git_is_patched_onto_the_agents_copy_and_its_plugins_register() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("pipeplug-copy");
    copy_of_pipeplug(&copy, env!("CARGO_PKG_VERSION"));
    let (url, commit) = git_repo(&copy);
    // A `rev`, as a plugin crate pins pipeplug: the patch covers the repository at any rev.
    plugin_crate(
        dir.path(),
        &format!("pipeplug = {{ git = {url:?}, rev = {:?} }}", &commit[..12]),
    );
    let (out, stderr) = build(dir.path());
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("plugin crate `tiny` (external_plugins.yml: plugins.common[0]) depends on pipeplug {} from git {url}", env!("CARGO_PKG_VERSION")))
            && stderr.contains("the generated Cargo.toml points that source at the agent's copy with a [patch] section")
            && stderr.contains(&format!("pipeplug = {{ path = {:?} }}", our_core())),
        "{stderr}"
    );
    let manifest = std::fs::read_to_string(dir.path().join("agent/Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "[patch.{url:?}]\npipeplug = {{ path = {:?} }}\n",
            our_core()
        )),
        "{manifest}"
    );
    // One pipeplug: the plugin registered with the agent's registry.
    let list = Command::new(dir.path().join("agent/pipeplug"))
        .arg("list")
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.contains("processor_skew_probe"), "{listed}");
}

#[test]
fn a_plugin_crate_on_another_version_of_pipeplug_from_git_is_stopped_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("pipeplug-copy");
    copy_of_pipeplug(&copy, "0.99.0");
    let (url, _) = git_repo(&copy);
    plugin_crate(dir.path(), &format!("pipeplug = {{ git = {url:?} }}"));
    let (out, stderr) = build(dir.path());
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_skew_message(&stderr, &format!("pipeplug 0.99.0 from git {url} (commit "));
    assert!(
        stderr.contains("the versions are not compatible"),
        "{stderr}"
    );
    assert!(!stderr.contains("Compiling"), "nothing built:\n{stderr}");
    let manifest = std::fs::read_to_string(dir.path().join("agent/Cargo.toml")).unwrap();
    assert!(!manifest.contains("[patch"), "{manifest}");
}
