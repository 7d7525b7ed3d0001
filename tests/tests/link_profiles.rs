//! The `all` module registers every plugin of a collection in every build profile: a small
//! binary that names only `example_plugin::all` lists `service_example_plugin` in dev,
//! release, release with fat LTO, and release with thin LTO and 16 codegen units.
//!
//! The fixture (`tests/link-fixture/`) is copied under `CARGO_TARGET_TMPDIR` and built there
//! with a target folder of its own, reusing this workspace's `Cargo.lock`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Writes the fixture crate and returns its folder.
fn fixture() -> PathBuf {
    let repo = repo();
    let src = repo.join("tests/link-fixture");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("link-tests/fixture");
    std::fs::create_dir_all(&dir).expect("create fixture folder");
    let manifest = std::fs::read_to_string(src.join("Cargo.toml.in"))
        .expect("read fixture manifest")
        .replace("{REPO}", &repo.display().to_string().replace('\\', "/"));
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("write fixture manifest");
    for file in ["with_all.rs", "without_all.rs"] {
        std::fs::copy(src.join(file), dir.join(file)).expect("copy fixture source");
    }
    // Same dependency versions as the workspace, and no registry look-up for new ones.
    if !dir.join("Cargo.lock").exists() {
        std::fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    }
    dir
}

/// Builds the fixture in `profile` and returns what `bin` prints, one plugin per line.
fn registered(dir: &Path, profile: &str, bin: &str) -> Vec<String> {
    let target = dir.parent().expect("fixture has a parent").join("target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "--bins",
            "--profile",
            profile,
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "building the fixture in profile `{profile}` failed"
    );
    let out_dir = if profile == "dev" { "debug" } else { profile };
    let exe = target
        .join(out_dir)
        .join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    let out = Command::new(&exe).output().expect("run the fixture binary");
    assert!(
        out.status.success(),
        "{} failed: {}",
        exe.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

// One test for every profile, in order: they share the fixture folder and a cargo lock.
#[test]
fn the_all_module_registers_in_every_profile() {
    let dir = fixture();
    for profile in [
        "dev",
        "release",
        "release-lto-fat",
        "release-lto-thin-cgu16",
    ] {
        let with_all = registered(&dir, profile, "with_all");
        assert_eq!(
            with_all,
            ["service_example_plugin"],
            "profile `{profile}`: naming `example_plugin::all` must register the collection"
        );
        let without_all = registered(&dir, profile, "without_all");
        assert!(
            without_all.is_empty(),
            "profile `{profile}`: a binary naming nothing of the crate links none of it, got {without_all:?}"
        );
    }
}
