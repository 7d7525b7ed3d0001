use pipeplug::prelude::*;

/// Values of the wrong sort, all reported in one compile.
#[aggregator(name = aggregator_x, lenient = "yes", conformance = 0, rename_all = "kebab-case")]
pub struct Values {}

fn main() {}
