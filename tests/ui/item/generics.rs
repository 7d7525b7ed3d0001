use pipeplug::prelude::*;

/// The registry needs one concrete type per name.
#[processor(name = "processor_generic")]
pub struct Generic<T: Send + 'static> {
    /// A value.
    value: T,
}

/// Lifetimes are generic parameters too.
#[processor(name = "processor_borrowed")]
pub struct Borrowed<'a> {
    /// A name.
    name: &'a str,
}

fn main() {}
