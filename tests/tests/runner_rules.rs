//! The engine and the test harness time a metric input by the same rules
//! (`pipeplug::runner`): a plugin whose `init` leaves the interval to the runner gets the
//! same interval from `MetricInputHarness` as from a running pipeline, clamps included.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug::prelude::*;
use pipeplug::registry;
use pipeplug::runner::{MAX_INTERVAL, MIN_INTERVAL};
use pipeplug::testing::MetricInputHarness;
use pipeplug_agent::engine::{Engine, EngineOptions, Pipeline};
use pipeplug_agent::pipeline_config::{self, Format};
use pipeplug_tests::testkit;
use std::sync::Arc;

/// Counts its rounds; its `init` returns `DEFAULT_INTERVAL`, so the runner decides (from
/// `IntervalMs`, the engine key every metric input accepts without declaring it; the plugin
/// is strict about any other key).
#[metric_input(name = "metric_runner_rules")]
pub struct Rounds {
    /// Rounds so far.
    #[state]
    n: u64,
}

impl MetricInput for Rounds {}

impl MetricInputV1 for Rounds {
    fn collect(&mut self, _: &Collector) -> Result<(), BoxError> {
        self.n += 1;
        Ok(())
    }
}

/// The interval the harness gives `Rounds` built from `params` (a YAML map).
fn harness_interval(params: &str) -> Duration {
    let mut h = MetricInputHarness::<Rounds>::from_yaml(params).unwrap();
    h.init().unwrap()
}

/// The interval a running pipeline gives `Rounds` with `params` (YAML `key: value` lines).
fn engine_interval(name: &str, params: &str) -> Duration {
    testkit::register();
    let registry = registry::global().unwrap();
    let params: String = params.lines().map(|l| format!("    {l}\n")).collect();
    let text = format!(
        "inputs:\n  - Type: metric_runner_rules\n{params}flushers:\n  - Type: flusher_count\n    Name: {name}\n"
    );
    let cfg = pipeline_config::load_str(
        &text,
        Format::Yaml,
        &format!("{name}.yaml"),
        name,
        &registry,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let pipeline = Pipeline::build(cfg, &registry).unwrap_or_else(|e| panic!("{e}"));
    let mut engine = Engine::with_checkpoints(
        Arc::new(pipeplug::MemoryCheckpoints::new()),
        EngineOptions::default(),
    );
    engine.start(pipeline).unwrap();
    let intervals = engine.pipelines()[0].input_intervals().to_vec();
    engine.stop();
    assert_eq!(intervals.len(), 1, "{intervals:?}");
    assert_eq!(intervals[0].0, "metric_runner_rules/1");
    intervals[0].1
}

#[test]
fn interval_ms_zero_is_raised_to_one_millisecond_by_both() {
    let harness = harness_interval("IntervalMs: 0");
    assert_eq!(harness, MIN_INTERVAL);
    assert_eq!(engine_interval("rules_zero", "IntervalMs: 0"), harness);
}

#[test]
fn a_huge_interval_ms_is_lowered_to_a_year_by_both() {
    let harness = harness_interval("IntervalMs: 99999999999999");
    assert_eq!(harness, MAX_INTERVAL);
    assert_eq!(
        engine_interval("rules_huge", "IntervalMs: 99999999999999"),
        harness
    );
}

#[test]
fn interval_ms_in_another_case_and_the_global_default_agree() {
    let harness = harness_interval("intervalms: 250");
    assert_eq!(harness, Duration::from_millis(250));
    assert_eq!(engine_interval("rules_case", "intervalms: 250"), harness);
    // Without `IntervalMs`: `global.InputIntervalMs` (1 s by default).
    let harness = harness_interval("");
    assert_eq!(harness, Duration::from_secs(1));
    assert_eq!(engine_interval("rules_global", ""), harness);
}

/// `IntervalMs: 500` on a metric input that declares no such field: the harness decodes it
/// and runs the rounds 500 ms apart on its virtual clock, as the engine runs them.
#[test]
fn the_harness_runs_an_undeclared_interval_ms() {
    let mut h = MetricInputHarness::<Rounds>::from_yaml("IntervalMs: 500").unwrap();
    assert_eq!(h.init().unwrap(), Duration::from_millis(500));
    let start = h.mock().now();
    h.collect_v1(4).unwrap();
    assert_eq!(h.plugin().n, 4);
    assert_eq!(
        h.mock().now().duration_since(start).unwrap(),
        Duration::from_secs(2)
    );
    assert_eq!(
        engine_interval("rules_500", "IntervalMs: 500"),
        Duration::from_millis(500)
    );
    // Any other undeclared key is still an error, which now lists the engine key.
    let err = MetricInputHarness::<Rounds>::from_yaml("IntervlMs: 5")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("key `IntervlMs`: unknown key, did you mean `IntervalMs`?"),
        "{err}"
    );
}

/// A flusher's `Delivery` (an engine key) is checked the same way by the harness as by
/// `pipeplug check`: accepted without a field, its keys checked.
#[test]
fn the_harness_checks_a_flushers_delivery_as_the_agent_does() {
    use pipeplug::testing::FlusherHarness;
    use pipeplug_plugins::FlusherStdout;
    FlusherHarness::<FlusherStdout>::from_yaml("Delivery: {MaxRetries: 1, RetryMaxDelay: 2s}")
        .unwrap();
    let err = FlusherHarness::<FlusherStdout>::from_yaml("Delivery: {Policy: later}")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("key `Delivery.Policy`: expected `block` or `drop_newest`"),
        "{err}"
    );
    testkit::register();
    let registry = registry::global().unwrap();
    let err = pipeline_config::load_str(
        "inputs:\n  - Type: metric_mock\nflushers:\n  - Type: flusher_stdout\n    Delivery: {Policy: later}\n",
        Format::Yaml,
        "d.yaml",
        "d",
        &registry,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("key `Delivery.Policy`: expected `block` or `drop_newest`"),
        "{err}"
    );
}
