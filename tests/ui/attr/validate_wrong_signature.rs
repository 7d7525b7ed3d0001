use pipeplug::prelude::*;

/// Checks its config with a function of the wrong type.
#[processor(name = "processor_bad_validate", validate = "Self::check")]
pub struct Checked {
    /// A key.
    key: String,
}

impl Checked {
    fn check(&self) -> bool {
        !self.key.is_empty()
    }
}

impl Processor for Checked {}

impl ProcessorV1 for Checked {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn main() {}
