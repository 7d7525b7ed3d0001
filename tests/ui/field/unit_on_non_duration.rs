use pipeplug::prelude::*;

/// A unit only makes sense for a duration.
#[flusher(name = "flusher_units")]
pub struct Units {
    /// Milliseconds, as an integer.
    #[config(unit = "ms")]
    timeout_ms: u64,
    /// Days are not an integer unit.
    #[config(unit = "d")]
    retention: Duration,
}

impl Flusher for Units {}
impl FlusherV2 for Units {
    fn export(&mut self, _: &[PipelineGroupEvents], _: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

fn main() {}
