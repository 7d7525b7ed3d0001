//! `processor_add_fields`: adds fixed fields to every event (iLogtail's
//! `processor_add_fields`).

use crate::keys::{self, Slot};
use pipeplug::models::{KeyValues, LogValue};
use pipeplug::prelude::*;

/// Adds fixed fields to every event: contents of logs (`__tag__:name` adds a tag), tags of
/// metrics and spans.
///
/// V1: each field is appended to every log's contents, in config order (a key already
/// there is kept too, as in iLogtail, unless `IgnoreIfExist`). V2: to a log, the content
/// `key` (or the tag `name` for `__tag__:name`), replacing a value already there unless
/// `IgnoreIfExist`; to a metric or a span, the tag (label) `key`; byte arrays pass
/// unchanged.
#[processor(
    name = "processor_add_fields",
    rename_all = "PascalCase",
    example = "Fields: {env: production}"
)]
#[derive(Debug)]
pub struct ProcessorAddFields {
    /// The fields to add, key to value, added in this order. iLogtail rejects an empty map;
    /// here it is allowed (nothing is added) and `init` logs a warning.
    fields: KeyValues<String>,
    /// Leave an event alone for a key it already has, instead of adding the field.
    ignore_if_exist: bool,
    /// `Fields` as V2 log slots, in order.
    #[state]
    log_slots: Vec<(Slot, String)>,
}

impl Processor for ProcessorAddFields {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        if self.fields.is_empty() {
            ctx.logger()
                .warn("processor_add_fields: `Fields` is empty, nothing will be added");
        }
        self.log_slots = self
            .fields
            .iter()
            .map(|(k, v)| (Slot::of_log_key(k), v.clone()))
            .collect();
        Ok(())
    }
}

impl ProcessorV1 for ProcessorAddFields {
    fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
        for log in &mut logs {
            let before = log.contents.len();
            log.contents.reserve(self.fields.len());
            for (key, value) in self.fields.iter() {
                // Only the log's own contents count, not fields added just now (keys of a
                // map are unique anyway).
                if self.ignore_if_exist && log.contents[..before].iter().any(|c| c.key == key) {
                    continue;
                }
                log.push(key, value.as_str());
            }
        }
        logs
    }
}

impl ProcessorV2 for ProcessorAddFields {
    fn process(&mut self, mut group: PipelineGroupEvents, ctx: &PipelineContext) {
        for event in &mut group.events {
            match event {
                PipelineEvent::Log(log) => {
                    for (slot, value) in &self.log_slots {
                        match slot {
                            Slot::Content(key) => {
                                if !(self.ignore_if_exist && log.contents.contains(key)) {
                                    log.contents
                                        .add(key.as_str(), LogValue::from(value.as_str()));
                                }
                            }
                            Slot::Tag(name) => {
                                if !(self.ignore_if_exist && log.tags.contains(name)) {
                                    log.tags.add(name.as_str(), value.as_str());
                                }
                            }
                        }
                    }
                }
                PipelineEvent::Metric(_) | PipelineEvent::Span(_) => {
                    if let Some(tags) = event.tags_mut() {
                        for (key, value) in self.fields.iter() {
                            let name = keys::tag_name(key);
                            if !(self.ignore_if_exist && tags.contains(name)) {
                                tags.add(name, value.as_str());
                            }
                        }
                    }
                }
                PipelineEvent::ByteArray(_) => {}
            }
        }
        ctx.collector().collect_list([group]);
    }
}
