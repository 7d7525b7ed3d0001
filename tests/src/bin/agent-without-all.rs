//! An agent built without the `all` line: `example_plugin` is among its dependencies (through
//! `pipeplug-agent`) and expected, but nothing names it, so rustc does not link it and its
//! plugin never registers. The agent must say so at start-up.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Missing on purpose: `pipeplug::link!(example_plugin::all);`
    pipeplug_agent::main_with_plugins(&["service_example_plugin"])
}
