//! Attribute macros of pipeplug: `#[service_input]` and one per plugin kind.
//!
//! Use them through the `pipeplug` crate, which re-exports them (`pipeplug::service_input`,
//! or `use pipeplug::prelude::*;`). Their expansion names items of `pipeplug::__private`,
//! which is not public API; `pipeplug` therefore pins this crate exactly.
//!
//! The crate is a pipeline in named phases: `attr` and `ast` parse the attribute and the
//! struct into a typed model, `valid` checks the rules, `expand` builds the tokens, and
//! `fallback` is the output when there are errors. Every error of an item is gathered in a
//! `Ctxt` and reported in one compile.

#![warn(clippy::pedantic)]
// A two-arm `match` on an `Option` reads as well as `if let ... else` here.
#![allow(clippy::single_match_else)]

mod ast;
mod attr;
mod case;
mod ctxt;
mod duration;
mod expand;
mod fallback;
mod kind;
mod symbol;
mod valid;

use kind::Kind;
use proc_macro::TokenStream;

/// Makes a struct a **service input**: a plugin that pushes data on its own
/// (iLogtail's `pipeline.ServiceInput`), started once and stopped once.
///
/// The struct implements [`ServiceInputV1`], [`ServiceInputV2`] or both, plus the base
/// trait [`ServiceInput`]; the attribute does the rest: the description, config decoding,
/// registration before `main`, the V1/V2 glue and conformance tests.
///
/// ```
/// use pipeplug::prelude::*;
///
/// /// Emits a counter on its own thread.
/// #[service_input(name = "service_doc_counter")]
/// pub struct Counter {
///     /// How often to emit.
///     #[config(default = "5s")]
///     interval: Duration,
///     /// The pipeline's context, kept by `init`.
///     #[state]
///     ctx: Context,
///     /// The emitting thread.
///     #[state]
///     worker: Worker,
/// }
///
/// impl ServiceInput for Counter {
///     fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
///         self.ctx = ctx.clone();
///         Ok(Duration::ZERO)
///     }
///     fn stop(&mut self) -> Result<(), BoxError> {
///         self.worker.stop()
///     }
/// }
///
/// impl ServiceInputV1 for Counter {
///     fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
///         let interval = self.interval;
///         self.worker.spawn(&self.ctx, "counter", move |stop: StopSignal| {
///             let mut n = 0u64;
///             while !stop.wait_timeout(interval) {
///                 n += 1;
///                 collector.add_data([("source", "doc")], [("n", n.to_string())], None);
///             }
///         })?;
///         Ok(())
///     }
/// }
/// // No `ServiceInputV2`: V2 pipelines run the plugin through `adapter::ServiceInputV1AsV2`.
///
/// let registry = pipeplug::registry::global().unwrap();
/// let plugin = registry.get(pipeplug::registry::PluginKind::ServiceInput, "service_doc_counter").unwrap();
/// assert_eq!(plugin.description, "Emits a counter on its own thread.");
/// assert_eq!((plugin.native.v1, plugin.native.v2), (true, false));
/// ```
///
/// # Equivalent code without the macro
///
/// The attribute above generates, in substance, what follows (the real expansion names
/// everything through `::pipeplug::__private` and registers with a constructor that runs
/// before `main` instead of an explicit call):
///
/// ```
/// use pipeplug::config::{Decoder, DurationUnit, Encoder};
/// use pipeplug::prelude::*;
/// use pipeplug::registry::{self, ConfigField, Factories, Native, PluginDescriptor, SourceLocation};
/// use pipeplug::{ConfigError, PluginConfig};
///
/// pub struct Counter {
///     interval: Duration,
///     ctx: Context,
///     worker: Worker,
/// }
/// # impl ServiceInput for Counter {}
/// # impl ServiceInputV1 for Counter {
/// #     fn start(&mut self, _: Collector) -> Result<(), BoxError> { Ok(()) }
/// # }
///
/// impl Plugin for Counter {
///     fn description(&self) -> &str {
///         "Emits a counter on its own thread."
///     }
/// }
///
/// impl PluginConfig for Counter {
///     const NAME: &'static str = "service_doc_counter_by_hand";
///     const FIELDS: &'static [ConfigField] = &[ConfigField {
///         key: "interval",
///         type_name: "Duration",
///         default: Some("\"5s\""),
///         doc: "How often to emit.",
///         unit: Some("ns"),
///         required: false,
///     }];
///
///     fn from_config(config: &serde_json::Value) -> Result<Self, ConfigError> {
///         let mut decoder = Decoder::new(Self::NAME, &["interval"], false, config)?;
///         let interval = decoder.duration(0, DurationUnit::Nanos);
///         decoder.finish()?;
///         Ok(Self {
///             interval: interval.unwrap_or(Duration::new(5, 0)), // "5s", parsed at compile time
///             ctx: Context::default(),                           // #[state]
///             worker: Worker::default(),                         // #[state]
///         })
///     }
///
///     fn to_config(&self) -> serde_json::Value {
///         let mut encoder = Encoder::new();
///         encoder.duration("interval", &self.interval);
///         encoder.finish()
///     }
/// }
///
/// // The V1/V2 glue: `Counter` implements V1 only, so V2 is adapted.
/// fn v1(config: &serde_json::Value) -> Result<Box<dyn ServiceInputV1>, ConfigError> {
///     Ok(Box::new(Counter::from_config(config)?))
/// }
/// fn v2(config: &serde_json::Value) -> Result<Box<dyn ServiceInputV2>, ConfigError> {
///     Ok(Box::new(pipeplug::adapter::ServiceInputV1AsV2::new(Counter::from_config(config)?)))
/// }
///
/// registry::register(PluginDescriptor {
///     name: Counter::NAME,
///     description: "Emits a counter on its own thread.",
///     config_fields: Counter::FIELDS,
///     source: SourceLocation { crate_name: env!("CARGO_PKG_NAME"), file: file!(), line: line!() },
///     native: Native { v1: true, v2: false },
///     factories: Factories::ServiceInput { v1: &v1, v2: &v2 },
///     defaults: || Counter::from_config(&serde_json::Value::Null).map(|c| c.to_config()),
///     example: None,
/// });
/// // ...plus, under `cfg(test)`, a conformance test calling
/// // `pipeplug::testing::conformance::run(PluginKind::ServiceInput, "service_doc_counter")`.
/// ```
///
/// [`ServiceInput`]: ../pipeplug/plugin/trait.ServiceInput.html
/// [`ServiceInputV1`]: ../pipeplug/plugin/trait.ServiceInputV1.html
/// [`ServiceInputV2`]: ../pipeplug/plugin/trait.ServiceInputV2.html
#[doc = include_str!("../docs/reference.md")]
#[proc_macro_attribute]
pub fn service_input(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::plugin(Kind::ServiceInput, args.into(), &item.into()).into()
}

