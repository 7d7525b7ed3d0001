//! `aggregator_default`: batches events into groups (iLogtail's `aggregator_default`,
//! simplified).

use pipeplug::aggregate::AggregatorBase;
use pipeplug::prelude::*;
use std::collections::VecDeque;

/// Batches events into groups of at most `MaxLogCount`, flushed every aggregation interval
/// (`global.AggregatIntervalMs`, 3 s).
///
/// V1 (on [`AggregatorBase`]): logs fill the current group; a full group (`MaxLogCount`
/// logs, or 3 MiB) starts a new one. With `MaxLogGroupCount` groups held, the oldest goes to
/// the pipeline's `LogGroupQueue` at once (iLogtail's quick flush); when that queue is full,
/// `add` refuses the log and the pipeline retries it. Flushed groups get the logstore as
/// category and `Topic` when set.
///
/// V2: each recorded group joins the held batch with the same metadata and tags; a batch
/// that reaches `MaxLogCount` events goes on at once, and the oldest batch goes on when a
/// new one would make more than `MaxLogGroupCount`; the rest go on at `get_result`. Events
/// of every kind are kept, in order.
#[aggregator(name = "aggregator_default", rename_all = "PascalCase")]
#[derive(Debug)]
pub struct AggregatorDefault {
    /// The most logs (V2: events) in one group.
    #[config(default = 1024)]
    max_log_count: usize,
    /// The most groups held before the oldest is sent ahead of the flush.
    #[config(default = 4)]
    max_log_group_count: usize,
    /// Tag each V1 group with a `__pack_id__` (`<hash of config, host IP and start
    /// time>-<sequence>`, as SLS's context view uses). Off by default, unlike iLogtail: it
    /// is for SLS and makes output differ from run to run.
    pack_flag: bool,
    /// The topic of every V1 group, when not empty.
    topic: String,
    /// The V1 groups: limits, early flush, pack IDs.
    #[state]
    base: AggregatorBase,
    /// Batches held (V2), oldest first.
    #[state]
    batches: VecDeque<PipelineGroupEvents>,
    /// The last V2 batch went out full: new batches are made with room for a full one (no
    /// copies as it grows); while they go out partly filled, they start small.
    #[state]
    filling: bool,
}

impl AggregatorDefault {
    fn max_logs(&self) -> usize {
        self.max_log_count.max(1)
    }

    /// Sends the oldest V2 batch on.
    fn send_oldest(&mut self, ctx: &PipelineContext) {
        if let Some(batch) = self.batches.pop_front() {
            ctx.collector().collect_list([batch]);
        }
    }
}

impl Aggregator for AggregatorDefault {
    fn init(&mut self, ctx: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
        self.base = AggregatorBase::new()
            .max_log_count(self.max_logs())
            .max_log_group_count(self.max_log_group_count)
            .pack_id(self.pack_flag)
            .topic(self.topic.clone());
        self.base.init(ctx, queue);
        Ok(DEFAULT_INTERVAL)
    }

    fn reset(&mut self) {
        self.base.reset();
        self.batches.clear();
    }
}

impl AggregatorV1 for AggregatorDefault {
    fn add(&mut self, log: Log, _ctx: Option<&LogContext>) -> Result<(), BoxError> {
        Ok(self.base.add(log)?)
    }

    fn flush(&mut self) -> Vec<LogGroup> {
        self.base.flush()
    }
}

impl AggregatorV2 for AggregatorDefault {
    fn record(
        &mut self,
        group: PipelineGroupEvents,
        ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        let max = self.max_logs();
        let PipelineGroupEvents {
            group: info,
            mut events,
        } = group;
        // The common case first: the newest batch is of this group and has room for all.
        if let Some(last) = self.batches.back_mut() {
            if last.group == info && last.events.len() + events.len() < max {
                last.events.append(&mut events);
                return Ok(());
            }
        }
        let mut events = events.into_iter().peekable();
        while events.peek().is_some() {
            // The newest batch of this group that has room, else a new one.
            let index = self
                .batches
                .iter()
                .rposition(|b| b.group == info && b.events.len() < max);
            let index = match index {
                Some(i) => i,
                None => {
                    if self.batches.len() >= self.max_log_group_count.max(1) {
                        self.send_oldest(ctx);
                    }
                    let room = if self.filling { max.min(1024) } else { 0 };
                    self.batches.push_back(PipelineGroupEvents::new(
                        info.clone(),
                        Vec::with_capacity(room),
                    ));
                    self.batches.len() - 1
                }
            };
            let batch = &mut self.batches[index];
            let room = max - batch.events.len();
            batch.events.extend(events.by_ref().take(room));
            if batch.events.len() >= max {
                // Full: on its way at once.
                self.filling = true;
                if let Some(full) = self.batches.remove(index) {
                    ctx.collector().collect_list([full]);
                }
            }
        }
        Ok(())
    }

    fn get_result(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        let batches = std::mem::take(&mut self.batches);
        self.filling = false;
        ctx.collector()
            .collect_list(batches.into_iter().filter(|b| !b.events.is_empty()));
        Ok(())
    }
}
