//! The pipeplug host library.
