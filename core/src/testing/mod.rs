//! Test harnesses for plugin authors: a mock context, a typed harness per plugin kind, a
//! virtual clock, and helpers in the spirit of iLogtail's test kit.
//!
//! Test code, behind `pipeplug`'s feature `testing`: turn it on for tests only, so that
//! agents do not carry it:
//!
//! ```toml
//! [dev-dependencies]
//! pipeplug = { version = "0.1.0", features = ["testing"] }
//! ```
//!
//! # Testing a plugin
//!
//! Build a harness for the plugin (from a value, from a JSON or YAML config, or from the
//! registry by name), drive it, and read back what it emitted. Each harness gives the plugin
//! a [`MockContext`] (Go's `mock.NewEmptyContext`): a [`VirtualClock`](crate::VirtualClock),
//! in-memory checkpoints, and a record of what the plugin logged.
//!
//! ```
//! use pipeplug::prelude::*;
//! use pipeplug::testing::ServiceInputHarness;
//!
//! /// Emits `host = 1.1.1.1` every interval.
//! #[service_input(name = "service_testing_doc")]
//! pub struct Beat {
//!     /// How often to emit.
//!     #[config(default = "5s")]
//!     interval: Duration,
//!     /// The pipeline's context, kept by `init`.
//!     #[state]
//!     ctx: Context,
//!     /// The emitting thread.
//!     #[state]
//!     worker: Worker,
//! }
//!
//! impl ServiceInput for Beat {
//!     fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
//!         self.ctx = ctx.clone();
//!         Ok(Duration::ZERO)
//!     }
//!     fn stop(&mut self) -> Result<(), BoxError> {
//!         self.worker.stop()
//!     }
//! }
//!
//! impl ServiceInputV1 for Beat {
//!     fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
//!         // Wait through the context's clock, not `std::thread::sleep`: tests then run
//!         // on virtual time.
//!         let (clock, interval) = (self.ctx.clock().clone(), self.interval);
//!         self.worker.spawn(&self.ctx, "beat", move |stop| {
//!             let ticker = clock.ticker(interval);
//!             while ticker.tick(&stop) {
//!                 collector.add_raw_log(Log::new(clock.now_secs(), [("host", "1.1.1.1")]));
//!             }
//!         })?;
//!         Ok(())
//!     }
//! }
//!
//! // In a `#[test]`:
//! let mut h = ServiceInputHarness::<Beat>::from_yaml("interval: 5s").unwrap();
//! h.start_v1().unwrap();
//! h.advance(Duration::from_secs(15));    // exactly three ticks, in milliseconds
//! h.stop().unwrap();                     // stopped within 2 s, no thread left behind
//! assert_eq!(h.logs().len(), 3);         // V1 view of what was emitted
//! assert_eq!(h.logs()[0].get("host"), Some("1.1.1.1"));
//! assert_eq!(h.plugin().interval, Duration::from_secs(5));
//!
//! // `Beat` implements V1 only; the registry's V2 factory runs it through the glue the
//! // attribute generated, as a V2 pipeline would.
//! let mut h = ServiceInputHarness::from_registry_v2("service_testing_doc", "interval: 5s").unwrap();
//! h.start_v2().unwrap();
//! h.advance(Duration::from_secs(15));
//! h.stop().unwrap();
//! assert_eq!(h.events().len(), 3);       // V2 view of what was emitted
//! ```
//!
//! A typed harness calls the interfaces the plugin implements itself: `start_v2` on a
//! V1-only plugin needs its adapter, `ServiceInputHarness::new(ServiceInputV1AsV2::new(plugin))`
//! (see [`adapter`](crate::adapter)), or the registry's V2 factory as above.
//!
//! | plugin kind | harness | drive it with |
//! |---|---|---|
//! | service input | [`ServiceInputHarness`] | `start_v1` / `start_v2`, `advance`, `stop`; read `output` |
//! | metric input | [`MetricInputHarness`] | `collect_v1(n)` / `read_v2(n)` |
//! | processor | [`ProcessorHarness`] | `process_v1(logs)`, `process_v2(group)`, `process_events(events)` |
//! | aggregator | [`AggregatorHarness`] | `add_v1`, `flush_v1`, `queued`; `record_v2`, `get_result_v2`; `reset` |
//! | flusher | [`FlusherHarness`] | `flush_v1` / `export_v2`, `is_ready`, `set_urgent`, `stop`; read `deliveries` or the sink ([`SharedBuffer`]) |
//! | extension | [`ExtensionHarness`] | `init`, `register` (so other harnesses sharing its mock find it), `stop` |
//!
//! Every harness works without the attribute macros: `new(plugin)` takes any value
//! implementing the kind's traits; `from_json` / `from_yaml` / `from_config` need
//! [`PluginConfig`](crate::PluginConfig) (the macros implement it); `from_registry_v1` /
//! `from_registry_v2` build through the registry's factories. Methods return
//! [`HarnessError`], which names the plugin and the method that failed.
//!
//! # Time
//!
//! Plugins read the time with `ctx.clock().now()` and wait with `ctx.clock().ticker(..)` or
//! [`Clock::sleep`](crate::Clock::sleep) (in the agent: the system clock). Under a harness,
//! time moves only on `advance`, which fires every tick in order and returns once the plugin
//! has done what it does on each: a 5 s interval is tested in milliseconds, and advancing
//! by three intervals fires exactly three ticks. Threads started through a
//! [`Worker`](crate::Worker) are waited for until they first wait, so a ticker made inside
//! the thread misses nothing (see [`VirtualClock`](crate::VirtualClock) for the details and
//! the one-second grace for threads blocked elsewhere).
//!
//! # Conformance
//!
//! Every plugin written with an attribute gets, under `cargo test`, a test that runs
//! [`conformance::run`] on it (see that module for the rules, including the V2
//! pass-through rule for processors). Hand-registered plugins call it themselves.
//!
//! # Helpers
//!
//! As in iLogtail's test kit: [`create_log`] / [`create_logs`], [`pick_logs`],
//! [`read_log_val`], and for V2 events [`create_log_event`] / [`create_log_events`],
//! [`create_group`], [`pick_events`], [`read_event_val`].
//!
//! # No test attribute
//!
//! There is no `#[pipeplug::test]`: `#[tokio::test]` exists because a test needs a runtime
//! built around it, and a harness needs nothing around it (one constructor call sets up the
//! mock context and the clock, and dropping the harness stops a started plugin). An
//! attribute would save no line and hide what a test does.

mod aggregator;
mod base;
mod boxed;
mod buffer;
mod capture;
pub mod conformance;
mod error;
mod extension;
mod flusher;
mod kit;
mod metric_input;
mod mock;
mod processor;
mod service_input;

pub use aggregator::AggregatorHarness;
pub use base::DEFAULT_TIMEOUT;
pub use buffer::SharedBuffer;
pub use capture::{Capture, Emission, Emitted};
pub use error::HarnessError;
pub use extension::ExtensionHarness;
pub use flusher::{Delivery, FlusherHarness};
pub use kit::{
    create_group, create_log, create_log_event, create_log_events, create_logs, pick_events,
    pick_logs, read_event_val, read_log_val,
};
pub use metric_input::MetricInputHarness;
pub use mock::{mock_context, MockContext, MockContextBuilder};
pub use processor::ProcessorHarness;
pub use service_input::ServiceInputHarness;
