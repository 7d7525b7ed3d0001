use pipeplug::prelude::*;

/// A processor named like a service input.
#[processor(name = "service_upper")]
pub struct Upper {}

/// A flusher named without any prefix.
#[flusher(name = "stdout")]
pub struct Stdout {}

/// An extension named with its prefix alone.
#[extension(name = "ext_")]
pub struct Nothing {}

fn main() {}
