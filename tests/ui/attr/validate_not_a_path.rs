use pipeplug::prelude::*;

/// Validated by something that is not a path.
#[processor(name = "processor_bad_validate_path", validate = "check me")]
pub struct Checked {
    /// A key.
    key: String,
}

impl Processor for Checked {}

impl ProcessorV1 for Checked {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn main() {}
