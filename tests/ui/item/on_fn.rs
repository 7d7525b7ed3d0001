use pipeplug::prelude::*;

/// A function.
#[processor(name = "processor_fn")]
pub fn not_a_struct() {}

fn main() {}
