use pipeplug::prelude::*;

/// Implements only the base trait.
#[service_input(name = "service_neither")]
pub struct Neither {}

impl ServiceInput for Neither {}

/// Implements nothing at all.
#[aggregator(name = "aggregator_nothing")]
pub struct Nothing;

fn main() {}
