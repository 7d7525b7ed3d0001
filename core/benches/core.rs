//! Benchmarks of the core crate (filled in below).
fn main() {}
