//! Calling plugin code: every call is wrapped in `catch_unwind`, and a panic is reported with
//! the plugin's name instead of taking the pipeline down.

use super::counts::PluginStats;
use pipeplug::runner::panic_message;
use pipeplug::BoxError;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A plugin as the engine names it in reports: `processor_rename/2 (processors[1] in
/// pipeline.yaml)`.
#[derive(Debug, Clone)]
pub(crate) struct PluginLabel {
    /// `type/id`.
    pub type_with_id: String,
    /// `processors[1]`.
    pub position: String,
    /// The config name.
    pub config: String,
    /// How many times it panicked (shared with the pipeline's report).
    pub panics: Arc<AtomicU64>,
    /// The engine's counts of this plugin (its own, shared with the metrics hub).
    pub stats: Arc<PluginStats>,
}

impl std::fmt::Display for PluginLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.type_with_id, self.position)
    }
}

/// Runs `f` (a call of `method` on the plugin `label`); a panic is reported and becomes
/// `None`. See [`try_call`].
pub(crate) fn call<R>(label: &PluginLabel, method: &str, f: impl FnOnce() -> R) -> Option<R> {
    try_call(label, method, f).ok()
}

/// Runs `f` (a call of `method` on the plugin `label`); a panic is reported and becomes
/// its message.
///
/// The first ten panics of a plugin are reported, then every thousandth, so that a plugin
/// panicking on every event does not flood the log.
pub(crate) fn try_call<R>(
    label: &PluginLabel,
    method: &str,
    f: impl FnOnce() -> R,
) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = panic_message(&*payload);
        let n = label.panics.fetch_add(1, Ordering::Relaxed) + 1;
        label.stats.add_panic();
        if n <= 10 || n.is_multiple_of(1000) {
            tracing::error!(
                config = %label.config,
                plugin = %label.type_with_id,
                position = %label.position,
                panics = n,
                "plugin {label} panicked in `{method}`: {message}; the pipeline goes on"
            );
        }
        message
    })
}

/// As [`call`], timing the call in the plugin's stats (a work call: `collect`, `process`,
/// `flush`...; not `is_ready` polls, nor a service input's `start`, which blocks).
pub(crate) fn timed_call<R>(label: &PluginLabel, method: &str, f: impl FnOnce() -> R) -> Option<R> {
    let began = label.stats.begin_call();
    let r = try_call(label, method, f).ok();
    label.stats.end_call(began);
    r
}

/// Logs an error a plugin method returned, with its whole chain of causes, and counts it.
pub(crate) fn report_error(label: &PluginLabel, method: &str, error: &BoxError) {
    label.stats.add_error();
    tracing::error!(
        config = %label.config,
        plugin = %label.type_with_id,
        position = %label.position,
        "plugin {label}: `{method}` failed: {}",
        pipeplug::error_chain(&**error)
    );
}
