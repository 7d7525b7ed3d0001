//! The plugin interfaces: iLogtail's `pkg/pipeline`, one module per kind.
//!
//! Every kind has a base trait (`init`, and `stop` where iLogtail has it) and a V1 and/or V2
//! trait on top. A V1 pipeline calls the V1 trait with [`protocol`](crate::protocol) logs;
//! a V2 pipeline calls the V2 trait with [`models`](crate::models) events. A plugin
//! implements V1, V2 or both; the attribute macros adapt the missing one.
//!
//! All of them build on [`Plugin`], which the attribute macros implement from the doc
//! comment.

mod aggregator;
mod extension;
mod flusher;
mod input;
mod processor;

pub use aggregator::{Aggregator, AggregatorV1, AggregatorV2};
pub use extension::Extension;
pub use flusher::{Flusher, FlusherV1, FlusherV2};
pub use input::{
    MetricInput, MetricInputV1, MetricInputV2, ServiceInput, ServiceInputV1, ServiceInputV2,
};
pub use processor::{Processor, ProcessorV1, ProcessorV2};

use std::time::Duration;

/// What every plugin is (`Description()` in Go). The attribute macros implement it from the
/// struct's doc comment; a hand-written plugin implements it itself.
///
/// Plugins run on pipeline threads, so they are `Send`, and `'static` so that the host can
/// find an extension's concrete type.
pub trait Plugin: Send + std::any::Any {
    /// One line saying what the plugin does (shown by `pipeplug list` and in docs).
    fn description(&self) -> &str;
}

/// `init`'s answer meaning "use the pipeline's default interval" (Go's `0`).
pub const DEFAULT_INTERVAL: Duration = Duration::ZERO;

/// `Debug` for boxed plugins (`Box<dyn ServiceInputV1>`, an extension handle, ...), so that
/// results holding them can be unwrapped and printed: the interface and the description.
macro_rules! debug_dyn {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for dyn $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("description", &self.description())
                    .finish_non_exhaustive()
            }
        }
    )*};
}

debug_dyn!(
    Plugin,
    MetricInputV1,
    MetricInputV2,
    ServiceInputV1,
    ServiceInputV2,
    ProcessorV1,
    ProcessorV2,
    AggregatorV1,
    AggregatorV2,
    FlusherV1,
    FlusherV2,
    Extension
);
