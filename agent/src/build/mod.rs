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
    #[error("cannot write the agent crate in {dir}")]
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
                    hints.extend(entry_hints(generated, &msg["message"]));
                }
                Some("compiler-artifact") => {
                    if let Some(path) = artifact(generated.target, &msg) {
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

/// The file a `compiler-artifact` message of cargo reports, if it is the one `target`
/// builds: the `pipeplug` executable, or the generated crate's `cdylib`.
fn artifact(target: Target, msg: &serde_json::Value) -> Option<PathBuf> {
    match target {
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
fn entry_hints(generated: &Generated, message: &serde_json::Value) -> Vec<String> {
    if message["level"] != "error" {
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