/// Makes a struct a **metric input**: a plugin the pipeline polls on an interval
/// (iLogtail's `pipeline.MetricInput`). Names start with `metric_`.
///
/// The struct implements [`MetricInput`] and [`MetricInputV1`] (`collect`),
/// [`MetricInputV2`] (`read`) or both; the missing one is adapted.
///
/// ```
/// use pipeplug::prelude::*;
///
/// /// Emits one log per interval.
/// #[metric_input(name = "metric_doc_tick")]
/// pub struct Tick {
///     /// The content of every log.
///     #[config(default = "tick")]
///     content: String,
/// }
///
/// impl MetricInput for Tick {}
/// impl MetricInputV1 for Tick {
///     fn collect(&mut self, collector: &Collector) -> Result<(), BoxError> {
///         collector.add_data([("source", "doc")], [("content", self.content.as_str())], None);
///         Ok(())
///     }
/// }
/// ```
///
/// Without the macro, the code is that of [`service_input`](macro@service_input), with
/// `MetricInput` in place of `ServiceInput` (`Factories::MetricInput`,
/// `adapter::MetricInputV1AsV2`, `adapter::MetricInputV2AsV1`).
///
/// [`MetricInput`]: ../pipeplug/plugin/trait.MetricInput.html
/// [`MetricInputV1`]: ../pipeplug/plugin/trait.MetricInputV1.html
/// [`MetricInputV2`]: ../pipeplug/plugin/trait.MetricInputV2.html
#[doc = include_str!("../docs/reference.md")]
#[proc_macro_attribute]
pub fn metric_input(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::plugin(Kind::MetricInput, args.into(), &item.into()).into()
}

/// Makes a struct a **processor**: a step that changes, drops or adds events between the
/// inputs and the aggregators (iLogtail's `pipeline.Processor`). Names start with
/// `processor_`.
///
/// The struct implements [`Processor`] and [`ProcessorV1`] (`process_logs`),
/// [`ProcessorV2`] (`process`) or both; the missing one is adapted.
///
/// ```
/// use pipeplug::prelude::*;
///
/// /// Adds a fixed field to every log.
/// #[processor(name = "processor_doc_add", rename_all = "PascalCase")]
/// pub struct Add {
///     /// The key to add (config key `Key`).
///     key: String,
///     /// Its value (config key `Value`).
///     value: String,
/// }
///
/// impl Processor for Add {}
/// impl ProcessorV1 for Add {
///     fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
///         for log in &mut logs {
///             log.push(self.key.clone(), self.value.clone());
///         }
///         logs
///     }
/// }
///
/// let add = <Add as pipeplug::PluginConfig>::from_json_str(r#"{"Key": "a", "value": "b"}"#).unwrap();
/// assert_eq!((add.key.as_str(), add.value.as_str()), ("a", "b"));
/// ```
///
/// Without the macro, the code is that of [`service_input`](macro@service_input), with
/// `Processor` in place of `ServiceInput` (`Factories::Processor`,
/// `adapter::ProcessorV1AsV2`, `adapter::ProcessorV2AsV1`).
///
/// [`Processor`]: ../pipeplug/plugin/trait.Processor.html
/// [`ProcessorV1`]: ../pipeplug/plugin/trait.ProcessorV1.html
/// [`ProcessorV2`]: ../pipeplug/plugin/trait.ProcessorV2.html
#[doc = include_str!("../docs/reference.md")]
#[proc_macro_attribute]
pub fn processor(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::plugin(Kind::Processor, args.into(), &item.into()).into()
}

