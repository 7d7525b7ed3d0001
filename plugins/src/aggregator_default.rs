//! `aggregator_default`: batches events into groups (iLogtail's `aggregator_default`,
//! simplified).

use pipeplug::prelude::*;
use std::collections::VecDeque;

/// A group is full past this many bytes of contents (iLogtail's `MaxLogGroupSize`, 3 MiB),
/// whatever `MaxLogCount` says.
const MAX_GROUP_BYTES: usize = 3 * 1024 * 1024;

/// The key of the pack-ID group tag (SLS's `__pack_id__`).
const PACK_ID_KEY: &str = "__pack_id__";

/// Batches events into groups of at most `MaxLogCount`, flushed every aggregation interval
/// (`global.AggregatIntervalMs`, 3 s).
///
/// V1: logs fill the current group; a full group (`MaxLogCount` logs, or 3 MiB) starts a
/// new one. With `MaxLogGroupCount` groups held, the oldest goes to the pipeline's
/// `LogGroupQueue` at once (iLogtail's quick flush); when that queue is full, `add` refuses
/// the log and the pipeline retries it. Flushed groups get the logstore as category and
/// `Topic` when set.
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
    /// Tag each V1 group with a `__pack_id__` (`<hash of config and start time>-<sequence>`,
    /// as SLS's context view uses). Off by default, unlike iLogtail: it is for SLS and
    /// makes output differ from run to run.
    pack_flag: bool,
    /// The topic of every V1 group, when not empty.
    topic: String,
    /// Groups held (V1), the last one being filled.
    #[state]
    groups: VecDeque<Held>,
    /// Batches held (V2), oldest first.
    #[state]
    batches: VecDeque<PipelineGroupEvents>,
    /// Where full groups go ahead of the flush (V1).
    #[state]
    queue: Option<LogGroupQueue>,
    /// The logstore, the groups' category.
    #[state]
    logstore: String,
    /// The pack-ID prefix, `XXXXXXXXXXXXXXXX-`.
    #[state]
    pack_prefix: String,
    /// The next pack-ID sequence number.
    #[state]
    pack_seq: u64,
    /// The last V2 batch went out full: new batches are made with room for a full one (no
    /// copies as it grows); while they go out partly filled, they start small.
    #[state]
    filling: bool,
}

/// A V1 group being filled, and the size of its logs.
#[derive(Debug, Default)]
struct Held {
    group: LogGroup,
    bytes: usize,
}

/// The size iLogtail counts for a V1 log: 6 bytes, plus 5 and the key and value per content.
fn log_bytes(log: &Log) -> usize {
    6 + log
        .contents
        .iter()
        .map(|c| 5 + c.key.len() + c.value.len())
        .sum::<usize>()
}

/// 64-bit FNV-1a, as iLogtail hashes the pack-ID prefix.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl AggregatorDefault {
    fn max_logs(&self) -> usize {
        self.max_log_count.max(1)
    }

    /// Sets what a flushed V1 group carries: category, topic, pack ID.
    fn seal(&mut self, group: &mut LogGroup) {
        group.category.clone_from(&self.logstore);
        if !self.topic.is_empty() {
            group.topic.clone_from(&self.topic);
        }
        if self.pack_flag && group.log_tags.last().is_none_or(|t| t.key != PACK_ID_KEY) {
            let value = format!("{}{:X}", self.pack_prefix, self.pack_seq);
            self.pack_seq += 1;
            group
                .log_tags
                .push(pipeplug::protocol::LogTag::new(PACK_ID_KEY, value));
        }
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
        self.queue = Some(queue);
        self.logstore = ctx.logstore().to_owned();
        if self.pack_flag {
            let seed = format!("{}{}", ctx.config_name(), ctx.clock().now_nanos());
            self.pack_prefix = format!("{:016X}-", fnv1a64(seed.as_bytes()));
        }
        Ok(DEFAULT_INTERVAL)
    }

    fn reset(&mut self) {
        self.groups.clear();
        self.batches.clear();
    }
}

impl AggregatorV1 for AggregatorDefault {
    fn add(&mut self, log: Log, _ctx: Option<&LogContext>) -> Result<(), BoxError> {
        let size = log_bytes(&log);
        let max_logs = self.max_logs();
        let full = self.groups.back().is_none_or(|h| {
            h.group.logs.len() >= max_logs || (h.bytes > 0 && h.bytes + size > MAX_GROUP_BYTES)
        });
        if full {
            if self.groups.len() >= self.max_log_group_count.max(1) {
                // The quick flush: the oldest group goes ahead of the interval.
                let Some(queue) = self.queue.clone() else {
                    return Err("aggregator_default: `add` called before `init`".into());
                };
                if let Some(mut oldest) = self.groups.pop_front() {
                    self.seal(&mut oldest.group);
                    if let Err(pipeplug::QueueError::Full(back)) = queue.add(oldest.group) {
                        self.groups.push_front(Held {
                            group: *back,
                            bytes: oldest.bytes,
                        });
                        return Err(
                            "aggregator_default: the log group queue is full; retry later".into(),
                        );
                    }
                }
            }
            self.groups.push_back(Held {
                group: LogGroup {
                    logs: Vec::with_capacity(max_logs.min(1024)),
                    ..LogGroup::default()
                },
                bytes: 0,
            });
        }
        if let Some(held) = self.groups.back_mut() {
            held.bytes += size;
            held.group.logs.push(log);
        }
        Ok(())
    }

    fn flush(&mut self) -> Vec<LogGroup> {
        let held = std::mem::take(&mut self.groups);
        let mut out = Vec::with_capacity(held.len());
        for Held { mut group, .. } in held {
            if group.logs.is_empty() {
                continue;
            }
            self.seal(&mut group);
            out.push(group);
        }
        out
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
