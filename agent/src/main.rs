//! The `pipeplug` binary: the agent with the plugin collections linked in.
//!
//! Naming a collection's `all` module links the crate, and with it the constructors that
//! register its plugins before `main` (rustc does not link a crate that nothing names). Each
//! `all` module lists its plugins in `PLUGINS`: naming that list both links the crate and
//! tells the agent what to expect, so that a missing plugin is reported at start-up.
//!
//! The built-in plugins come with the agent library itself; this binary adds the workspace's
//! example plugin (`example_plugin`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let expected: Vec<&str> = [example_plugin::all::PLUGINS].concat();
    pipeplug_agent::main_with_plugins(&expected)
}
