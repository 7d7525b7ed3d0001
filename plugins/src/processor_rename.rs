//! `processor_rename`: renames keys of events (iLogtail's `processor_rename`).

use crate::keys::{self, Slot};
use pipeplug::models::{KeyValues, LogValue};
use pipeplug::prelude::*;
use pipeplug::{ConfigError, ConfigProblem};
use std::collections::HashMap;

/// Renames keys of every event: `SourceKeys[i]` becomes `DestKeys[i]`.
///
/// Keys are the contents of logs (`__tag__:name` names a tag) and the tags of metrics and
/// spans. Renames are simultaneous (`a → b` with `b → a` swaps) and keep the renamed key's
/// place. A destination key the event already has is replaced by the renamed value. V1
/// renames contents; V2 renames a log's contents and tags (`__tag__:name`, either side, so
/// a content can become a tag and back) and a metric's or a span's tags; byte arrays pass
/// unchanged.
///
/// `SourceKeys` and `DestKeys` must have the same length and a source key may appear once:
/// otherwise the config is rejected (by `pipeplug check` too) with an error naming both keys.
#[processor(
    name = "processor_rename",
    rename_all = "PascalCase",
    validate = "Self::validate",
    example = "SourceKeys: [level]\nDestKeys: [severity]"
)]
#[derive(Debug)]
pub struct ProcessorRename {
    /// The keys to rename.
    source_keys: Vec<String>,
    /// Their new names, one per source key, in the same order.
    dest_keys: Vec<String>,
    /// Log a `RENAME_FIND_ALARM` warning when events lack source keys (once per batch,
    /// naming the keys and how many events lacked each).
    no_key_error: bool,
    /// The context from `init`, for warnings.
    #[state]
    ctx: Context,
    /// V1 contents and V2 log contents: source key → destination.
    #[state]
    from_contents: HashMap<String, Slot>,
    /// V2 log tags: source tag name (`__tag__:name`) → destination.
    #[state]
    from_log_tags: HashMap<String, Slot>,
    /// V2 metric and span tags: source tag name → destination tag name.
    #[state]
    from_other_tags: HashMap<String, String>,
    /// V1: source key → destination key.
    #[state]
    v1: HashMap<String, String>,
}

impl ProcessorRename {
    /// Checks `SourceKeys` and `DestKeys` against each other (run after decoding).
    fn validate(&self) -> Result<(), ConfigProblem> {
        let problem = |path: &str, text: String| ConfigProblem::custom(path, text);
        if self.source_keys.len() != self.dest_keys.len() {
            return Err(problem(
                "DestKeys",
                format!(
                    "`SourceKeys` has {} key(s) ({}) but `DestKeys` has {} ({}): each source key needs one destination key, in the same order",
                    self.source_keys.len(),
                    list(&self.source_keys),
                    self.dest_keys.len(),
                    list(&self.dest_keys),
                ),
            ));
        }
        for (i, key) in self.source_keys.iter().enumerate() {
            if let Some(j) = self.source_keys[..i].iter().position(|k| k == key) {
                return Err(problem(
                    &format!("SourceKeys[{i}]"),
                    format!("`{key}` is also `SourceKeys[{j}]`: a key can be renamed only once"),
                ));
            }
        }
        Ok(())
    }

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.source_keys
            .iter()
            .zip(&self.dest_keys)
            .map(|(s, d)| (s.as_str(), d.as_str()))
            .filter(|(s, d)| s != d)
    }

    /// Whether a V2 event has the source key `key`.
    fn has_source(event: &PipelineEvent, key: &str) -> bool {
        match event {
            PipelineEvent::Log(log) => match Slot::of_log_key(key) {
                Slot::Content(k) => log.contents.contains(&k),
                Slot::Tag(t) => log.tags.contains(&t),
            },
            other => other.tags().contains(keys::tag_name(key)),
        }
    }

    fn rename_log(&self, log: &mut pipeplug::models::Log) {
        // Where the renamed values land: what is already there gives way.
        let mut taken = Taken::default();
        for key in log.contents.keys() {
            if let Some(dest) = self.from_contents.get(key) {
                taken.push(dest);
            }
        }
        for name in log.tags.keys() {
            if let Some(dest) = self.from_log_tags.get(name) {
                taken.push(dest);
            }
        }
        if taken.is_empty() {
            return;
        }
        let contents = std::mem::take(&mut log.contents);
        let tags = std::mem::take(&mut log.tags);
        let mut new_contents = KeyValues::with_capacity(contents.len());
        let mut new_tags = Tags::with_capacity(tags.len());
        let mut put = |dest: &Slot, value: LogValue| match dest {
            Slot::Content(k) => new_contents.add(k.as_str(), value),
            Slot::Tag(t) => new_tags.add(t.as_str(), text(value)),
        };
        for (key, value) in contents {
            match self.from_contents.get(key.as_str()) {
                Some(dest) => put(dest, value),
                None if taken.contents.contains(&key.as_str()) => {}
                None => put(&Slot::Content(key.into()), value),
            }
        }
        for (name, value) in tags {
            match self.from_log_tags.get(name.as_str()) {
                Some(dest) => put(dest, LogValue::String(value)),
                None if taken.tags.contains(&name.as_str()) => {}
                None => put(&Slot::Tag(name.into()), LogValue::String(value)),
            }
        }
        log.contents = new_contents;
        log.tags = new_tags;
    }

    fn rename_tags(&self, tags: &mut Tags) {
        if !tags.keys().any(|k| self.from_other_tags.contains_key(k)) {
            return;
        }
        let old = std::mem::take(tags);
        let renamed: Vec<&str> = old
            .keys()
            .filter_map(|k| self.from_other_tags.get(k).map(String::as_str))
            .collect();
        let mut new = Tags::with_capacity(old.len());
        for (name, value) in old.iter() {
            match self.from_other_tags.get(name) {
                Some(dest) => new.add(dest.as_str(), value.as_str()),
                // A tag the renamed value lands on is replaced by it.
                None if renamed.contains(&name) => {}
                None => new.add(name, value.as_str()),
            }
        }
        *tags = new;
    }

    fn warn_missing(&self, missing: &[usize], total: usize, what: &str) {
        let keys: Vec<String> = self
            .source_keys
            .iter()
            .zip(missing)
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("`{k}` (missing in {n} of {total} {what})"))
            .collect();
        if !keys.is_empty() {
            self.ctx.logger().alarm(
                "RENAME_FIND_ALARM",
                format!("cannot find key {}", keys.join(", ")),
            );
        }
    }
}

