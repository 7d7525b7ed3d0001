//! The pipeplug host: runs iLogtail-format pipelines of pipeplug plugins.
//!
//! - [`config`] reads pipeline config files (YAML or JSON) and reports every problem at once;
//! - [`engine`] builds pipelines from the registry and runs them with iLogtail's semantics;
//! - [`cli`] is the `pipeplug` command line (`run`, `check`, `list`, `doc`), and
//!   [`main_with_plugins`] its entry point for custom agent builds.
#![warn(missing_docs)]

pub mod config;
pub mod engine;
