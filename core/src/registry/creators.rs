//! Go-style registration at run time: [`add_service_creator`] and its siblings, named after
//! iLogtail's `pipeline.AddServiceCreator` and friends.

use super::{register, Factories, Native, PluginDescriptor};
use crate::kind::SourceLocation;
use crate::plugin::{
    AggregatorV1, AggregatorV2, Extension, FlusherV1, FlusherV2, MetricInputV1, MetricInputV2,
    ProcessorV1, ProcessorV2, ServiceInputV1, ServiceInputV2,
};
use crate::ConfigError;

/// Registers a plugin added at run time: no documented config fields or defaults, and the
/// calling file and line (of the `#[track_caller]` chain) as its source.
#[track_caller]
fn register_run_time(
    name: &'static str,
    description: &'static str,
    native: Native,
    factories: Factories,
) {
    let at = std::panic::Location::caller();
    register(PluginDescriptor {
        name,
        description,
        config_fields: &[],
        source: SourceLocation {
            crate_name: SourceLocation::RUN_TIME,
            file: at.file(),
            line: at.line(),
        },
        native,
        factories,
        defaults: || Ok(serde_json::Value::Null),
        example: None,
    });
}

fn leak<F>(f: F) -> &'static F {
    Box::leak(Box::new(f))
}

macro_rules! go_creators {
    ($($(#[$doc:meta])* $fn:ident => $variant:ident, $v1:ident, $v2:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// `creator` builds the plugin from its config (a JSON value, `null` for "all
        /// defaults") and says which interfaces it implements by wrapping it in [`V1Only`],
        /// [`V2Only`] or [`Both`]; the other interface is adapted. The registration's
        /// source is the calling file and line. Use [`register`] for full control (docs of
        /// config fields, crate name). A second registration of the name is reported by
        /// [`global`](super::global).
        #[track_caller]
        pub fn $fn<T, F>(name: &'static str, description: &'static str, creator: F)
        where
            T: CreatorOutput<dyn $v1, dyn $v2>,
            F: Fn(&serde_json::Value) -> Result<T, ConfigError> + Send + Sync + 'static,
        {
            let creator = leak(creator);
            register_run_time(
                name,
                description,
                T::NATIVE,
                Factories::$variant {
                    v1: leak(move |c: &serde_json::Value| creator(c).map(T::into_v1)),
                    v2: leak(move |c: &serde_json::Value| creator(c).map(T::into_v2)),
                },
            );
        }
    )*};
}

/// What a Go-style creator returns: a plugin implementing V1 ([`V1Only`]), V2 ([`V2Only`])
/// or both (the plugin itself, wrapped in [`Both`]).
pub trait CreatorOutput<V1: ?Sized, V2: ?Sized> {
    /// Which interfaces are native.
    const NATIVE: Native;
    /// The plugin as V1.
    fn into_v1(self) -> Box<V1>;
    /// The plugin as V2.
    fn into_v2(self) -> Box<V2>;
}

/// A plugin implementing only its V1 trait; V2 is adapted.
#[derive(Debug)]
pub struct V1Only<T>(pub T);
/// A plugin implementing only its V2 trait; V1 is adapted.
#[derive(Debug)]
pub struct V2Only<T>(pub T);
/// A plugin implementing both traits.
#[derive(Debug)]
pub struct Both<T>(pub T);

macro_rules! creator_outputs {
    ($($v1:ident, $v2:ident, $a12:ident, $a21:ident;)*) => {$(
        impl<T: $v1 + 'static> CreatorOutput<dyn $v1, dyn $v2> for V1Only<T> {
            const NATIVE: Native = Native { v1: true, v2: false };
            fn into_v1(self) -> Box<dyn $v1> { Box::new(self.0) }
            fn into_v2(self) -> Box<dyn $v2> { Box::new(crate::adapter::$a12::new(self.0)) }
        }
        impl<T: $v2 + 'static> CreatorOutput<dyn $v1, dyn $v2> for V2Only<T> {
            const NATIVE: Native = Native { v1: false, v2: true };
            fn into_v1(self) -> Box<dyn $v1> { Box::new(crate::adapter::$a21::new(self.0)) }
            fn into_v2(self) -> Box<dyn $v2> { Box::new(self.0) }
        }
        impl<T: $v1 + $v2 + 'static> CreatorOutput<dyn $v1, dyn $v2> for Both<T> {
            const NATIVE: Native = Native { v1: true, v2: true };
            fn into_v1(self) -> Box<dyn $v1> { Box::new(self.0) }
            fn into_v2(self) -> Box<dyn $v2> { Box::new(self.0) }
        }
    )*};
}

creator_outputs! {
    MetricInputV1, MetricInputV2, MetricInputV1AsV2, MetricInputV2AsV1;
    ServiceInputV1, ServiceInputV2, ServiceInputV1AsV2, ServiceInputV2AsV1;
    ProcessorV1, ProcessorV2, ProcessorV1AsV2, ProcessorV2AsV1;
    AggregatorV1, AggregatorV2, AggregatorV1AsV2, AggregatorV2AsV1;
    FlusherV1, FlusherV2, FlusherV1AsV2, FlusherV2AsV1;
}

go_creators! {
    /// Registers a metric input at run time (Go's `pipeline.AddMetricCreator`).
    add_metric_creator => MetricInput, MetricInputV1, MetricInputV2;
    /// Registers a service input at run time (Go's `pipeline.AddServiceCreator`).
    add_service_creator => ServiceInput, ServiceInputV1, ServiceInputV2;
    /// Registers a processor at run time (Go's `pipeline.AddProcessorCreator`).
    add_processor_creator => Processor, ProcessorV1, ProcessorV2;
    /// Registers an aggregator at run time (Go's `pipeline.AddAggregatorCreator`).
    add_aggregator_creator => Aggregator, AggregatorV1, AggregatorV2;
    /// Registers a flusher at run time (Go's `pipeline.AddFlusherCreator`).
    add_flusher_creator => Flusher, FlusherV1, FlusherV2;
}

/// Registers an extension at run time (Go's `pipeline.AddExtensionCreator`).
///
/// `creator` builds the extension from its config (`null` for "all defaults"). The
/// registration's source is the calling file and line.
#[track_caller]
pub fn add_extension_creator<T, F>(name: &'static str, description: &'static str, creator: F)
where
    T: Extension,
    F: Fn(&serde_json::Value) -> Result<T, ConfigError> + Send + Sync + 'static,
{
    let creator = leak(creator);
    register_run_time(
        name,
        description,
        Native { v1: true, v2: true },
        Factories::Extension {
            new: leak(move |c: &serde_json::Value| {
                creator(c).map(|e| Box::new(e) as Box<dyn Extension>)
            }),
        },
    );
}
