//! The example plugin of iLogtail's guide to external private plugins, ported to pipeplug: `service_example_plugin`.
//!
//! This crate is laid out like that guide's Go repository `my_plugins`: one module per plugin
//! and an [`all`] module that brings every plugin in at once. It depends on `pipeplug` alone.
//!
//! | Go (the guide) | here |
//! |---|---|
//! | `example_plugin/example_plugin.go` | [`service_example_plugin`](MyServiceInput) |
//! | `func init() { pipeline.AddServiceCreator(...) }` | `#[service_input(name = "service_example_plugin")]` |
//! | `Interval: 5 * time.Second` in the creator | `#[config(default = "5s")]` |
//! | `all.go` | [`all`] |
//!
//! Use it in a binary with one line, `pipeplug::link!(example_plugin::all);`, then run it in
//! a pipeline:
//!
//! ```yaml
//! inputs:
//!   - Type: service_example_plugin
//!     interval: 1s
//! flushers:
//!   - Type: flusher_stdout
//! ```

pub mod all;
mod service_example_plugin;

pub use service_example_plugin::MyServiceInput;
