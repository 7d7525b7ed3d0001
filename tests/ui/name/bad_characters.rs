use pipeplug::prelude::*;

/// Names are snake_case ASCII.
#[service_input(name = "service_My-Input")]
pub struct Bad {}

fn main() {}
