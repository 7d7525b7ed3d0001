//! The registration constructor needs `unsafe` (ctor 1.x), so a crate that forbids unsafe
//! code cannot use the attributes; `deny(unsafe_code)` works.
#![forbid(unsafe_code)]

use pipeplug::prelude::*;

/// Registered before `main` by a constructor.
#[processor(name = "processor_forbidden")]
pub struct Forbidden {}

impl Processor for Forbidden {}
impl ProcessorV1 for Forbidden {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn main() {}
