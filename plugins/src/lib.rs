//! Built-in plugins of pipeplug.
