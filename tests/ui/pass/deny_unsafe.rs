//! `#![deny(unsafe_code)]` (unlike `forbid`) accepts the expansion.
#![deny(unsafe_code)]

use pipeplug::prelude::*;

/// Registered before `main`.
#[processor(name = "processor_deny_unsafe")]
pub struct Denied {}

impl Processor for Denied {}
impl ProcessorV1 for Denied {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn main() {}
