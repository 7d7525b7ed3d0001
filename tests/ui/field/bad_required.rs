use pipeplug::prelude::*;

/// `required` takes a boolean, and a required key has no default.
#[processor(name = "processor_x", example = "SourceKey: a")]
pub struct Required {
    /// Not a boolean.
    #[config(required = "yes")]
    source_key: String,
    /// Required and defaulted.
    #[config(required, default = "content")]
    dest_key: String,
    /// Given twice.
    #[config(required, required = false)]
    other: String,
}

fn main() {}
