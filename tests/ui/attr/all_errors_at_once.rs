//! Every mistake of an item is reported in one compile, and the struct and the user's impls
//! still compile (no chain of "not implemented" errors after the real ones).
use pipeplug::prelude::*;

#[service_input(name = "processor_x", lenent, name = "service_y")]
pub struct Many {
    /// A count.
    #[config(unit = "ms", defualt = 1)]
    count: u32,
    /// A worker.
    #[state]
    #[config]
    worker: Worker,
}

impl ServiceInput for Many {}
impl ServiceInputV1 for Many {
    fn start(&mut self, _: Collector) -> Result<(), BoxError> {
        let _ = (self.count, &self.worker, self.description());
        Ok(())
    }
}

fn use_it() -> Result<Many, pipeplug::ConfigError> {
    <Many as pipeplug::PluginConfig>::from_json_str("{}")
}

fn main() {
    let _ = use_it;
}
