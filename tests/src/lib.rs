//! Test support for the pipeplug workspace.
pub mod testkit;
