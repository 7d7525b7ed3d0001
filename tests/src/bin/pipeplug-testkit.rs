//! The `pipeplug` agent with the test plugins of `pipeplug_tests::testkit` and
//! `pipeplug_tests::stopkit` registered: what the end-to-end CLI tests run.

use std::process::ExitCode;

fn main() -> ExitCode {
    pipeplug_tests::testkit::register();
    pipeplug_tests::stopkit::register();
    pipeplug_agent::main_with_plugins(&["service_counter", "flusher_count", "flusher_tally"])
}
