//! `pipeplug build`: an agent binary with external plugin crates, from
//! `external_plugins.yml`, as iLogtail's build turns its `external_plugins.yml` into the Go
//! imports of extra plugin modules.
//!
//! The command reads the plugin lists ([`spec`]), writes a small crate ([`generate`]) whose
//! `main.rs` names each import once and calls [`main_with_plugins`](crate::main_with_plugins),
//! builds it with cargo (its progress on stderr), and copies the binary to `OUT/pipeplug`.
//! The generated crate stays in `OUT` to be read or checked in.
//!
//! With [`Target::LoongCollector`] the crate is a `cdylib` on `pipeplug-loongcollector`
//! instead: LoongCollector's plugin library with the same plugin crates, copied to
//! `OUT/libGoPluginBase.so`, the file name LoongCollector's core loads.
//!
//! Before cargo builds anything, [`skew`] makes sure the agent holds one `pipeplug`: a plugin
//! crate that depends on another copy (another folder, git repository or version) is either
//! pointed at the agent's copy by a `[patch]` section (said in a warning), or stopped with a
//! message that names it, both copies and the `Cargo.toml` line that fixes it.

pub mod generate;
pub mod skew;
pub mod spec;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use generate::{AgentSource, Generated};
pub use skew::{Skew, SkewReport};
pub use spec::{Entry, SpecError};

/// What `pipeplug build` builds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The pipeplug agent, `OUT/pipeplug`.
    #[default]
    Agent,
    /// LoongCollector's plugin library (`pipeplug-loongcollector` with the plugin crates),
    /// `OUT/libGoPluginBase.so`: installed next to a LoongCollector in place of (or in front
    /// of) its Go plugin library.
    #[value(name = "loongcollector")]
    LoongCollector,
}

impl Target {
    /// The pipeplug crate the generated crate is built on: `pipeplug-agent` or
    /// `pipeplug-loongcollector`.
    #[must_use]
    pub fn host_crate(self) -> &'static str {
        match self {
            Self::Agent => "pipeplug-agent",
            Self::LoongCollector => "pipeplug-loongcollector",
        }
    }

    /// The generated source file that names the imports: `src/main.rs` or `src/lib.rs`.
    #[must_use]
    pub fn source_file(self) -> &'static str {
        match self {
            Self::Agent => "src/main.rs",
            Self::LoongCollector => "src/lib.rs",
        }
    }

    /// The file a build leaves in `OUT`: `pipeplug` (`pipeplug.exe` on Windows), or the
    /// plugin library's name as LoongCollector loads it, `libGoPluginBase.so`.
    #[must_use]
    pub fn output_name(self) -> String {
        use std::env::consts::{DLL_PREFIX, DLL_SUFFIX, EXE_SUFFIX};
        match self {
            Self::Agent => format!("pipeplug{EXE_SUFFIX}"),
            Self::LoongCollector => format!("{DLL_PREFIX}GoPluginBase{DLL_SUFFIX}"),
        }
    }
}

/// What `pipeplug build` needs.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// What to build.
    pub target: Target,
    /// The `external_plugins.yml` files, merged in order.
    pub plugin_files: Vec<PathBuf>,
    /// Where the crate is generated and the binary (or library) left.
    pub out: PathBuf,
    /// Build with `--release`.
    pub release: bool,
    /// Where the agent library comes from (for [`Target::LoongCollector`],
    /// `pipeplug-loongcollector` comes from the same source: the `loongcollector/` folder
    /// beside `agent/`, or the same version).
    pub agent: AgentSource,
    /// How long `cargo fetch` (every network access of the build) may take before it is
    /// stopped; the build itself then runs `--offline`.
    pub fetch_timeout: Duration,
}

/// The default of [`BuildOptions::fetch_timeout`]: 10 minutes.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(600);

