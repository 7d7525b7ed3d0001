//! The service input harness with hand-written plugins: virtual time, V1 and V2, blocking
//! and non-blocking starts, and the failures it reports.
#![allow(clippy::unwrap_used)] // test helpers, not only `#[test]` functions, unwrap

use pipeplug::compat::*;
use pipeplug::config::{Decoder, DurationUnit, Encoder};
use pipeplug::models::MetricValue;
use pipeplug::prelude::*;
use pipeplug::registry::ConfigField;
use pipeplug::testing::{HarnessError, ServiceInputHarness};
use pipeplug::{ConfigError, PluginConfig};
use std::time::{SystemTime, UNIX_EPOCH};

/// The example plugin (`service_example_plugin`), by hand: every `interval`, a V1 log `host = 1.1.1.1`, or a V2 counter
/// `test_metric{hello="world"} 1`.
#[derive(Default)]
struct Example {
    interval: Duration,
    ctx: Context,
    worker: Worker,
}

impl Plugin for Example {
    fn description(&self) -> &str {
        "custom service input"
    }
}

impl PluginConfig for Example {
    const NAME: &'static str = "service_harness_example";
    const FIELDS: &'static [ConfigField] = &[ConfigField {
        key: "interval",
        type_name: "Duration",
        default: Some("\"5s\""),
        doc: "How often to emit.",
        unit: Some("ns"),
        required: false,
    }];

    fn from_config(config: &serde_json::Value) -> Result<Self, ConfigError> {
        let mut decoder = Decoder::new(Self::NAME, &["interval"], false, config)?;
        let interval = decoder.duration(0, DurationUnit::Nanos);
        decoder.finish()?;
        Ok(Self {
            interval: interval.unwrap_or(Duration::from_secs(5)),
            ..Self::default()
        })
    }

    fn to_config(&self) -> serde_json::Value {
        let mut encoder = Encoder::new();
        encoder.duration("interval", &self.interval);
        encoder.finish()
    }
}

impl ServiceInput for Example {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.worker.stop()
    }
}

impl ServiceInputV1 for Example {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        let (clock, interval) = (self.ctx.clock().clone(), self.interval);
        self.worker.spawn(&self.ctx, "example v1", move |stop| {
            let ticker = clock.ticker(interval);
            while ticker.tick(&stop) {
                let mut log = Log::new(0, [("host", "1.1.1.1")]);
                log.set_time(clock.now());
                collector.add_raw_log(log);
            }
        })?;
        Ok(())
    }
}

impl ServiceInputV2 for Example {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        let (clock, interval) = (self.ctx.clock().clone(), self.interval);
        self.worker.spawn(&self.ctx, "example v2", move |stop| {
            let ticker = clock.ticker(interval);
            while ticker.tick(&stop) {
                let metric = new_single_value_metric(
                    "test_metric",
                    MetricType::Counter,
                    new_tags_with_key_values(&["hello", "world"]),
                    clock.now_nanos(),
                    1.0,
                );
                ctx.collector()
                    .collect(GroupInfo::default(), vec![metric.into()]);
            }
        })?;
        Ok(())
    }
}

