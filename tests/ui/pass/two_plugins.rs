//! Two plugins in one file, even with the same field names, do not clash.
use pipeplug::prelude::*;

/// The first.
#[processor(name = "processor_first")]
pub struct First {
    /// A key.
    key: String,
}

/// The second.
#[processor(name = "processor_second")]
pub struct Second {
    /// A key.
    key: String,
}

impl Processor for First {}
impl ProcessorV1 for First {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        let _ = &self.key;
        logs
    }
}
impl Processor for Second {}
impl ProcessorV2 for Second {
    fn process(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext) {
        let _ = &self.key;
        ctx.collector().collect(group.group, group.events);
    }
}

fn main() {
    let reg = pipeplug::registry::global().unwrap();
    assert_eq!(reg.len(), 2);
}
