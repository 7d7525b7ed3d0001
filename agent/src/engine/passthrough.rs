//! The aggregator used when a pipeline names none and no `aggregator_default` is registered.
//!
//! iLogtail adds `aggregator_default` to a pipeline without aggregators. That plugin lives in
//! `pipeplug-plugins`, which the engine does not depend on (custom agents may leave it out),
//! so the engine looks it up by name and falls back to this pass-through.

use pipeplug::models::PipelineGroupEvents;
use pipeplug::plugin::{Aggregator, AggregatorV1, AggregatorV2, Plugin};
use pipeplug::protocol::{Log, LogGroup};
use pipeplug::{BoxError, Context, LogContext, LogGroupQueue, PipelineContext};
use std::time::Duration;

/// Logs per V1 group: a full group is queued at once rather than at the next flush.
const MAX_LOGS_PER_GROUP: usize = 1024;

/// Passes events on unchanged: V1 logs in groups of up to 1024, V2 groups as they come.
#[derive(Debug, Default)]
pub(crate) struct PassThrough {
    group: LogGroup,
    queue: Option<LogGroupQueue>,
}

impl Plugin for PassThrough {
    fn description(&self) -> &str {
        "passes events on unchanged (the engine's stand-in for aggregator_default)"
    }
}

impl Aggregator for PassThrough {
    fn init(&mut self, _ctx: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
        self.queue = Some(queue);
        Ok(pipeplug::plugin::DEFAULT_INTERVAL)
    }
    fn reset(&mut self) {
        self.group = LogGroup::default();
    }
}

impl AggregatorV1 for PassThrough {
    fn add(&mut self, log: Log, _ctx: Option<&LogContext>) -> Result<(), BoxError> {
        if self.group.logs.len() >= MAX_LOGS_PER_GROUP {
            let full = std::mem::take(&mut self.group);
            if let Some(q) = &self.queue {
                if let Err(pipeplug::QueueError::Full(back)) = q.add(full) {
                    self.group = *back;
                    return Err("log group queue is full".into());
                }
            } else {
                self.group = full;
                return Err("not initialised".into());
            }
        }
        self.group.logs.push(log);
        Ok(())
    }

    fn flush(&mut self) -> Vec<LogGroup> {
        if self.group.logs.is_empty() {
            Vec::new()
        } else {
            vec![std::mem::take(&mut self.group)]
        }
    }
}

impl AggregatorV2 for PassThrough {
    fn record(
        &mut self,
        group: PipelineGroupEvents,
        ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        ctx.collector().collect_list([group]);
        Ok(())
    }
    fn get_result(&mut self, _ctx: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}
