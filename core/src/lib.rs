//! # pipeplug
//!
//! Write plugins for an [iLogtail]-style observability pipeline in Rust, keep them in a crate
//! of your own, and build them into an agent without forking it.
//!
//! A pipeline moves data through four stages, and a plugin is one step of one stage:
//!
//! | kind | attribute | what it does | traits |
//! |---|---|---|---|
//! | metric input | [`#[metric_input]`](metric_input) | polled every interval | [`MetricInputV1`](plugin::MetricInputV1) / [`V2`](plugin::MetricInputV2) |
//! | service input | [`#[service_input]`](service_input) | started once, pushes data | [`ServiceInputV1`](plugin::ServiceInputV1) / [`V2`](plugin::ServiceInputV2) |
//! | processor | [`#[processor]`](processor) | changes events, in series | [`ProcessorV1`](plugin::ProcessorV1) / [`V2`](plugin::ProcessorV2) |
//! | aggregator | [`#[aggregator]`](aggregator) | batches events into groups | [`AggregatorV1`](plugin::AggregatorV1) / [`V2`](plugin::AggregatorV2) |
//! | flusher | [`#[flusher]`](flusher) | sends groups out | [`FlusherV1`](plugin::FlusherV1) / [`V2`](plugin::FlusherV2) |
//! | extension | [`#[extension]`](extension) | a shared helper others look up | [`Extension`](plugin::Extension) |
//!
//! Every kind has two interfaces, as in iLogtail. **V1** passes [`protocol`] logs: a time
//! and an ordered list of text key/values ([`protocol::Log`]), grouped in
//! [`protocol::LogGroup`]s. **V2** passes [`models`] events: logs, metrics, spans and byte
//! arrays ([`models::PipelineEvent`]) in [`models::PipelineGroupEvents`]. A pipeline config
//! chooses one (`global.StructureType: v1 | v2`). Implement either or both: the attribute
//! adapts the missing one with [`convert`], so every plugin runs in both kinds of pipeline.
//!
//! # 1. Write a plugin
//!
//! A plugin crate depends on `pipeplug` alone. A struct, one attribute, the kind's traits:
//!
//! ```
//! use pipeplug::prelude::*;
//!
//! /// Adds `host = <Host>` to every log.
//! #[processor(name = "processor_add_host", rename_all = "PascalCase")]
//! pub struct AddHost {
//!     /// The value of the `host` field.
//!     #[config(default = "localhost")]
//!     host: String,
//! }
//!
//! impl Processor for AddHost {}
//!
//! impl ProcessorV1 for AddHost {
//!     fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
//!         for log in &mut logs {
//!             log.push("host", self.host.clone());
//!         }
//!         logs
//!     }
//! }
//! ```
//!
//! From that, the attribute derives:
//!
//! - **registration before `main`**, as Go's `init()` does: a constructor links a static
//!   descriptor into the [`registry`] (name, kind, description from the doc comment, config
//!   keys with their types, defaults and docs, source location, V1 and V2 factories);
//! - **config decoding** ([`PluginConfig`]) from any serde format, laid over the defaults as
//!   Go's creator-then-unmarshal does: `{"Host": "web-1"}` sets `host`; keys match exactly,
//!   then case-insensitively; an unknown key is an error naming the accepted keys and the
//!   closest one; durations take `"5s"`, `"1m 30s"` or integers in the field's unit;
//! - **the V1/V2 glue**: `AddHost` implements only V1, so V2 pipelines run it through
//!   [`adapter::ProcessorV1AsV2`], which passes metrics and spans by unchanged;
//! - **conformance tests** under `cargo test`, with no code from you (they need the feature
//!   `testing` on for tests, see below);
//! - **compile-time checks**: the name has the kind's prefix (`processor_`), the struct has a
//!   doc comment, defaults parse, at least one of V1 and V2 is implemented.
//!
//! Decoding, and its errors:
//!
//! ```
//! # use pipeplug::prelude::*;
//! # /// Adds `host = <Host>` to every log.
//! # #[processor(name = "processor_add_host_2", rename_all = "PascalCase")]
//! # pub struct AddHost {
//! #     /// The value of the `host` field.
//! #     #[config(default = "localhost")]
//! #     host: String,
//! # }
//! # impl Processor for AddHost {}
//! # impl ProcessorV1 for AddHost {
//! #     fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> { logs }
//! # }
//! let p = AddHost::from_yaml_str("host: web-1").unwrap();   // `Host` or `host`
//! assert_eq!(p.to_config()["Host"], "web-1");
//! let err = AddHost::from_yaml_str("Hots: web-1").err().unwrap();
//! assert!(err.to_string().contains("did you mean `Host`?"));
//! ```
//!
//! A key your plugin cannot do without (iLogtail's `SourceKey`) is `#[config(required)]`: a
//! config without it does not decode (``key `SourceKey` is required``, which `pipeplug check`
//! reports). Such a plugin cannot be built from an empty config, so give it an **example
//! config** in its attribute: the generated conformance tests build it from the example,
//! and `pipeplug doc` shows it to users.
//!
//! ```
//! use pipeplug::prelude::*;
//!
//! /// Upper-cases one key's value.
//! #[processor(name = "processor_upper", rename_all = "PascalCase", example = "SourceKey: level")]
//! pub struct Upper {
//!     /// The key whose value is upper-cased.
//!     #[config(required)]
//!     source_key: String,
//! }
//! # impl Processor for Upper {}
//! # impl ProcessorV1 for Upper {
//! #     fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> { logs }
//! # }
//! let err = Upper::from_yaml_str("").err().unwrap();
//! assert_eq!(err.to_string(), "plugin `processor_upper`: key `SourceKey` is required");
//! assert_eq!(Upper::from_yaml_str("SourceKey: level").unwrap().source_key, "level");
//! ```
//!
//! A few keys of a plugin's entry belong to the engine, not to the plugin: a metric input's
//! `IntervalMs` (its interval when `init` returns zero). Every plugin of the kind accepts
//! them without declaring a field; [`config::engine`] lists them.
//!
//! Inputs emit through a V1 [`Collector`] or a V2 [`PipelineContext`]; every plugin gets a
//! [`Context`] in `init` (identity, checkpoints, extensions, self-metrics, a logger, the
//! clock). Inputs that wait use the context's [`Clock`] (a [`Ticker`]) and run their loop
//! on a [`Worker`], so that `stop` wakes them at once and tests can run on virtual time. The
//! crate `example_plugin` in the repository (iLogtail's `service_example_plugin`, in Rust)
//! is the model to copy.
//!
//! # 2. Test it
//!
//! [`testing`] has a typed harness per kind over a mock context and a virtual clock. It is
//! test code, behind the feature `testing`: turn it on for your tests only, in
//! `Cargo.toml`,
//!
//! ```toml
//! [dev-dependencies]
//! pipeplug = { version = "0.1.0", features = ["testing"] }
//! ```
//!
//! (with the same `version` or `path` as under `[dependencies]`), so that the agents your
//! plugins are built into do not carry the harnesses. Then:
//!
//! ```
//! # use pipeplug::prelude::*;
//! # /// Adds `host = <Host>` to every log.
//! # #[processor(name = "processor_add_host_3", rename_all = "PascalCase")]
//! # pub struct AddHost {
//! #     /// The value of the `host` field.
//! #     #[config(default = "localhost")]
//! #     host: String,
//! # }
//! # impl Processor for AddHost {}
//! # impl ProcessorV1 for AddHost {
//! #     fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
//! #         for log in &mut logs { log.push("host", self.host.clone()); }
//! #         logs
//! #     }
//! # }
//! use pipeplug::testing::{create_logs, ProcessorHarness};
//!
//! let mut h = ProcessorHarness::<AddHost>::from_yaml("Host: web-1").unwrap();
//! let out = h.process_v1(create_logs([[("msg", "hello")]])).unwrap();
//! assert_eq!(out[0].get("host"), Some("web-1"));
//! ```
//!
//! # 3. Bring a collection into a binary
//!
//! A crate of plugins has an `all` module listing them (Go's `all.go`); a binary names it
//! once with [`link!`], which links the crate and so runs its registrations:
//!
//! ```
//! # mod my_plugins { pub mod all { pub const PLUGINS: &[&str] = &["processor_add_host"]; } }
//! pipeplug::link!(my_plugins::all);
//! # fn main() {}
//! ```
//!
//! # 4. Run it
//!
//! The `pipeplug` binary (crate `pipeplug-agent`) runs iLogtail-format pipeline configs,
//! checks them, lists and documents its plugins, and `pipeplug build` makes an agent with
//! your crates from an `external_plugins.yml`. See `docs/external-plugins.md` in the
//! repository for the whole walk from `cargo new` to a built agent.
//!
//! # Event text
//!
//! Keys, values, tags and names of events are [`models::Str`], a `String`-like type that
//! keeps text of up to 24 bytes inline: an event of short fields costs no allocation per
//! field. Write as with `String`: `log.push("k", v)` takes `&str`, `String` or `Str`;
//! `log.get("k")` and contents read as `&str`; `format!(..).into()` gives a `Str`.
//! Flushers borrow the groups they send (`&[LogGroup]`), so the engine can retry a failed
//! call with the same groups without copying them.
//!
//! # Without the macros
//!
//! Every piece works by hand: implement [`plugin::Plugin`] and the traits, and register with
//! [`registry::add_service_creator`] and its siblings (Go's `AddServiceCreator`) or
//! [`registry::register`].
//!
//! # Limits
//!
//! - `#![forbid(unsafe_code)]` in a plugin crate rejects the registration constructor (it
//!   needs `unsafe`, as `ctor` requires); `#![deny(unsafe_code)]` works.
//! - Plugin structs cannot be generic: a registered factory builds one concrete type.
//! - A Rust `staticlib` linked by a C linker loses the constructors unless it is linked
//!   whole-archive; Rust binaries, in every profile, do not.
//!
//! [iLogtail]: https://github.com/alibaba/ilogtail
#![warn(missing_docs)]
// No function longer than `too-many-lines-threshold` (clippy.toml) outside tests.
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

