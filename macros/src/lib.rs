//! Attribute macros of pipeplug. Use them through the `pipeplug` crate, which documents them.
