use pipeplug::prelude::*;

/// Not a path.
#[processor(name = "processor_x", crate = "pipeplug 2")]
pub struct NotAPath {}

/// A path that names nothing.
#[processor(name = "processor_y", crate = "::no_such_crate")]
pub struct Nowhere {}

fn main() {}
