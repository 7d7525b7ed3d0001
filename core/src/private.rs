//! Not public API. Used by generated code: items here may change in any release, which is
//! why `pipeplug` pins `pipeplug-macros` exactly.
//!
//! The attribute macros name runtime items only through this module (as
//! `::pipeplug::__private::...`, or `<crate = "...">::__private::...`), so that a plugin
//! crate needs no dependency but `pipeplug`.

pub use ::ctor;
pub use ::serde;
pub use ::serde_json;

pub use crate::config::engine::keys_of as engine_keys;
pub use crate::config::{Decoder, DurationUnit, Encoder, PluginConfig};
pub use crate::plugin::{
    Aggregator, AggregatorV1, AggregatorV2, Extension, Flusher, FlusherV1, FlusherV2, MetricInput,
    MetricInputV1, MetricInputV2, Plugin, Processor, ProcessorV1, ProcessorV2, ServiceInput,
    ServiceInputV1, ServiceInputV2,
};
pub use crate::registry::{
    ConfigField, Factories, Native, Node, PluginDescriptor, PluginKind, SourceLocation,
};
pub use crate::ConfigError;

/// The body of the conformance test the attribute macros generate under `cfg(test)`: runs
/// [`conformance::run`](crate::testing::conformance::run) on the plugin when `pipeplug`'s
/// feature `testing` is on, and otherwise fails saying how to turn it on.
///
/// # Panics
/// When a check fails, or when the feature `testing` is off.
#[cfg(feature = "testing")]
pub fn conformance_test(kind: PluginKind, name: &str) {
    crate::testing::conformance::run(kind, name);
}

/// The body of the conformance test the attribute macros generate under `cfg(test)`. The
/// checks need the harnesses, behind `pipeplug`'s feature `testing`, which is off: this
/// fails with the line that turns it on.
///
/// # Panics
/// Always.
#[cfg(not(feature = "testing"))]
#[track_caller]
pub fn conformance_test(kind: PluginKind, name: &str) {
    panic!(
        "the conformance test of {kind} `{name}` needs the test harnesses of `pipeplug`, which \
         are behind its feature `testing`; turn it on for tests in your crate's Cargo.toml:\n\
         \n\
         [dev-dependencies]\n\
         pipeplug = {{ version = \"{version}\", features = [\"testing\"] }}\n\
         \n\
         (with the same `version` or `path` as your `pipeplug` line under `[dependencies]`), \
         or set `conformance = false` in the plugin's attribute to go without the test",
        version = env!("CARGO_PKG_VERSION"),
    );
}

/// A JSON value: what configs decode from. (An alias, so generated code names no crate but
/// `pipeplug`.)
pub type Value = serde_json::Value;

/// Links a static registry node (what the macros' constructors call before `main`).
pub fn submit(node: &'static Node) {
    crate::registry::submit(node);
}

/// How the macros find out, at compile time, which of its kind's V1/V2 traits a plugin
/// implements, and build its factories from that.
///
/// `Probe::<T>::SERVICE_V1` is an inherent constant bounded by `T: ServiceInputV1`; when
/// the bound does not hold, the lookup falls back to [`NotImplemented`](glue::NotImplemented)'s constant, which is
/// `false` (the `impls` crate's trick; it works because `T` is a concrete type at the use
/// site). The answers then pick an inherent impl of [`Glue`](glue::Glue), one per combination, whose
/// functions box the plugin natively or through its [adapter](crate::adapter).
pub mod glue {
    use super::{ConfigError, PluginConfig, Value};
    use crate::adapter::{
        AggregatorV1AsV2, AggregatorV2AsV1, FlusherV1AsV2, FlusherV2AsV1, MetricInputV1AsV2,
        MetricInputV2AsV1, ProcessorV1AsV2, ProcessorV2AsV1, ServiceInputV1AsV2,
        ServiceInputV2AsV1,
    };
    use crate::plugin::{
        AggregatorV1, AggregatorV2, Extension, FlusherV1, FlusherV2, MetricInputV1, MetricInputV2,
        ProcessorV1, ProcessorV2, ServiceInputV1, ServiceInputV2,
    };
    use crate::ConfigProblemKind;
    use std::marker::PhantomData;

    /// Answers "does `T` implement ...?" (see the module docs).
    pub struct Probe<T: ?Sized>(PhantomData<T>);

