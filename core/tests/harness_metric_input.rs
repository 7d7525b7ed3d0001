//! The metric input harness: rounds, intervals, both interfaces, errors.

use pipeplug::compat::new_single_value_metric;
use pipeplug::prelude::*;
use pipeplug::registry::{add_metric_creator, V1Only};
use pipeplug::testing::{HarnessError, MetricInputHarness};

/// Counts its rounds; V1 only, interval from `init` (zero means the pipeline's default).
#[derive(Default)]
struct Rounds {
    interval: Duration,
    n: u32,
    fail_at: Option<u32>,
}

impl Plugin for Rounds {
    fn description(&self) -> &str {
        "counts rounds"
    }
}
impl MetricInput for Rounds {
    fn init(&mut self, _: &Context) -> Result<Duration, BoxError> {
        Ok(self.interval)
    }
}
impl MetricInputV1 for Rounds {
    fn collect(&mut self, collector: &Collector) -> Result<(), BoxError> {
        self.n += 1;
        if Some(self.n) == self.fail_at {
            return Err("the source went away".into());
        }
        collector.add_data([("input", "rounds")], [("n", self.n.to_string())], None);
        Ok(())
    }
}

#[test]
fn collect_v1_runs_n_rounds_one_interval_apart() {
    let mut h = MetricInputHarness::new(Rounds {
        interval: Duration::from_secs(30),
        ..Rounds::default()
    });
    let out = h.collect_v1(3).unwrap();
    let logs = out.logs();
    assert_eq!(logs.len(), 3);
    assert_eq!(logs[2].get("n"), Some("3"));
    assert_eq!(logs[0].get("input"), Some("rounds"));
    assert_eq!(logs[1].time - logs[0].time, 30);
    assert_eq!(h.interval(), Some(Duration::from_secs(30)));
    // Rounds go on where they stopped; `output` keeps everything.
    let more = h.collect_v1(1).unwrap();
    assert_eq!(more.logs()[0].get("n"), Some("4"));
    assert_eq!(h.logs().len(), 4);
    assert_eq!(h.plugin().n, 4);
}

#[test]
fn the_default_interval_is_the_global_one() {
    let mut h = MetricInputHarness::new(Rounds::default());
    assert_eq!(h.init().unwrap(), Duration::from_secs(1));
}

#[test]
fn the_default_interval_comes_from_interval_ms_in_the_config() {
    add_metric_creator("metric_harness_rounds", "counts rounds", |_| {
        Ok(V1Only(Rounds::default()))
    });
    let mut h =
        MetricInputHarness::from_registry_v1("metric_harness_rounds", "IntervalMs: 250").unwrap();
    let out = h.collect_v1(2).unwrap();
    let logs = out.logs();
    assert_eq!(
        logs[1].timestamp_nanos() - logs[0].timestamp_nanos(),
        250_000_000
    );

    // The V2 instance, through the adapter: the same rounds as log events.
    let mut h = MetricInputHarness::from_registry_v2("metric_harness_rounds", "").unwrap();
    let out = h.read_v2(2).unwrap();
    assert_eq!(out.events().len(), 2);
    assert_eq!(h.interval(), Some(Duration::from_secs(1)));
}

#[test]
fn an_error_stops_the_rounds_and_names_the_method() {
    let mut h = MetricInputHarness::new(Rounds {
        fail_at: Some(2),
        ..Rounds::default()
    })
    .named("metric_rounds");
    let err = h.collect_v1(5).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `metric_rounds`: collect failed: the source went away"
    );
    assert_eq!(h.logs().len(), 1);
}

/// A V2 metric input reading the virtual clock.
#[derive(Default)]
struct Clocked {
    ctx: Context,
}
impl Plugin for Clocked {
    fn description(&self) -> &str {
        "clocked"
    }
}
impl MetricInput for Clocked {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::from_secs(5))
    }
}
impl MetricInputV2 for Clocked {
    fn read(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        let m = new_single_value_metric(
            "up",
            MetricType::Gauge,
            Tags::new(),
            self.ctx.clock().now_nanos(),
            1.0,
        );
        ctx.collector()
            .collect(GroupInfo::default(), vec![m.into()]);
        Ok(())
    }
}

#[test]
fn read_v2_times_events_with_the_virtual_clock() {
    let mut h = MetricInputHarness::new(Clocked::default());
    let t0 = h.context().clock().now_nanos();
    let metrics = h.read_v2(3).unwrap().metrics();
    let times: Vec<u64> = metrics.iter().map(|m| m.timestamp - t0).collect();
    assert_eq!(times, [0, 5_000_000_000, 10_000_000_000]);
    assert_eq!(h.metrics().len(), 3);
}

#[test]
fn init_twice_is_misuse() {
    let mut h = MetricInputHarness::new(Clocked::default());
    h.init().unwrap();
    assert!(matches!(h.init(), Err(HarnessError::Misuse { .. })));
}
