//! Test support for the pipeplug workspace.
pub mod servers;
pub mod stopkit;
pub mod testkit;
