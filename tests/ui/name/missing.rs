use pipeplug::prelude::*;

/// A plugin without a name.
#[service_input]
pub struct NoName {}

fn main() {}
