use pipeplug::prelude::*;

/// A plugin with an empty name.
#[service_input(name = "")]
pub struct Empty {}

fn main() {}
