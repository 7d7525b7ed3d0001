use pipeplug::prelude::*;

/// A typo in a field attribute.
#[processor(name = "processor_field_typo")]
pub struct FieldTypo {
    /// A count.
    #[config(defualt = 3, rename = "Count", rename = "N")]
    count: u32,
}

impl Processor for FieldTypo {}
impl ProcessorV1 for FieldTypo {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn main() {}