    /// The "no" answers of [`Probe`]; generated code brings it into scope.
    pub trait NotImplemented {
        /// `T: MetricInputV1`.
        const METRIC_V1: bool = false;
        /// `T: MetricInputV2`.
        const METRIC_V2: bool = false;
        /// `T: ServiceInputV1`.
        const SERVICE_V1: bool = false;
        /// `T: ServiceInputV2`.
        const SERVICE_V2: bool = false;
        /// `T: ProcessorV1`.
        const PROCESSOR_V1: bool = false;
        /// `T: ProcessorV2`.
        const PROCESSOR_V2: bool = false;
        /// `T: AggregatorV1`.
        const AGGREGATOR_V1: bool = false;
        /// `T: AggregatorV2`.
        const AGGREGATOR_V2: bool = false;
        /// `T: FlusherV1`.
        const FLUSHER_V1: bool = false;
        /// `T: FlusherV2`.
        const FLUSHER_V2: bool = false;
        /// `T: Extension`.
        const EXTENSION: bool = false;
    }

    impl<T: ?Sized + Extension> Probe<T> {
        /// Yes.
        pub const EXTENSION: bool = true;
    }

    impl<T: ?Sized> NotImplemented for Probe<T> {}

    /// The factories of `T`, given which of V1 (`V1`) and V2 (`V2`) it implements.
    pub struct Glue<T, const V1: bool, const V2: bool>(PhantomData<T>);

    fn neither<T: PluginConfig>() -> ConfigError {
        // Unreachable in a program that compiles: the macros assert at compile time that a
        // plugin implements V1 or V2. This impl exists so that the assertion is the only
        // error the user sees.
        ConfigError::new(
            T::NAME,
            "",
            ConfigProblemKind::Custom("the plugin implements none of its kind's traits".to_owned()),
        )
    }

    macro_rules! kinds {
        ($($yes1:ident, $yes2:ident, $v1:ident, $v2:ident, $a12:ident, $a21:ident, $f1:ident, $f2:ident;)*) => {
            $(
                impl<T: ?Sized + $v1> Probe<T> {
                    /// Yes.
                    pub const $yes1: bool = true;
                }
                impl<T: ?Sized + $v2> Probe<T> {
                    /// Yes.
                    pub const $yes2: bool = true;
                }
                impl<T: PluginConfig + $v1 + $v2> Glue<T, true, true> {
                    /// Native V1.
                    ///
                    /// # Errors
                    /// The config does not decode.
                    pub fn $f1(config: &Value) -> Result<Box<dyn $v1>, ConfigError> {
                        Ok(Box::new(T::from_config(config)?))
                    }
                    /// Native V2.
                    ///
                    /// # Errors
                    /// The config does not decode.
                    pub fn $f2(config: &Value) -> Result<Box<dyn $v2>, ConfigError> {
                        Ok(Box::new(T::from_config(config)?))
                    }
                }
                impl<T: PluginConfig + $v1> Glue<T, true, false> {
                    /// Native V1.
                    ///
                    /// # Errors
                    /// The config does not decode.
                    pub fn $f1(config: &Value) -> Result<Box<dyn $v1>, ConfigError> {
                        Ok(Box::new(T::from_config(config)?))
                    }
                    /// V2 adapted from V1.
                    ///
                    /// # Errors
                    /// The config does not decode.
                    pub fn $f2(config: &Value) -> Result<Box<dyn $v2>, ConfigError> {
                        Ok(Box::new($a12::new(T::from_config(config)?)))
                    }
                }
                impl<T: PluginConfig + $v2> Glue<T, false, true> {
                    /// V1 adapted from V2.
                    ///
                    /// # Errors
                    /// The config does not decode.
                    pub fn $f1(config: &Value) -> Result<Box<dyn $v1>, ConfigError> {
                        Ok(Box::new($a21::new(T::from_config(config)?)))
                    }
                    /// Native V2.
                    ///
                    /// # Errors
                    /// The config does not decode.
                    pub fn $f2(config: &Value) -> Result<Box<dyn $v2>, ConfigError> {
                        Ok(Box::new(T::from_config(config)?))
                    }
                }
                impl<T: PluginConfig> Glue<T, false, false> {
                    /// Never called (see `neither`).
                    ///
                    /// # Errors
                    /// Always.
                    pub fn $f1(_: &Value) -> Result<Box<dyn $v1>, ConfigError> {
                        Err(neither::<T>())
                    }
                    /// Never called (see `neither`).
                    ///
                    /// # Errors
                    /// Always.
                    pub fn $f2(_: &Value) -> Result<Box<dyn $v2>, ConfigError> {
                        Err(neither::<T>())
                    }
                }
            )*
        };
    }

