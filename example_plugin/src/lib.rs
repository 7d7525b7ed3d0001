//! The seed plugin.
