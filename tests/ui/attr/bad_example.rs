use pipeplug::prelude::*;

/// An example that is not a string, and one that is empty.
#[processor(name = "processor_x", example = 5)]
pub struct NotAString {}

/// An empty example.
#[processor(name = "processor_y", example = "  ")]
pub struct Empty {}

/// Two examples.
#[processor(name = "processor_z", example = "A: 1", example = "A: 2")]
pub struct Twice {}

fn main() {}
