use pipeplug::prelude::*;

/// A key given twice.
#[metric_input(name = "metric_a", name = "metric_b")]
pub struct Twice {}

fn main() {}
