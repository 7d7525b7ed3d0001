use pipeplug::prelude::*;

/// State is not config.
#[service_input(name = "service_state")]
pub struct State {
    /// The worker.
    #[state]
    #[config(default = 1)]
    worker: Worker,
    /// State takes no arguments.
    #[state(default)]
    count: u32,
}

impl ServiceInput for State {}
impl ServiceInputV1 for State {
    fn start(&mut self, _: Collector) -> Result<(), BoxError> {
        Ok(())
    }
}

fn main() {}