fn example() -> ServiceInputHarness<Example> {
    ServiceInputHarness::from_json(r#"{"interval": "5s"}"#).unwrap()
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn v1_emits_exactly_three_logs_in_fifteen_virtual_seconds() {
    let mut h = example();
    let t0 = h.mock().now();
    h.start_v1().unwrap();
    h.advance(Duration::from_secs(15));
    h.stop().unwrap();
    let logs = h.logs();
    assert_eq!(logs.len(), 3);
    for (i, log) in logs.iter().enumerate() {
        assert_eq!(log.get("host"), Some("1.1.1.1"));
        assert_eq!(u64::from(log.time), unix_secs(t0) + 5 * (i as u64 + 1));
    }
}

#[test]
fn v2_emits_exactly_three_metrics_in_fifteen_virtual_seconds() {
    let mut h = example();
    let t0 = h.context().clock().now_nanos();
    h.start_v2().unwrap();
    h.advance(Duration::from_secs(15));
    h.stop().unwrap();
    let metrics = h.output().metrics();
    assert_eq!(metrics.len(), 3);
    for (i, m) in metrics.iter().enumerate() {
        assert_eq!(m.name, "test_metric");
        assert_eq!(m.metric_type, MetricType::Counter);
        assert_eq!(m.tags.get("hello").map(|v| v.as_str()), Some("world"));
        assert_eq!(m.value, MetricValue::Single(1.0));
        assert_eq!(m.timestamp, t0 + 5_000_000_000 * (i as u64 + 1));
    }
    // The same emissions, as a V1 pipeline would get them.
    let logs = h.logs();
    assert_eq!(logs.len(), 3);
    assert_eq!(logs[0].get("__name__"), Some("test_metric"));
    assert_eq!(logs[0].get("__labels__"), Some("hello#$#world"));
}

#[test]
fn advancing_in_steps_counts_each_interval_once() {
    let mut h = example();
    h.start_v1().unwrap();
    h.advance(Duration::from_secs(4));
    assert_eq!(h.logs().len(), 0);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.logs().len(), 1);
    h.advance(Duration::from_millis(9_999));
    assert_eq!(h.logs().len(), 2);
    h.advance(Duration::from_millis(1));
    assert_eq!(h.logs().len(), 3);
    h.stop().unwrap();
}

#[test]
fn take_output_starts_the_record_afresh() {
    let mut h = example();
    h.start_v1().unwrap();
    h.advance(Duration::from_secs(10));
    assert_eq!(h.take_output().logs().len(), 2);
    h.advance(Duration::from_secs(5));
    assert_eq!(h.output().logs().len(), 1);
    h.stop().unwrap();
}

#[test]
fn config_from_yaml_and_defaults() {
    let h = ServiceInputHarness::<Example>::from_yaml("interval: 1m 30s").unwrap();
    assert_eq!(h.plugin().interval, Duration::from_secs(90));
    assert_eq!(h.name(), "service_harness_example");
    let h = ServiceInputHarness::<Example>::from_yaml("").unwrap();
    assert_eq!(h.plugin().interval, Duration::from_secs(5));
}

#[test]
fn bad_config_is_an_error_naming_the_plugin() {
    let err = ServiceInputHarness::<Example>::from_json(r#"{"intervall": "5s"}"#).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("service_harness_example"), "{text}");
    assert!(text.contains("intervall"), "{text}");
    let err = ServiceInputHarness::<Example>::from_json("{not json").unwrap_err();
    assert!(matches!(err, HarnessError::ConfigText { .. }), "{err}");
}

/// A V1 input whose `start` blocks until the pipeline stops, emitting every second.
#[derive(Default)]
struct Blocking {
    ctx: Context,
    stopped: bool,
}

impl Plugin for Blocking {
    fn description(&self) -> &str {
        "blocks in start"
    }
}
impl ServiceInput for Blocking {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.stopped = true;
        Ok(())
    }
}
impl ServiceInputV1 for Blocking {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        collector.add_data([("phase", "started")], [("n", "0")], None);
        let ticker = self.ctx.clock().ticker(Duration::from_secs(1));
        let mut n = 0;
        while ticker.tick(self.ctx.stopping()) {
            n += 1;
            collector.add_data([("phase", "running")], [("n", n.to_string())], None);
        }
        Ok(())
    }
}

#[test]
fn a_blocking_v1_start_runs_until_stop() {
    let mut h = ServiceInputHarness::new(Blocking::default());
    h.start_v1().unwrap();
    // What `start` emitted before it first waited is there once `start_v1` returns.
    assert_eq!(h.logs().len(), 1);
    assert!(
        h.try_plugin().is_none(),
        "the plugin is inside its blocking start"
    );
    h.advance(Duration::from_secs(3));
    assert_eq!(h.logs().len(), 4);
    h.stop().unwrap();
    assert!(h.plugin().stopped);
    assert_eq!(h.logs()[3].get("n"), Some("3"));
}

#[test]
fn a_v1_only_plugin_runs_in_v2_through_its_adapter() {
    let mut h = ServiceInputHarness::new(pipeplug::adapter::ServiceInputV1AsV2::new(
        Blocking::default(),
    ));
    h.start_v2().unwrap();
    h.advance(Duration::from_secs(2));
    h.stop().unwrap();
    let events = h.events();
    assert_eq!(events.len(), 3);
    assert!(matches!(events[2], PipelineEvent::Log(_)));
    assert_eq!(h.logs()[2].get("n"), Some("2"));
}

/// Emits through a plain `std::thread::sleep`-free loop on its stop signal: a plugin that
/// ignores the clock and waits only for stopping.
#[derive(Default)]
struct WaitsForStop {
    ctx: Context,
}
impl Plugin for WaitsForStop {
    fn description(&self) -> &str {
        "waits for stop"
    }
}
impl ServiceInput for WaitsForStop {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
}
impl ServiceInputV1 for WaitsForStop {
    fn start(&mut self, _: Collector) -> Result<(), BoxError> {
        self.ctx.stopping().wait();
        Ok(())
    }
}

#[test]
fn a_start_waiting_on_the_stop_signal_does_not_hold_the_clock() {
    let mut h = ServiceInputHarness::new(WaitsForStop::default());
    h.start_v1().unwrap();
    h.advance(Duration::from_secs(60));
    h.stop().unwrap();
}

/// Fails to start.
struct FailsToStart;
impl Plugin for FailsToStart {
    fn description(&self) -> &str {
        "fails"
    }
}
impl ServiceInput for FailsToStart {}
impl ServiceInputV1 for FailsToStart {
    fn start(&mut self, _: Collector) -> Result<(), BoxError> {
        Err("port 80 is taken".into())
    }
}

