//! `service_example_plugin`: `MyServiceInput` of iLogtail's guide to external private plugins, ported.

use pipeplug::prelude::*;

/// custom service input
///
/// Every `interval` it emits one record: in a V1 pipeline a log with the current Unix time
/// and one content `host = 1.1.1.1`; in a V2 pipeline a counter metric `test_metric` with the
/// tag `hello = world`, value 1, timed in nanoseconds.
#[service_input(name = "service_example_plugin", example = "interval: 1s")]
#[derive(Debug)]
pub struct MyServiceInput {
    /// How often to emit.
    #[config(default = "5s")]
    interval: Duration,
    /// The pipeline context, kept from `init`: its clock drives the loop, so tests can run a
    /// 5 s interval in virtual time.
    #[state]
    ctx: Context,
    /// The emitting thread; `stop` stops and joins it.
    #[state]
    worker: Worker,
}

impl ServiceInput for MyServiceInput {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        // A service input's interval is ignored (Go returns 0 as well).
        Ok(DEFAULT_INTERVAL)
    }

    fn stop(&mut self) -> Result<(), BoxError> {
        // Wakes the loop at once, however long the interval, and joins it.
        self.worker.stop()
    }
}

impl ServiceInputV1 for MyServiceInput {
    /// Starts the loop on its own thread and returns.
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        // The ticker is made here, before the thread starts: a test that advances virtual
        // time then waits for the loop's first tick.
        let ticker = self.ctx.clock().ticker(self.interval);
        let clock = self.ctx.clock().clone();
        self.worker
            .spawn(&self.ctx, "service_example_plugin", move |stop| {
                while ticker.tick(&stop) {
                    collector.add_raw_log(Log::new(clock.now_secs(), [("host", "1.1.1.1")]));
                }
            })?;
        Ok(())
    }
}

impl ServiceInputV2 for MyServiceInput {
    /// Starts the loop on its own thread and returns, as V2 requires.
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        let ticker = self.ctx.clock().ticker(self.interval);
        let clock = self.ctx.clock().clone();
        self.worker
            .spawn(&self.ctx, "service_example_plugin", move |stop| {
                while ticker.tick(&stop) {
                    let metric = Metric::single(
                        "test_metric",
                        MetricType::Counter,
                        Tags::from([("hello", "world")]),
                        clock.now_nanos(),
                        1,
                    );
                    ctx.collector()
                        .collect(GroupInfo::default(), vec![metric.into()]);
                }
            })?;
        Ok(())
    }
}
