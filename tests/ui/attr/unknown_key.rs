use pipeplug::prelude::*;

/// A typo in a key.
#[service_input(name = "service_x", lenent, rename = "X")]
pub struct Typo {}

fn main() {}
