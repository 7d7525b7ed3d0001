use pipeplug::prelude::*;

/// Defaults are type-checked at the default.
#[processor(name = "processor_defaults")]
pub struct Defaults {
    /// A count, defaulted with a float.
    #[config(default = 1.5)]
    count: u32,
    /// A flag, defaulted with a string.
    #[config(default = "yes")]
    enabled: bool,
}

impl Processor for Defaults {}
impl ProcessorV1 for Defaults {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn main() {}