/// The contents and tags of a V2 log that renamed values land on.
#[derive(Default)]
struct Taken<'a> {
    contents: Vec<&'a str>,
    tags: Vec<&'a str>,
}

impl<'a> Taken<'a> {
    fn push(&mut self, dest: &'a Slot) {
        match dest {
            Slot::Content(k) => self.contents.push(k),
            Slot::Tag(t) => self.tags.push(t),
        }
    }

    fn is_empty(&self) -> bool {
        self.contents.is_empty() && self.tags.is_empty()
    }
}

fn text(value: LogValue) -> String {
    match value {
        LogValue::String(s) => s.into(),
        other => other.to_string(),
    }
}

fn list(keys: &[String]) -> String {
    if keys.is_empty() {
        return "none".to_owned();
    }
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Processor for ProcessorRename {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        // Decoding validated the keys already; a plugin built by hand is checked here.
        self.validate()
            .map_err(|p| ConfigError::new(<Self as PluginConfig>::NAME, p.path, p.kind))?;
        self.ctx = ctx.clone();
        if self.source_keys.is_empty() {
            ctx.logger()
                .warn("processor_rename: `SourceKeys` is empty, nothing will be renamed");
        }
        let (mut contents, mut log_tags, mut other, mut v1) = (
            HashMap::new(),
            HashMap::new(),
            HashMap::new(),
            HashMap::new(),
        );
        for (source, dest) in self.pairs() {
            let to = Slot::of_log_key(dest);
            match Slot::of_log_key(source) {
                Slot::Content(k) => contents.insert(k, to),
                Slot::Tag(t) => log_tags.insert(t, to),
            };
            let (s, d) = (keys::tag_name(source), keys::tag_name(dest));
            if s != d {
                other.insert(s.to_owned(), d.to_owned());
            }
            v1.insert(source.to_owned(), dest.to_owned());
        }
        self.from_contents = contents;
        self.from_log_tags = log_tags;
        self.from_other_tags = other;
        self.v1 = v1;
        Ok(())
    }
}

impl ProcessorV1 for ProcessorRename {
    fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
        let mut missing = vec![0; self.source_keys.len()];
        for log in &mut logs {
            if self.no_key_error {
                for (i, key) in self.source_keys.iter().enumerate() {
                    if log.get(key).is_none() {
                        missing[i] += 1;
                    }
                }
            }
            let renamed: Vec<&str> = log
                .contents
                .iter()
                .filter_map(|c| self.v1.get(c.key.as_str()).map(String::as_str))
                .collect();
            if renamed.is_empty() {
                continue;
            }
            // A content the renamed value lands on is replaced by it (iLogtail's V1 keeps
            // both; its V2, and a V1 log converted to V2, keep one).
            let v1 = &self.v1;
            log.contents
                .retain(|c| v1.contains_key(c.key.as_str()) || !renamed.contains(&c.key.as_str()));
            for c in &mut log.contents {
                if let Some(dest) = self.v1.get(c.key.as_str()) {
                    c.key = dest.into();
                }
            }
        }
        if self.no_key_error {
            self.warn_missing(&missing, logs.len(), "logs");
        }
        logs
    }
}

impl ProcessorV2 for ProcessorRename {
    fn process(&mut self, mut group: PipelineGroupEvents, ctx: &PipelineContext) {
        let mut missing = vec![0; self.source_keys.len()];
        let mut counted = 0;
        for event in &mut group.events {
            if matches!(event, PipelineEvent::ByteArray(_)) {
                continue;
            }
            if self.no_key_error {
                counted += 1;
                for (i, key) in self.source_keys.iter().enumerate() {
                    if !Self::has_source(event, key) {
                        missing[i] += 1;
                    }
                }
            }
            match event {
                PipelineEvent::Log(log) => self.rename_log(log),
                other => {
                    if let Some(tags) = other.tags_mut() {
                        self.rename_tags(tags);
                    }
                }
            }
        }
        if self.no_key_error {
            self.warn_missing(&missing, counted, "events");
        }
        ctx.collector().collect_list([group]);
    }
}
