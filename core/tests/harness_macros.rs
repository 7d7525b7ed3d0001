//! The harness with a plugin written with the attribute macros: typed construction from a
//! config text, the registry, and the generated conformance test (which runs in this
//! binary as `__pipeplug_conformance_service_harness_macro::pipeplug_conformance`).

use pipeplug::compat::new_tags_with_key_values;
use pipeplug::compat::*;
use pipeplug::prelude::*;
use pipeplug::testing::ServiceInputHarness;

/// The example plugin (`service_example_plugin`): a log or a counter every interval.
#[service_input(name = "service_harness_macro")]
pub struct Seed {
    /// How often to emit.
    #[config(default = "5s")]
    interval: Duration,
    /// The pipeline's context, kept by `init`.
    #[state]
    ctx: Context,
    /// The emitting thread.
    #[state]
    worker: Worker,
}

impl ServiceInput for Seed {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.worker.stop()
    }
}

impl ServiceInputV1 for Seed {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        let (clock, interval) = (self.ctx.clock().clone(), self.interval);
        self.worker.spawn(&self.ctx, "example v1", move |stop| {
            let ticker = clock.ticker(interval);
            while ticker.tick(&stop) {
                collector.add_raw_log(Log::new(clock.now_secs(), [("host", "1.1.1.1")]));
            }
        })?;
        Ok(())
    }
}

impl ServiceInputV2 for Seed {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        let (clock, interval) = (self.ctx.clock().clone(), self.interval);
        self.worker.spawn(&self.ctx, "example v2", move |stop| {
            let ticker = clock.ticker(interval);
            while ticker.tick(&stop) {
                let m = new_single_value_metric(
                    "test_metric",
                    MetricType::Counter,
                    new_tags_with_key_values(&["hello", "world"]),
                    clock.now_nanos(),
                    1.0,
                );
                ctx.collector()
                    .collect(GroupInfo::default(), vec![m.into()]);
            }
        })?;
        Ok(())
    }
}

#[test]
fn typed_harness_from_a_config_text() {
    let mut h = ServiceInputHarness::<Seed>::from_yaml("Interval: 2s").unwrap();
    assert_eq!(h.plugin().interval, Duration::from_secs(2));
    h.start_v1().unwrap();
    h.advance(Duration::from_secs(6));
    h.stop().unwrap();
    assert_eq!(h.logs().len(), 3);
}

#[test]
fn registry_harness_runs_both_interfaces() {
    let mut h = ServiceInputHarness::from_registry_v2("service_harness_macro", "").unwrap();
    h.start_v2().unwrap();
    h.advance(Duration::from_secs(15));
    h.stop().unwrap();
    let metrics = h.output().metrics();
    assert_eq!(metrics.len(), 3);
    assert_eq!(metrics[0].name, "test_metric");

    let mut h =
        ServiceInputHarness::from_registry_v1("service_harness_macro", r#"{"interval": "5s"}"#)
            .unwrap();
    h.start_v1().unwrap();
    h.advance(Duration::from_secs(15));
    h.stop().unwrap();
    assert_eq!(h.logs().len(), 3);
}
