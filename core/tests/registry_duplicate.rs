//! Two registrations of one name are an error naming both, never "last wins".
//!
//! A binary of its own: a duplicate breaks the registry of the whole process, as it should.

use pipeplug::plugin::{Plugin, Processor, ProcessorV1};
use pipeplug::protocol::Log;
use pipeplug::registry::{
    self, Factories, Native, PluginDescriptor, PluginKind, SourceLocation, V1Only,
};
use pipeplug::RegistryError;

struct Keep;

impl Plugin for Keep {
    fn description(&self) -> &str {
        "keeps every log"
    }
}
impl Processor for Keep {}
impl ProcessorV1 for Keep {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

#[test]
fn two_registrations_of_one_name_give_an_error_naming_both() {
    let first_line = line!() + 1;
    registry::add_processor_creator("processor_twice", "first", |_| Ok(V1Only(Keep)));
    assert!(
        registry::global().is_ok(),
        "one registration is no duplicate"
    );

    let keep = |_: &serde_json::Value| Ok(Box::new(Keep) as Box<dyn ProcessorV1>);
    let adapted = |_: &serde_json::Value| {
        Ok(Box::new(pipeplug::adapter::ProcessorV1AsV2::new(Keep))
            as Box<dyn pipeplug::plugin::ProcessorV2>)
    };
    registry::register(PluginDescriptor {
        name: "processor_twice",
        description: "second",
        config_fields: &[],
        source: SourceLocation {
            crate_name: "other_plugins",
            file: "src/twice.rs",
            line: 7,
        },
        native: Native {
            v1: true,
            v2: false,
        },
        factories: Factories::Processor {
            v1: Box::leak(Box::new(keep)),
            v2: Box::leak(Box::new(adapted)),
        },
        defaults: || Ok(serde_json::Value::Null),
        example: None,
    });

    let err = registry::global().expect_err("two plugins named processor_twice");
    let RegistryError::Duplicate {
        kind,
        name,
        first,
        second,
    } = &err;
    assert_eq!(*kind, PluginKind::Processor);
    assert_eq!(name, "processor_twice");
    assert_eq!((first.file, first.line), (file!(), first_line));
    assert_eq!(second.crate_name, "other_plugins");
    assert_eq!(
        err.to_string(),
        format!(
            "processor plugin `processor_twice` is registered twice: by crate \
             `(registered at run time)` ({}:{first_line}) and by crate `other_plugins` \
             (src/twice.rs:7)",
            file!()
        )
    );

    // Reading again does not pick one of the two.
    assert_eq!(registry::global().expect_err("still two"), err);
}
