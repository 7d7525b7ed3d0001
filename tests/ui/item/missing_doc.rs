use pipeplug::prelude::*;

#[metric_input(name = "metric_undocumented")]
pub struct Undocumented {
    /// A count.
    count: u32,
}

///
///
#[metric_input(name = "metric_blank_doc")]
pub struct BlankDoc;

impl MetricInput for Undocumented {}
impl MetricInputV1 for Undocumented {
    fn collect(&mut self, _: &Collector) -> Result<(), BoxError> {
        Ok(())
    }
}

fn main() {}
