//! The conformance check of a plugin whose name is registered twice (its own test binary:
//! a duplicate breaks the whole registry of the binary).

use pipeplug::prelude::*;
use pipeplug::registry::{add_processor_creator, PluginKind, V1Only};
use pipeplug::testing::conformance;

struct Noop;
impl Plugin for Noop {
    fn description(&self) -> &str {
        "does nothing"
    }
}
impl Processor for Noop {}
impl ProcessorV1 for Noop {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

#[test]
fn a_duplicate_name_fails_the_registry_check() {
    add_processor_creator("processor_conf_twice", "first", |_| Ok(V1Only(Noop)));
    add_processor_creator("processor_conf_twice", "second", |_| Ok(V1Only(Noop)));
    let failures = conformance::check(PluginKind::Processor, "processor_conf_twice").unwrap_err();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].check, "registry");
    assert!(
        failures[0].message.contains("registered twice"),
        "{}",
        failures[0].message
    );
}
