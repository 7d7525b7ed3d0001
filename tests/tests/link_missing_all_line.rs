//! A binary built without the `all` line: the agent names the expected plugins that are
//! missing at start-up, instead of failing later with "unknown Type".

use std::process::Command;

#[test]
fn the_agent_names_the_missing_plugins() {
    let out = Command::new(env!("CARGO_BIN_EXE_agent-without-all"))
        .arg("list")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap_or_else(|e| panic!("run the agent: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "plugin `service_example_plugin` was meant to be in this binary but is not registered"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("pipeplug::link!(the_crate::all);"),
        "{stderr}"
    );
    // The built-ins, which the agent library names, are there; the example plugin is not.
    assert!(stdout.contains("flusher_stdout"), "{stdout}");
    assert!(!stdout.contains("service_example_plugin"), "{stdout}");
    assert!(!stderr.contains("`flusher_stdout` was meant"), "{stderr}");
}