    kinds! {
        METRIC_V1, METRIC_V2, MetricInputV1, MetricInputV2, MetricInputV1AsV2, MetricInputV2AsV1, metric_v1, metric_v2;
        SERVICE_V1, SERVICE_V2, ServiceInputV1, ServiceInputV2, ServiceInputV1AsV2, ServiceInputV2AsV1, service_v1, service_v2;
        PROCESSOR_V1, PROCESSOR_V2, ProcessorV1, ProcessorV2, ProcessorV1AsV2, ProcessorV2AsV1, processor_v1, processor_v2;
        AGGREGATOR_V1, AGGREGATOR_V2, AggregatorV1, AggregatorV2, AggregatorV1AsV2, AggregatorV2AsV1, aggregator_v1, aggregator_v2;
        FLUSHER_V1, FLUSHER_V2, FlusherV1, FlusherV2, FlusherV1AsV2, FlusherV2AsV1, flusher_v1, flusher_v2;
    }

    /// The factory of an extension (one trait, no adapter), given whether `T` implements
    /// `Extension`.
    pub struct ExtensionGlue<T, const IMPLEMENTED: bool>(PhantomData<T>);

    impl<T: PluginConfig + Extension> ExtensionGlue<T, true> {
        /// Builds the extension.
        ///
        /// # Errors
        /// The config does not decode.
        pub fn extension(config: &Value) -> Result<Box<dyn Extension>, ConfigError> {
            Ok(Box::new(T::from_config(config)?))
        }
    }

    impl<T: PluginConfig> ExtensionGlue<T, false> {
        /// Never called (see `neither`).
        ///
        /// # Errors
        /// Always.
        pub fn extension(_: &Value) -> Result<Box<dyn Extension>, ConfigError> {
            Err(neither::<T>())
        }
    }

    /// The config of `T` with every default, as JSON (the descriptor's `defaults`).
    ///
    /// # Errors
    /// A default does not decode (cannot happen for macro-generated configs, whose defaults
    /// are typed expressions).
    pub fn defaults<T: PluginConfig>() -> Result<Value, ConfigError> {
        let required: Vec<&str> = T::FIELDS
            .iter()
            .filter(|f| f.required)
            .map(|f| f.key)
            .collect();
        if required.is_empty() {
            return T::from_config(&Value::Null).map(|p| p.to_config());
        }
        // The required keys have no default: take them from the example, decode, and
        // leave them out of the answer.
        let example = match T::EXAMPLE {
            Some(text) => crate::config::yaml_to_json(text).map_err(|e| {
                ConfigError::new(
                    T::NAME,
                    e.path,
                    ConfigProblemKind::Custom(format!(
                        "the example config is not valid YAML: {}",
                        e.message
                    )),
                )
            })?,
            None => Value::Null,
        };
        let is_required = |k: &str| required.iter().any(|r| r.eq_ignore_ascii_case(k));
        let given: serde_json::Map<String, Value> = example
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| is_required(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut config = T::from_config(&Value::Object(given))?.to_config();
        if let Value::Object(map) = &mut config {
            map.retain(|k, _| !is_required(k));
        }
        Ok(config)
    }
}

/// The error of a config without the required key `key` of `plugin`. Generated code
/// returns it where a required field has no value; the decoder has reported the key by
/// then, so this is a second line of defence that needs no `Default` of the field's type.
#[must_use]
pub fn missing_required(plugin: &'static str, key: &'static str) -> ConfigError {
    ConfigError::new(plugin, key, crate::ConfigProblemKind::Required)
}

/// The result of a plugin's `validate = "path"` check, as the config error of `plugin`.
///
/// # Errors
/// The check's problem, in a [`ConfigError`] naming the plugin.
pub fn validated(
    plugin: &'static str,
    check: ::core::result::Result<(), crate::ConfigProblem>,
) -> ::core::result::Result<(), ConfigError> {
    check.map_err(|problem| ConfigError {
        plugin: plugin.to_owned(),
        problems: ::std::vec![problem],
    })
}
