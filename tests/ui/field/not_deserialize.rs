use pipeplug::prelude::*;

/// Not a config type.
#[derive(Default)]
pub struct Opaque;

/// A config field must be serde-able; mark runtime state `#[state]`.
#[processor(name = "processor_opaque")]
pub struct UsesOpaque {
    /// Forgot `#[state]`.
    handle: Opaque,
}

impl Processor for UsesOpaque {}
impl ProcessorV1 for UsesOpaque {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn main() {}
