use pipeplug::prelude::*;

/// An extension that forgot `impl Extension`.
#[extension(name = "ext_forgotten")]
pub struct Forgotten {}

fn main() {}
