//! The pipeplug host: runs iLogtail-format pipelines of pipeplug plugins.
//!
//! - [`pipeline_config`] reads pipeline config files (YAML or JSON) and reports every problem at once;
//! - [`engine`] builds pipelines from the registry and runs them with iLogtail's semantics;
//! - [`cli`] is the `pipeplug` command line (`run`, `check`, `list`, `doc`, `build`) and
//!   [`docs`] the listings and docs it writes;
//! - [`metrics`] serves every running pipeline's metrics (`run --metrics-listen`);
//! - [`signals`] says which signals stop `run`, when a second one forces the exit, and
//!   that SIGHUP reloads the configs;
//! - [`build`] makes agent binaries with external plugin crates (`external_plugins.yml`);
//! - [`testing`] runs a pipeline from its YAML text in virtual time, for plugin authors'
//!   tests ([`testing::PipelineTest`]);
//! - [`main_with_plugins`] is the whole program, for the `pipeplug` binary and for custom
//!   agent builds.
//!
//! # A custom agent
//!
//! A binary that links the plugin crates it wants (naming each collection's `all` module
//! registers its plugins before `main`) and hands over to the agent:
//!
//! ```ignore
//! pipeplug::link!(my_plugins::all);
//!
//! fn main() -> std::process::ExitCode {
//!     // Warns at start-up if one of these is not registered (a crate that was not linked).
//!     pipeplug_agent::main_with_plugins(&["service_my_input"])
//! }
//! ```
//!
//! The built-in plugins (`pipeplug-plugins`) are always linked: this library names them.
//! `pipeplug build` writes such a binary from an `external_plugins.yml`.
#![warn(missing_docs)]
// No function longer than `too-many-lines-threshold` (clippy.toml) outside tests.
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

pub mod build;
pub mod cli;
pub mod docs;
pub mod engine;
mod init_watch;
pub mod metrics;
pub mod pipeline_config;
mod reload;
mod run;
pub mod signals;
pub mod testing;

use clap::Parser;
use std::process::ExitCode;

/// The `pipeplug` program: parses the command line, sets up logging (stderr, `RUST_LOG`),
/// checks the registry, warns about each `expected` plugin that is not registered, and runs
/// the command.
///
/// Exit codes: 0 on success (`run` after a clean stop), 1 on errors (bad configs, a plugin
/// that fails to start or whose `init` does not return when a stop comes during the start,
/// a broken registry), 2 on command-line errors, 130 when a second signal forces `run` to
/// exit before its stop is done ([`signals`]).
#[must_use]
pub fn main_with_plugins(expected: &[&str]) -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging();
    let registry = match pipeplug::registry::global() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", pipeplug::error_chain(&e));
            return ExitCode::FAILURE;
        }
    };
    // Naming the built-ins' list links them into every agent, and they are expected too.
    let expected: Vec<&str> = [pipeplug_plugins::all::PLUGINS, expected].concat();
    cli::warn_missing(&expected, &registry);
    cli::execute(cli, &registry)
}