/// cargo's own network bounds, set for `cargo fetch` unless the environment sets them: a
/// request that moves under 10 bytes/s for 30 s fails, and is retried twice.
const CARGO_NETWORK_ENV: [(&str, &str); 3] = [
    ("CARGO_HTTP_TIMEOUT", "30"),
    ("CARGO_HTTP_LOW_SPEED_LIMIT", "10"),
    ("CARGO_NET_RETRY", "2"),
];

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A plugin list is wrong.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The crate could not be written.
    #[error("cannot write the generated crate in {dir}")]
    Write {
        /// The folder.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `--out` holds files that `pipeplug build` did not write.
    #[error("{dir} is not empty and was not made by `pipeplug build`: choose another --out folder (nothing was written)")]
    Foreign {
        /// The folder.
        dir: PathBuf,
    },
    /// `cargo fetch` did not finish in time and was stopped.
    #[error("cargo fetch (downloading the plugin crates and their dependencies) did not finish within {} and was stopped; check the network, and the `git:` and `version:` sources of the plugin lists (a server that accepts connections but never answers hangs cargo), or allow longer with --fetch-timeout", pipeplug::config::format_duration(*.after))]
    FetchTimeout {
        /// The limit that passed.
        after: Duration,
    },
    /// `cargo fetch` failed; its output was shown above.
    #[error("cargo fetch (downloading the plugin crates and their dependencies) failed ({status}); its output is above{}", hint.as_ref().map(|h| format!("\n{h}")).unwrap_or_default())]
    Fetch {
        /// cargo's exit status.
        status: std::process::ExitStatus,
        /// What cargo's error means, when pipeplug knows it (two copies of pipeplug).
        hint: Option<String>,
    },
    /// A plugin crate is built on another pipeplug than the agent's, and `pipeplug build`
    /// cannot unify them: each such crate, both copies, and the fix.
    #[error("{0}")]
    Skew(SkewReport),
    /// cargo could not be started.
    #[error("cannot run cargo")]
    Spawn(#[source] std::io::Error),
    /// cargo failed; its output was shown in full above.
    #[error("cargo build failed ({status}); its output is above{}", hint.as_ref().map(|h| format!("\n{h}")).unwrap_or_default())]
    Cargo {
        /// cargo's exit status.
        status: std::process::ExitStatus,
        /// Which entries the errors point at, if any.
        hint: Option<String>,
    },
    /// cargo succeeded but produced no `pipeplug` binary (or no library, for
    /// [`Target::LoongCollector`]).
    #[error("cargo build produced no {}", match .0 { Target::Agent => "`pipeplug` binary", Target::LoongCollector => "cdylib" })]
    NoBinary(Target),
    /// `--target loongcollector` from a pipeplug source tree without the
    /// `pipeplug-loongcollector` crate beside its `agent/` folder.
    #[error("no pipeplug-loongcollector crate at {dir} (it is the `loongcollector/` folder beside the `agent/` folder of a pipeplug source tree): give --agent-path the `agent/` folder of a tree that has it, or --agent-version")]
    NoLoongCollector {
        /// Where it was looked for.
        dir: PathBuf,
    },
}

/// Reads, generates, builds; returns the path of the built binary (`OUT/pipeplug`), or of
/// the library for [`Target::LoongCollector`] (`OUT/libGoPluginBase.so`).
///
/// # Errors
/// See [`BuildError`]; a cargo failure is shown in full on stderr before the error returns.
pub fn build(opts: &BuildOptions) -> Result<PathBuf, BuildError> {
    let lists = opts
        .plugin_files
        .iter()
        .map(|f| spec::load(f))
        .collect::<Result<Vec<_>, _>>()?;
    let entries = spec::merge(lists)?;
    let generated = generate::write(
        &entries,
        &opts.plugin_files,
        &opts.agent,
        opts.target,
        &opts.out,
    )?;
    tracing::info!(
        "generated {} with {} plugin crate(s); building",
        generated.dir.display(),
        entries.len()
    );
    // A plugin crate on another pipeplug than the agent's: found before cargo resolves (two
    // path copies, which cargo refuses with a lockfile collision), then in the fetched graph.
    skew::check_declared(&entries, &opts.agent, opts.target).map_err(BuildError::Skew)?;
    cargo_fetch(&generated, opts.fetch_timeout).map_err(|e| match e {
        BuildError::Fetch { status, hint: None } => BuildError::Fetch {
            status,
            hint: skew::collision_hint(&generated, &opts.agent),
        },
        e => e,
    })?;
    unify_pipeplug(&generated, &entries, opts)?;
    let exe = cargo_build(&generated, opts.release)?;
    let dest = opts.out.join(opts.target.output_name());
    if exe != dest {
        std::fs::copy(&exe, &dest).map_err(|source| BuildError::Write {
            dir: opts.out.clone(),
            source,
        })?;
    }
    Ok(dest)
}

/// `cargo`: the one running this build (`CARGO`), else the one on `PATH`.
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Makes the fetched graph hold one pipeplug: a plugin crate's copy from git or crates.io of
/// a compatible version is pointed at the agent's with a `[patch]` section (each said in a
/// warning); any other copy is an error.
fn unify_pipeplug(
    generated: &Generated,
    entries: &[Entry],
    opts: &BuildOptions,
) -> Result<(), BuildError> {
    let skews = skew::find_resolved(generated, entries);
    if skews.is_empty() {
        return Ok(());
    }
    let Some(patches) = skew::patches(&skews) else {
        return Err(BuildError::Skew(SkewReport(skews)));
    };
    skew::append_patches(generated, &patches)?;
    cargo_fetch(generated, opts.fetch_timeout)?;
    let left = skew::find_resolved(generated, entries);
    if !left.is_empty() {
        return Err(BuildError::Skew(skew::not_taken(left)));
    }
    for s in &skews {
        tracing::warn!("{}", s.patched_note());
    }
    Ok(())
}

/// Runs `cargo fetch` in the generated crate with cargo's network bounds, and stops it when
/// `timeout` passes: the only step of a build that uses the network.
fn cargo_fetch(generated: &Generated, timeout: Duration) -> Result<(), BuildError> {
    let mut cmd = cargo();
    cmd.arg("fetch")
        .arg("--manifest-path")
        .arg(generated.dir.join("Cargo.toml"))
        .current_dir(&generated.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (key, value) in CARGO_NETWORK_ENV {
        if std::env::var_os(key).is_none() {
            cmd.env(key, value);
        }
    }
    let mut child = cmd.spawn().map_err(BuildError::Spawn)?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().map_err(BuildError::Spawn)? {
            return if status.success() {
                Ok(())
            } else {
                Err(BuildError::Fetch { status, hint: None })
            };
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(BuildError::FetchTimeout { after: timeout });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `cargo build --offline` (everything was fetched) in the generated crate, streaming
/// cargo's progress and rendered diagnostics to stderr, and returns the binary (or
/// library) cargo reports.
fn cargo_build(generated: &Generated, release: bool) -> Result<PathBuf, BuildError> {
    let mut cmd = cargo();
    cmd.arg("build")
        .arg("--offline")
        .arg("--message-format=json-diagnostic-rendered-ansi")
        .arg("--manifest-path")
        .arg(generated.dir.join("Cargo.toml"))
        .current_dir(&generated.dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if release {
        cmd.arg("--release");
    }
    let mut child = cmd.spawn().map_err(BuildError::Spawn)?;
    let mut exe = None;
    let mut hints = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
                eprintln!("{line}");
                continue;
            };
            match msg["reason"].as_str() {
                Some("compiler-message") => {
                    if let Some(rendered) = msg["message"]["rendered"].as_str() {
                        eprint!("{rendered}");
                    }
                    hints.extend(entry_hints(generated, &msg));
                }
                Some("compiler-artifact") => {
                    if let Some(path) = artifact(generated, &msg) {
                        exe = Some(path);
                    }
                }
                _ => {}
            }
        }
    }
    let status = child.wait().map_err(BuildError::Spawn)?;
    if !status.success() {
        hints.dedup();
        return Err(BuildError::Cargo {
            status,
            hint: (!hints.is_empty()).then(|| hints.join("\n")),
        });
    }
    exe.ok_or(BuildError::NoBinary(generated.target))
}

/// Whether a message of cargo's is about the generated crate itself (not a dependency, whose
/// own `src/lib.rs` or `.so` could be mistaken for the generated ones).
fn from_generated_crate(generated: &Generated, msg: &serde_json::Value) -> bool {
    msg["manifest_path"]
        .as_str()
        .is_some_and(|m| Path::new(m) == generated.dir.join("Cargo.toml"))
}

/// The file a `compiler-artifact` message of cargo reports, if it is the one the generated
/// crate builds: the `pipeplug` executable, or the `cdylib`.
fn artifact(generated: &Generated, msg: &serde_json::Value) -> Option<PathBuf> {
    if !from_generated_crate(generated, msg) {
        return None;
    }
    match generated.target {
        Target::Agent => (msg["target"]["name"] == "pipeplug")
            .then(|| msg["executable"].as_str())
            .flatten()
            .map(PathBuf::from),
        Target::LoongCollector => {
            let kinds = msg["target"]["kind"].as_array()?;
            if !kinds.iter().any(|k| k == "cdylib") {
                return None;
            }
            msg["filenames"]
                .as_array()?
                .iter()
                .filter_map(serde_json::Value::as_str)
                .find(|f| f.ends_with(std::env::consts::DLL_SUFFIX))
                .map(PathBuf::from)
        }
    }
}

/// Notes naming the plugin-list entries that a compiler error in the generated source
/// (`main.rs`, or `lib.rs` of a library) points at (an `import` that does not resolve).
/// `msg` is cargo's `compiler-message`; errors in other crates (a plugin crate's own
/// `src/lib.rs`) get none.
fn entry_hints(generated: &Generated, msg: &serde_json::Value) -> Vec<String> {
    let message = &msg["message"];
    if message["level"] != "error" || !from_generated_crate(generated, msg) {
        return Vec::new();
    }
    let Some(spans) = message["spans"].as_array() else {
        return Vec::new();
    };
    spans
        .iter()
        .filter(|s| {
            Path::new(s["file_name"].as_str().unwrap_or(""))
                .ends_with(generated.target.source_file())
        })
        .filter_map(|s| s["line_start"].as_u64())
        .filter_map(|line| generated.entry_at_line(line))
        .map(|e| {
            format!(
                "note: {}: `import: {}` of crate `{}` does not resolve",
                e.origin, e.import, e.crate_name
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(dir: &Path, target: Target) -> Generated {
        let entries = spec::parse(
            "plugins:\n  common:\n    - crate: tiny\n      version: '1'\n      import: tiny::all\n",
            Path::new("x.yml"),
            dir,
        )
        .unwrap();
        let (_, lines) = generate::source(&entries, target);
        Generated {
            dir: dir.to_owned(),
            target,
            lines,
        }
    }

    /// A `compiler-message` of cargo's: an error at `file:line` of the crate at `manifest`.
    fn error_at(manifest: &Path, file: &str, line: u64) -> serde_json::Value {
        serde_json::json!({
            "reason": "compiler-message",
            "manifest_path": manifest,
            "message": {
                "level": "error",
                "spans": [{"file_name": file, "line_start": line}]
            }
        })
    }

    #[test]
    fn only_errors_in_the_generated_source_name_an_entry() {
        let dir = tempfile::tempdir().unwrap();
        for target in [Target::Agent, Target::LoongCollector] {
            let g = generated(dir.path(), target);
            let (line, _) = g.lines[0];
            let ours = error_at(&dir.path().join("Cargo.toml"), target.source_file(), line);
            let hints = entry_hints(&g, &ours);
            assert_eq!(hints.len(), 1, "{hints:?}");
            assert!(hints[0].contains("`import: tiny::all` of crate `tiny` does not resolve"));
            // The same line of a plugin crate's own source is the plugin crate's error.
            let theirs = error_at(
                Path::new("/elsewhere/tiny/Cargo.toml"),
                &format!("/elsewhere/tiny/{}", target.source_file()),
                line,
            );
            assert_eq!(entry_hints(&g, &theirs), Vec::<String>::new(), "{target:?}");
        }
    }

    #[test]
    fn the_artifact_is_the_generated_crates_not_a_dependencys() {
        let dir = tempfile::tempdir().unwrap();
        let g = generated(dir.path(), Target::LoongCollector);
        let so = format!("libx{}", std::env::consts::DLL_SUFFIX);
        let cdylib = |manifest: &Path| {
            serde_json::json!({
                "reason": "compiler-artifact",
                "manifest_path": manifest,
                "target": {"name": "x", "kind": ["cdylib", "rlib"]},
                "filenames": [format!("/t/{so}"), "/t/libx.rlib"]
            })
        };
        // `pipeplug-loongcollector` is a cdylib too.
        assert_eq!(
            artifact(&g, &cdylib(Path::new("/src/loongcollector/Cargo.toml"))),
            None
        );
        assert_eq!(
            artifact(&g, &cdylib(&dir.path().join("Cargo.toml"))),
            Some(PathBuf::from(format!("/t/{so}")))
        );
    }
}
