//! Test support for the pipeplug workspace.
pub mod stopkit;
pub mod testkit;