#[test]
fn an_error_from_start_is_reported_by_start() {
    let mut h = ServiceInputHarness::new(FailsToStart).named("service_fails");
    let err = h.start_v1().unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `service_fails`: start failed: port 80 is taken"
    );
    h.stop().unwrap();
}

/// Panics in start.
struct PanicsInStart;
impl Plugin for PanicsInStart {
    fn description(&self) -> &str {
        "panics"
    }
}
impl ServiceInput for PanicsInStart {}
impl ServiceInputV2 for PanicsInStart {
    fn start_service(&mut self, _: PipelineContext) -> Result<(), BoxError> {
        panic!("boom")
    }
}

#[test]
fn a_panic_in_start_is_reported_with_its_message() {
    let mut h = ServiceInputHarness::new(PanicsInStart);
    match h.start_v2().unwrap_err() {
        HarnessError::Panicked {
            plugin,
            method,
            message,
        } => {
            assert_eq!(plugin, "PanicsInStart");
            assert_eq!(method, "start_service");
            assert_eq!(message, "boom");
        }
        other => panic!("unexpected: {other}"),
    }
}

/// Forgets to stop its worker.
#[derive(Default)]
struct Leaks {
    ctx: Context,
    worker: Worker,
}
impl Plugin for Leaks {
    fn description(&self) -> &str {
        "leaks a thread"
    }
}
impl ServiceInput for Leaks {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
    // No `stop`: the worker keeps running.
}
impl ServiceInputV2 for Leaks {
    fn start_service(&mut self, _: PipelineContext) -> Result<(), BoxError> {
        self.worker.spawn(&self.ctx, "leaked", |stop| stop.wait())?;
        Ok(())
    }
}

#[test]
fn a_thread_left_after_stop_is_reported() {
    let mut h = ServiceInputHarness::new(Leaks::default()).named("service_leaks");
    h.start_v2().unwrap();
    match h.stop().unwrap_err() {
        HarnessError::ThreadsLeft { plugin, count } => {
            assert_eq!((plugin.as_str(), count), ("service_leaks", 1));
        }
        other => panic!("unexpected: {other}"),
    }
    // Dropping the plugin drops its worker, which stops the thread.
}

/// Ignores the stop signal in a blocking start.
struct NeverReturns {
    release: crossbeam_like::Gate,
}
impl Plugin for NeverReturns {
    fn description(&self) -> &str {
        "never returns"
    }
}
impl ServiceInput for NeverReturns {}
impl ServiceInputV1 for NeverReturns {
    fn start(&mut self, _: Collector) -> Result<(), BoxError> {
        pipeplug::Clock::detach_current_thread();
        self.release.wait();
        Ok(())
    }
}

/// A one-shot gate, so the test can let the stuck thread go at the end.
mod crossbeam_like {
    use std::sync::{Arc, Condvar, Mutex};
    #[derive(Clone, Default)]
    pub struct Gate(Arc<(Mutex<bool>, Condvar)>);
    impl Gate {
        pub fn wait(&self) {
            let mut open = self.0 .0.lock().unwrap();
            while !*open {
                open = self.0 .1.wait(open).unwrap();
            }
        }
        pub fn open(&self) {
            *self.0 .0.lock().unwrap() = true;
            self.0 .1.notify_all();
        }
    }
}

#[test]
fn a_start_that_ignores_stopping_is_reported_after_the_timeout() {
    let gate = crossbeam_like::Gate::default();
    let mut h = ServiceInputHarness::new(NeverReturns {
        release: gate.clone(),
    })
    .with_timeout(Duration::from_millis(20));
    h.start_v1().unwrap();
    let err = h.stop().unwrap_err();
    assert!(
        matches!(
            err,
            HarnessError::Timeout {
                method: "start",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("ctx.stopping()"), "{err}");
    gate.open();
}

#[test]
fn misuse_is_an_error_not_a_hang() {
    let mut h = example();
    h.start_v1().unwrap();
    assert!(matches!(h.start_v2(), Err(HarnessError::Misuse { .. })));
    h.stop().unwrap();
    assert!(matches!(h.stop(), Err(HarnessError::Misuse { .. })));
}

#[test]
fn from_the_registry_by_name() {
    pipeplug::registry::add_service_creator("service_harness_registered", "by hand", |c| {
        Example::from_config(c).map(pipeplug::registry::Both)
    });
    let mut h = ServiceInputHarness::from_registry_v2("service_harness_registered", "interval: 2s")
        .unwrap();
    h.start_v2().unwrap();
    h.advance(Duration::from_secs(6));
    h.stop().unwrap();
    assert_eq!(h.output().metrics().len(), 3);
    assert_eq!(h.name(), "service_harness_registered");

    let err = ServiceInputHarness::from_registry_v1("service_harness_registerd", "").unwrap_err();
    assert!(err.to_string().contains("did you mean"), "{err}");
}
