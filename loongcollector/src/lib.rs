//! pipeplug inside LoongCollector: a shared library that LoongCollector's C++ core loads in
//! place of its Go plugin library, running pipeplug pipelines behind the same C ABI.
//!
//! - [`ffi`]: the exported functions (`InitPluginBaseV2`, `LoadPipeline`, `Start`,
//!   `ProcessPipelineEventGroup`, the getters, ...), panic-safe and thread-safe;
//! - [`go`]: the Go types of the ABI (`GoString`, `GoSlice`);
//! - [`forward`]: forward mode, the real Go library behind this one;
//! - [`host`]: pipelines per config name, staged and running, and the alarms;
//! - [`adapter`]: the way back to the core, the adapter's `LogtailSendPbV2`;
//! - [`plugins`]: `flusher_sls` (sends to the core) and the input of core-fed pipelines;
//! - [`proto`]: the wire messages (`PipelineEventGroup` in, `sls_logs.LogGroup` out).
//!
//! The built-in plugins and the example plugin are linked in.

pub mod adapter;
pub mod ffi;
pub mod forward;
pub mod go;
pub mod host;
pub mod plugins;
pub mod proto;

pipeplug::link!(pipeplug_plugins::all, example_plugin::all, plugins);

pub use host::expect_plugins;

/// Names plugins the library is meant to hold: `InitPluginBaseV2` logs a warning and raises
/// an alarm (`PIPEPLUG_ERROR_ALARM`) for each that is not registered, as an agent built by
/// `pipeplug build` warns at start-up. `pipeplug build --target loongcollector` writes this
/// line from the `expect:` names of `external_plugins.yml`.
///
/// ```
/// pipeplug_loongcollector::expect_plugins!("processor_add_fields", "flusher_sls");
/// ```
///
/// Each use adds its names (through a constructor that runs when the library is loaded).
#[macro_export]
macro_rules! expect_plugins {
    ($($name:literal),* $(,)?) => {
        $crate::__private::ctor::declarative::ctor! {
            #[ctor(unsafe, anonymous)]
            fn expect_plugins() {
                $crate::expect_plugins(&[$($name),*]);
            }
        }
    };
}

/// Not public API: what [`expect_plugins!`] expands to names.
#[doc(hidden)]
pub mod __private {
    pub use pipeplug::__private::ctor;
}

#[cfg(test)]
mod tests;
// Forward mode through the exports: a crate-level test, as it uses both `ffi` and `forward`.
#[cfg(test)]
mod forward_tests;
