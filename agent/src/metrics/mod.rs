//! Every running pipeline's metrics out of the process: `pipeplug run --metrics-listen
//! ADDR` serves them in the Prometheus text format on `GET /metrics`, and `GET /health`
//! says whether every pipeline is running.
//!
//! - [`encode`] writes what a [`MetricsHub`] holds in the Prometheus text format (version
//!   0.0.4, through the `prometheus-client` crate): the engine's counts per plugin instance
//!   (labels `pipeline`, `plugin_type`, `plugin_id`), the queues' depths, and every plugin's
//!   own self-metrics (`Context::counter`, `gauge`, `average`, `latency`) as
//!   `pipeplug_self_<name>`;
//! - [`MetricsServer`] answers scrapes on a thread of its own (`tiny_http`, synchronous).
//!
//! The list of metrics, with their types, labels and meaning, is in `docs/operations.md`.

mod encode;
mod server;

pub use encode::{encode, sanitize_name};
pub use server::{MetricsServer, ServeError};

pub use crate::engine::MetricsHub;
