use pipeplug::prelude::*;

/// An enum.
#[service_input(name = "service_enum")]
pub enum NotAStruct {
    A,
}

fn main() {}
