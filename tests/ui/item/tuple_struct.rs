use pipeplug::prelude::*;

/// A tuple struct has no field names to use as keys.
#[flusher(name = "flusher_tuple")]
pub struct Tuple(u32, String);

fn main() {}