pub mod adapter;
pub mod aggregate;
pub mod capability;
mod checkpoint;
mod clock;
mod collector;
pub mod compat;
pub mod config;
mod context;
pub mod convert;
pub mod delivery;
mod error;
mod extensions;
pub mod fs;
mod global;
pub mod helpers;
mod host;
mod kind;
mod link;
pub mod metric_names;
pub mod models;
mod pipeline_collector;
pub mod plugin;
pub mod prelude;
pub mod protocol;
mod queue;
pub mod registry;
pub mod runner;
mod self_metrics;
mod stop;
pub mod suggest;
// The harnesses are test code: an agent does not carry them. Plugin crates turn them on for
// their tests with `pipeplug = { ..., features = ["testing"] }` under `[dev-dependencies]`;
// `cargo doc` shows them either way.
#[cfg(any(feature = "testing", doc))]
pub mod testing;
mod worker;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use checkpoint::{CheckpointStore, MemoryCheckpoints};
pub use clock::{Clock, ThreadHold, ThreadHoldGuard, Ticker, VirtualClock};
pub use collector::{Collector, LogContext, LogSink, LogWithContext};
pub use config::PluginConfig;
pub use context::{AlarmLevel, Context, ContextBuilder, Level, LogRecord, Logger, PluginMeta};
pub use delivery::PermanentError;
pub use error::{
    error_chain, BoxError, CheckpointError, ConfigError, ConfigProblem, ConfigProblemKind,
    ExtensionError, LookupError, QueueError, RegistryError, TypeStringError,
};
pub use extensions::{ExtensionFactory, ExtensionHandle};
pub use global::{DecodedGlobal, GlobalConfig, StructureType};
pub use host::HostIdentity;
pub use pipeline_collector::{GroupSink, PipelineCollector, PipelineContext};
pub use queue::{GroupQueue, LogGroupQueue};
pub use self_metrics::{AverageMetric, Counter, Gauge, Latency, SelfMetric, SelfMetricValue};
pub use stop::StopSignal;
pub use worker::Worker;

pub use pipeplug_macros::{aggregator, extension, flusher, metric_input, processor, service_input};
