//! The `pipeplug` binary: the agent with the plugin collections linked in.

use std::process::ExitCode;

fn main() -> ExitCode {
    pipeplug_agent::main_with_plugins(&[])
}
