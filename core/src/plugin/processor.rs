use super::Plugin;
use crate::models::PipelineGroupEvents;
use crate::protocol::Log;
use crate::{BoxError, Context, PipelineContext};

/// A step that changes, drops or adds events between inputs and aggregators
/// (`pipeline.Processor`). Processors run in series, in config order.
pub trait Processor: Plugin {
    /// Prepares the plugin.
    ///
    /// # Errors
    /// The plugin cannot run; the pipeline does not start.
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }
}

/// A V1 processor: logs in, logs out.
pub trait ProcessorV1: Processor {
    /// Processes a batch and returns what goes on. Return an empty `Vec` to drop all.
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log>;
}

/// A V2 processor: a group in, events collected out.
pub trait ProcessorV2: Processor {
    /// Processes one group. **What is not collected into `ctx.collector()` is dropped**, as
    /// in iLogtail: pass on the events you do not handle (metrics, spans, ...) unchanged,
    /// or they disappear. The generated conformance tests check this.
    fn process(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext);
}
