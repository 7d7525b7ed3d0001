use pipeplug::prelude::*;

/// Duration defaults are parsed at compile time.
#[metric_input(name = "metric_durations")]
pub struct Durations {
    /// Not a unit.
    #[config(default = "5 parsecs")]
    interval: Duration,
    /// No unit.
    #[config(default = "100")]
    timeout: Option<Duration>,
    /// Uppercase units are not units.
    #[config(default = "5S")]
    delay: std::time::Duration,
}

impl MetricInput for Durations {}
impl MetricInputV1 for Durations {
    fn collect(&mut self, _: &Collector) -> Result<(), BoxError> {
        Ok(())
    }
}

fn main() {}