/// Makes a struct an **aggregator**: it batches processed events into groups for the
/// flushers (iLogtail's `pipeline.Aggregator`). Names start with `aggregator_`.
///
/// The struct implements [`Aggregator`] and [`AggregatorV1`] (`add`/`flush`),
/// [`AggregatorV2`] (`record`/`get_result`) or both; the missing one is adapted.
///
/// ```
/// use pipeplug::prelude::*;
///
/// /// Puts every log into one group.
/// #[aggregator(name = "aggregator_doc_one")]
/// pub struct One {
///     /// The logs held until the next flush.
///     #[state]
///     logs: Vec<Log>,
/// }
///
/// impl Aggregator for One {}
/// impl AggregatorV1 for One {
///     fn add(&mut self, log: Log, _: Option<&LogContext>) -> Result<(), BoxError> {
///         self.logs.push(log);
///         Ok(())
///     }
///     fn flush(&mut self) -> Vec<LogGroup> {
///         if self.logs.is_empty() {
///             return Vec::new();
///         }
///         vec![LogGroup { logs: std::mem::take(&mut self.logs), ..LogGroup::default() }]
///     }
/// }
/// ```
///
/// Without the macro, the code is that of [`service_input`](macro@service_input), with
/// `Aggregator` in place of `ServiceInput` (`Factories::Aggregator`,
/// `adapter::AggregatorV1AsV2`, `adapter::AggregatorV2AsV1`).
///
/// [`Aggregator`]: ../pipeplug/plugin/trait.Aggregator.html
/// [`AggregatorV1`]: ../pipeplug/plugin/trait.AggregatorV1.html
/// [`AggregatorV2`]: ../pipeplug/plugin/trait.AggregatorV2.html
#[doc = include_str!("../docs/reference.md")]
#[proc_macro_attribute]
pub fn aggregator(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::plugin(Kind::Aggregator, args.into(), &item.into()).into()
}

/// Makes a struct a **flusher**: it sends groups out of the agent (iLogtail's
/// `pipeline.Flusher`). Names start with `flusher_`.
///
/// The struct implements [`Flusher`] and [`FlusherV1`] (`flush`), [`FlusherV2`]
/// (`export`) or both; the missing one is adapted.
///
/// ```
/// use pipeplug::prelude::*;
///
/// /// Counts what it is given.
/// #[flusher(name = "flusher_doc_count")]
/// pub struct Count {
///     /// Events seen so far.
///     #[state]
///     seen: usize,
/// }
///
/// impl Flusher for Count {}
/// impl FlusherV2 for Count {
///     fn export(&mut self, groups: &[PipelineGroupEvents], _: &PipelineContext) -> Result<(), BoxError> {
///         self.seen += groups.iter().map(|g| g.events.len()).sum::<usize>();
///         Ok(())
///     }
/// }
/// ```
///
/// Without the macro, the code is that of [`service_input`](macro@service_input), with
/// `Flusher` in place of `ServiceInput` (`Factories::Flusher`, `adapter::FlusherV1AsV2`,
/// `adapter::FlusherV2AsV1`).
///
/// [`Flusher`]: ../pipeplug/plugin/trait.Flusher.html
/// [`FlusherV1`]: ../pipeplug/plugin/trait.FlusherV1.html
/// [`FlusherV2`]: ../pipeplug/plugin/trait.FlusherV2.html
#[doc = include_str!("../docs/reference.md")]
#[proc_macro_attribute]
pub fn flusher(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::plugin(Kind::Flusher, args.into(), &item.into()).into()
}

/// Makes a struct an **extension**: a shared helper that other plugins of the pipeline
/// look up by name (iLogtail's `pipeline.Extension`). Names start with `ext_`.
///
/// The struct implements [`Extension`]; there is no V1/V2 split, so there is one factory
/// (`Factories::Extension { new }`) and not implementing `Extension` is a plain
/// "trait bound not satisfied" error at the struct.
///
/// ```
/// use pipeplug::prelude::*;
///
/// /// Checks a user name and password.
/// #[extension(name = "ext_doc_basic_auth", rename_all = "PascalCase")]
/// pub struct BasicAuth {
///     /// The user name.
///     username: String,
///     /// The password.
///     password: String,
/// }
///
/// impl Extension for BasicAuth {}
///
/// impl BasicAuth {
///     /// Whether `user:password` is accepted.
///     pub fn accepts(&self, user: &str, password: &str) -> bool {
///         self.username == user && self.password == password
///     }
/// }
/// ```
///
/// Without the macro, the code is that of [`service_input`](macro@service_input), with one
/// factory: `Factories::Extension { new: &|c| Ok(Box::new(BasicAuth::from_config(c)?)) }`.
///
/// [`Extension`]: ../pipeplug/plugin/trait.Extension.html
#[doc = include_str!("../docs/reference.md")]
#[proc_macro_attribute]
pub fn extension(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::plugin(Kind::Extension, args.into(), &item.into()).into()
}
