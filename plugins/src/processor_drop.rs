//! `processor_drop`: removes keys from events (iLogtail's `processor_drop`).

use crate::keys::{self, Slot};
use pipeplug::prelude::*;
use std::collections::HashSet;

/// Drops the given keys from every event: contents of logs (`__tag__:name` drops a tag),
/// tags of metrics and spans.
///
/// V1: every content whose key is in `DropKeys` is removed (all of them, when a key
/// repeats). V2: from a log, the content `key`, or the tag `name` for `__tag__:name`; from a
/// metric or a span, the tag (label) `key` (or `name`); byte arrays pass unchanged. No
/// event is ever dropped, only keys.
#[processor(
    name = "processor_drop",
    rename_all = "PascalCase",
    example = "DropKeys: [password]"
)]
#[derive(Debug)]
pub struct ProcessorDrop {
    /// The keys to drop. iLogtail rejects an empty list; here it is allowed (nothing is
    /// dropped) and `init` logs a warning.
    drop_keys: Vec<String>,
    /// `DropKeys` as a set, for V1 contents and V2 log contents.
    #[state]
    contents: HashSet<String>,
    /// The tag names `__tag__:name` keys point at, for V2 logs.
    #[state]
    log_tags: HashSet<String>,
    /// The tag names every key points at, for V2 metrics and spans.
    #[state]
    other_tags: HashSet<String>,
}

impl Processor for ProcessorDrop {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        if self.drop_keys.is_empty() {
            ctx.logger()
                .warn("processor_drop: `DropKeys` is empty, nothing will be dropped");
        }
        self.contents = self.drop_keys.iter().cloned().collect();
        self.log_tags.clear();
        for key in &self.drop_keys {
            if let Slot::Tag(tag) = Slot::of_log_key(key) {
                self.log_tags.insert(tag);
            }
        }
        self.other_tags = self
            .drop_keys
            .iter()
            .map(|k| keys::tag_name(k).to_owned())
            .collect();
        Ok(())
    }
}

impl ProcessorV1 for ProcessorDrop {
    fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
        if self.contents.is_empty() {
            return logs;
        }
        for log in &mut logs {
            log.contents
                .retain(|c| !self.contents.contains(c.key.as_str()));
        }
        logs
    }
}

impl ProcessorV2 for ProcessorDrop {
    fn process(&mut self, mut group: PipelineGroupEvents, ctx: &PipelineContext) {
        for event in &mut group.events {
            match event {
                PipelineEvent::Log(log) => {
                    // Few keys to drop, many contents: look each key up rather than scan.
                    // A `__tag__:name` key also names a content of that name, which a log
                    // converted from V1 without tag parsing may hold: dropping it is right.
                    for key in &self.drop_keys {
                        log.contents.delete(key);
                    }
                    for tag in &self.log_tags {
                        log.tags.delete(tag);
                    }
                }
                PipelineEvent::Metric(_) | PipelineEvent::Span(_) => {
                    if let Some(tags) = event.tags_mut() {
                        for tag in &self.other_tags {
                            tags.delete(tag);
                        }
                    }
                }
                PipelineEvent::ByteArray(_) => {}
            }
        }
        ctx.collector().collect_list([group]);
    }
}
