//! Test support for the pipeplug workspace.
