//! A static registration made by a `ctor` constructor, written by hand as the attribute
//! macros generate it, is in the registry when the test starts: before `main`, with no
//! allocation, no lock and no panic in the constructor.
//!
//! A binary of its own, so that nothing else in it registers plugins at run time.

use pipeplug::plugin::{Flusher, FlusherV1, FlusherV2, Plugin};
use pipeplug::protocol::{Log, LogGroup};
use pipeplug::registry::{
    self, ConfigField, Factories, Native, Node, PluginDescriptor, PluginKind, SourceLocation,
};
use pipeplug::{BoxError, ConfigError};

/// Counts what it is given.
struct Count;

impl Plugin for Count {
    fn description(&self) -> &str {
        "counts logs"
    }
}
impl Flusher for Count {}
impl FlusherV1 for Count {
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
        let logs: usize = groups.iter().map(|g| g.logs.len()).sum();
        if logs == 0 {
            return Err("nothing to count".into());
        }
        Ok(())
    }
}

fn v1(_: &serde_json::Value) -> Result<Box<dyn FlusherV1>, ConfigError> {
    Ok(Box::new(Count))
}

fn v2(_: &serde_json::Value) -> Result<Box<dyn FlusherV2>, ConfigError> {
    Ok(Box::new(pipeplug::adapter::FlusherV1AsV2::new(Count)))
}

fn defaults() -> Result<serde_json::Value, ConfigError> {
    Ok(serde_json::json!({}))
}

static FIELDS: [ConfigField; 1] = [ConfigField {
    key: "Strict",
    type_name: "bool",
    default: Some("false"),
    doc: "Fail on empty batches.",
    unit: None,
    required: false,
}];

static DESCRIPTOR: PluginDescriptor = PluginDescriptor {
    name: "flusher_ctor_static",
    description: "counts logs",
    config_fields: &FIELDS,
    source: SourceLocation {
        crate_name: env!("CARGO_PKG_NAME"),
        file: file!(),
        line: line!(),
    },
    native: Native {
        v1: true,
        v2: false,
    },
    factories: Factories::Flusher { v1: &v1, v2: &v2 },
    defaults,
    example: None,
};

static NODE: Node = Node::new(&DESCRIPTOR);

ctor::declarative::ctor! {
    #[ctor(unsafe)]
    fn register_flusher_ctor_static() {
        pipeplug::__private::submit(&NODE);
    }
}

#[test]
fn static_registration_is_in_the_registry_when_the_test_starts() {
    let reg = registry::global().expect("one plugin, no duplicate");
    let d = reg
        .get(PluginKind::Flusher, "flusher_ctor_static")
        .expect("registered before main by the constructor");
    assert!(
        std::ptr::eq(d, &DESCRIPTOR),
        "the static itself, not a copy"
    );
    assert_eq!(d.config_fields, &FIELDS);
    assert_eq!(reg.len(), 1);

    let Factories::Flusher { v1, v2 } = d.factories else {
        panic!("a flusher has flusher factories");
    };
    let mut flusher = v1(&serde_json::Value::Null).expect("builds");
    let group = LogGroup {
        logs: vec![Log::new(1, [("a", "b")])],
        ..LogGroup::default()
    };
    assert!(flusher.flush("p", "l", "c", &[group]).is_ok());
    assert!(flusher.flush("p", "l", "c", &[]).is_err());
    assert!(v2(&serde_json::Value::Null).is_ok());

    // Here, not in a test of its own: a concurrent test submitting the node could otherwise
    // hide a constructor that did not run.
    pipeplug::__private::submit(&NODE);
    let reg = registry::global().expect("the same node is not a duplicate of itself");
    assert_eq!(
        reg.len(),
        1,
        "submitting a linked node again changes nothing"
    );
}
