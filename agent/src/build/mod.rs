//! `pipeplug build`: an agent binary with external plugin crates, from
//! `external_plugins.yml`, as iLogtail's build turns its `external_plugins.yml` into the Go
//! imports of extra plugin modules.
//!
//! The command reads the plugin lists ([`spec`]), writes a small crate ([`generate`]) whose
//! `main.rs` names each import once and calls [`main_with_plugins`](crate::main_with_plugins),
//! builds it with cargo (its progress on stderr), and copies the binary to `OUT/pipeplug`.
//! The generated crate stays in `OUT` to be read or checked in.

pub mod generate;
pub mod spec;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use generate::{AgentSource, Generated};
pub use spec::{Entry, SpecError};

/// What `pipeplug build` needs.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The `external_plugins.yml` files, merged in order.
    pub plugin_files: Vec<PathBuf>,
    /// Where the crate is generated and the binary left.
    pub out: PathBuf,
    /// Build with `--release`.
    pub release: bool,
    /// Where the agent library comes from.
    pub agent: AgentSource,
}

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
    /// cargo succeeded but produced no `pipeplug` binary.
    #[error("cargo build produced no `pipeplug` binary")]
    NoBinary,
}

/// Reads, generates, builds; returns the path of the built binary (`OUT/pipeplug`).
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
    let generated = generate::write(&entries, &opts.plugin_files, &opts.agent, &opts.out)?;
    tracing::info!(
        "generated {} with {} plugin crate(s); building",
        generated.dir.display(),
        entries.len()
    );
    let exe = cargo_build(&generated, opts.release)?;
    let dest = opts
        .out
        .join(format!("pipeplug{}", std::env::consts::EXE_SUFFIX));
    if exe != dest {
        std::fs::copy(&exe, &dest).map_err(|source| BuildError::Write {
            dir: opts.out.clone(),
            source,
        })?;
    }
    Ok(dest)
}

/// Runs `cargo build` in the generated crate, streaming cargo's progress and rendered
/// diagnostics to stderr, and returns the binary cargo reports.
fn cargo_build(generated: &Generated, release: bool) -> Result<PathBuf, BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
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
                Some("compiler-artifact") if msg["target"]["name"] == "pipeplug" => {
                    if let Some(path) = msg["executable"].as_str() {
                        exe = Some(PathBuf::from(path));
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
    exe.ok_or(BuildError::NoBinary)
}

/// Notes naming the plugin-list entries that a compiler error in `main.rs` points at (an
/// `import` that does not resolve).
fn entry_hints(generated: &Generated, message: &serde_json::Value) -> Vec<String> {
    if message["level"] != "error" {
        return Vec::new();
    }
    let Some(spans) = message["spans"].as_array() else {
        return Vec::new();
    };
    spans
        .iter()
        .filter(|s| Path::new(s["file_name"].as_str().unwrap_or("")).ends_with("src/main.rs"))
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
