use pipeplug::prelude::*;

/// Two fields, one key.
#[processor(name = "processor_same_key", rename_all = "PascalCase")]
pub struct SameKey {
    /// The keys.
    keys: Vec<String>,
    /// The keys again.
    #[config(rename = "Keys")]
    other_keys: Vec<String>,
}

impl Processor for SameKey {}
impl ProcessorV1 for SameKey {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn main() {}
