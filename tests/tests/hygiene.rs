//! The expansions of the attribute macros are hygienic: they compile
//! - under `#![no_implicit_prelude]`, with `Result`, `Option`, `Ok`, `Some`, `Vec`, `String`,
//!   `Box`, `Default` and a `core` module of the user's own in scope (serde's `test_gen.rs`
//!   does the same "to trip up the generated code if it fails to use fully qualified paths");
//! - with `pipeplug` under another name (`crate = "::pp"`, `crate = "pp"`) and through a
//!   re-export (`crate = "crate::fw"`);
//! - under `#![deny(warnings)]` and `clippy::pedantic` (`cargo clippy --all-targets`).
#![no_implicit_prelude]
#![deny(warnings)]
#![deny(clippy::pedantic)]

extern crate pipeplug as pp;

// Everything a careless expansion would pick up instead of the real thing.
#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct Ok;
#[allow(dead_code)]
struct Some;
#[allow(dead_code)]
struct Vec;
#[allow(dead_code)]
struct String;
#[allow(dead_code)]
struct Box;
#[allow(dead_code)]
struct Default;
#[allow(dead_code)]
struct Duration;
mod core {}
mod pipeplug {}

/// `pipeplug` through a re-export, as a framework built on it would offer it.
mod fw {
    pub use ::pipeplug::*;
}

type Res<T> = ::core::result::Result<T, ::pipeplug::BoxError>;

/// A service input with every sort of field.
#[::pipeplug::service_input(name = "service_hygiene_full", rename_all = "PascalCase")]
pub struct Full {
    /// An interval.
    #[config(default = "1m 30s")]
    interval: ::std::time::Duration,
    /// In milliseconds.
    #[config(unit = "ms", default = "250ms")]
    interval_ms: ::core::option::Option<::std::time::Duration>,
    /// A count.
    #[config(default = 3)]
    count: u32,
    /// A name.
    #[config(default = "x", rename = "Label")]
    name: ::std::string::String,
    /// Some keys.
    keys: ::std::vec::Vec<::std::string::String>,
    /// Runtime state.
    #[state]
    started: bool,
}

impl ::pipeplug::plugin::ServiceInput for Full {}
impl ::pipeplug::plugin::ServiceInputV1 for Full {
    fn start(&mut self, _: ::pipeplug::Collector) -> Res<()> {
        self.started = true;
        ::core::result::Result::Ok(())
    }
}
impl ::pipeplug::plugin::ServiceInputV2 for Full {
    fn start_service(&mut self, _: ::pipeplug::PipelineContext) -> Res<()> {
        self.started = true;
        ::core::result::Result::Ok(())
    }
}

/// A processor without config, in a private module, with the crate renamed.
mod private {
    /// Passes everything on.
    #[::pp::processor(name = "processor_hygiene_renamed", crate = "::pp")]
    pub(super) struct Renamed;

    impl ::pp::plugin::Processor for Renamed {}
    impl ::pp::plugin::ProcessorV2 for Renamed {
        fn process(
            &mut self,
            group: ::pp::models::PipelineGroupEvents,
            ctx: &::pp::PipelineContext,
        ) {
            ctx.collector().collect(group.group, group.events);
        }
    }
}

/// An aggregator naming the renamed crate without `::` (it is an item of this module).
#[pp::aggregator(name = "aggregator_hygiene_relative", crate = "pp", lenient)]
pub struct Relative {
    /// Held logs.
    #[state]
    held: ::std::vec::Vec<::pipeplug::protocol::Log>,
}

impl ::pipeplug::plugin::Aggregator for Relative {}
impl ::pipeplug::plugin::AggregatorV1 for Relative {
    fn add(
        &mut self,
        log: ::pipeplug::protocol::Log,
        _: ::core::option::Option<&::pipeplug::LogContext>,
    ) -> Res<()> {
        self.held.push(log);
        ::core::result::Result::Ok(())
    }
    fn flush(&mut self) -> ::std::vec::Vec<::pipeplug::protocol::LogGroup> {
        ::std::vec::Vec::new()
    }
}

/// A flusher through a re-export of pipeplug.
#[fw::flusher(name = "flusher_hygiene_reexport", crate = "crate::fw")]
pub struct Reexported {
    /// Where to write.
    path: ::std::path::PathBuf,
}

impl ::pipeplug::plugin::Flusher for Reexported {}
impl ::pipeplug::plugin::FlusherV2 for Reexported {
    fn export(
        &mut self,
        _: &[::pipeplug::models::PipelineGroupEvents],
        _: &::pipeplug::PipelineContext,
    ) -> Res<()> {
        let _ = &self.path;
        ::core::result::Result::Ok(())
    }
}

/// A metric input and an extension, without a conformance test.
#[::pipeplug::metric_input(name = "metric_hygiene_quiet", conformance = false)]
pub struct Quiet {}

impl ::pipeplug::plugin::MetricInput for Quiet {}
impl ::pipeplug::plugin::MetricInputV1 for Quiet {
    fn collect(&mut self, _: &::pipeplug::Collector) -> Res<()> {
        ::core::result::Result::Ok(())
    }
}

/// A shared helper.
#[::pipeplug::extension(name = "ext_hygiene_helper")]
pub struct Helper {
    /// A timeout.
    timeout: ::core::option::Option<::std::time::Duration>,
}

impl ::pipeplug::plugin::Extension for Helper {}

#[::core::prelude::v1::test]
fn every_plugin_registered_under_its_name() {
    use ::pipeplug::registry::PluginKind;
    let reg = ::pipeplug::registry::global().unwrap();
    for (kind, name) in [
        (PluginKind::ServiceInput, "service_hygiene_full"),
        (PluginKind::Processor, "processor_hygiene_renamed"),
        (PluginKind::Aggregator, "aggregator_hygiene_relative"),
        (PluginKind::Flusher, "flusher_hygiene_reexport"),
        (PluginKind::MetricInput, "metric_hygiene_quiet"),
        (PluginKind::Extension, "ext_hygiene_helper"),
    ] {
        ::std::assert!(reg.get(kind, name).is_some(), "{name}");
    }
}

#[::core::prelude::v1::test]
fn the_expansions_decode() {
    use ::pipeplug::PluginConfig;
    let full =
        Full::from_json_str(r#"{"Interval": "2s", "IntervalMs": 5, "Label": "y", "Keys": ["a"]}"#)
            .unwrap();
    ::std::assert_eq!(full.interval, ::std::time::Duration::from_secs(2));
    ::std::assert_eq!(
        full.interval_ms,
        ::core::option::Option::Some(::std::time::Duration::from_millis(5))
    );
    ::std::assert_eq!(
        (full.count, full.name.as_str(), full.keys.len()),
        (3, "y", 1)
    );
    ::std::assert!(!full.started);
    let defaults = Full::from_config(&::pipeplug::__private::Value::Null).unwrap();
    ::std::assert_eq!(defaults.interval, ::std::time::Duration::from_secs(90));
    ::std::assert_eq!(
        defaults.interval_ms,
        ::core::option::Option::Some(::std::time::Duration::from_millis(250))
    );
    ::std::assert!(Relative::from_json_str(r#"{"unknown": 1}"#)
        .unwrap()
        .held
        .is_empty());
    ::std::assert!(Reexported::from_json_str(r#"{"path": "/tmp/x"}"#)
        .unwrap()
        .path
        .ends_with("x"));
    ::std::assert!(Helper::from_json_str("{}").unwrap().timeout.is_none());
    let _ = (Quiet::NAME, private::Renamed::NAME);
}
