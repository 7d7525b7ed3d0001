//! Every built-in plugin, in one line (Go's `all.go`).

/// The names of the built-in plugins.
pub const PLUGINS: &[&str] = &[
    "metric_mock",
    "service_mock",
    "processor_add_fields",
    "processor_drop",
    "processor_rename",
    "aggregator_default",
    "flusher_stdout",
];
