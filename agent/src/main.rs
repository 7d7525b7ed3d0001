//! The `pipeplug` binary.
fn main() {}
