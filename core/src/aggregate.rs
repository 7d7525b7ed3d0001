//! Building blocks of V1 aggregators: [`AggregatorBase`] (Go's `baseagg.AggregatorBase`,
//! with the grouping of `aggregator_content_value_group`) and [`PackIdGenerator`] (the
//! `__pack_id__` tag SLS uses to show a log in its context).
//!
//! An aggregator keeps an `AggregatorBase` in a `#[state]` field, sets it up in `init` and
//! hands it each log:
//!
//! ```
//! use pipeplug::aggregate::AggregatorBase;
//! use pipeplug::prelude::*;
//!
//! /// Groups logs by their `service`, at most `MaxLogCount` a group.
//! #[aggregator(name = "aggregator_by_service_doc", rename_all = "PascalCase")]
//! pub struct ByService {
//!     /// The most logs in one group.
//!     #[config(default = 1024)]
//!     max_log_count: usize,
//!     #[state]
//!     base: AggregatorBase,
//! }
//!
//! impl Aggregator for ByService {
//!     fn init(&mut self, ctx: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
//!         self.base = AggregatorBase::new()
//!             .group_keys(["service"])
//!             .max_log_count(self.max_log_count);
//!         self.base.init(ctx, queue);
//!         Ok(DEFAULT_INTERVAL)
//!     }
//!     fn reset(&mut self) {
//!         self.base.reset();
//!     }
//! }
//!
//! impl AggregatorV1 for ByService {
//!     fn add(&mut self, log: Log, _ctx: Option<&LogContext>) -> Result<(), BoxError> {
//!         Ok(self.base.add(log)?)
//!     }
//!     fn flush(&mut self) -> Vec<LogGroup> {
//!         self.base.flush()
//!     }
//! }
//! # fn main() {}
//! ```

use crate::protocol::{Log, LogGroup, LogTag};
use crate::{Context, GroupQueue, QueueError};
use std::collections::{HashMap, VecDeque};
use std::fmt;

/// The key of the pack-ID group tag (`util.PackIDTagKey`).
pub const PACK_ID_TAG_KEY: &str = "__pack_id__";
/// The most logs in one group by default (`baseagg.MaxLogCount`).
pub const DEFAULT_MAX_LOG_COUNT: usize = 1024;
/// The most bytes of logs in one group by default (`baseagg.MaxLogGroupSize`, 3 MiB), as
/// [`log_size`] counts them.
pub const DEFAULT_MAX_GROUP_BYTES: usize = 3 * 1024 * 1024;
/// The most groups held per group key by default before the oldest goes to the queue.
pub const DEFAULT_MAX_LOG_GROUP_COUNT: usize = 4;

/// The size iLogtail counts for a V1 log (`evaluateLogSize`): 6 bytes, plus 5 and the key
/// and value of each content.
///
/// ```
/// use pipeplug::protocol::Log;
/// assert_eq!(pipeplug::aggregate::log_size(&Log::new(0, [("k", "vv")])), 6 + 5 + 1 + 2);
/// ```
#[must_use]
pub fn log_size(log: &Log) -> usize {
    6 + log
        .contents
        .iter()
        .map(|c| 5 + c.key.len() + c.value.len())
        .sum::<usize>()
}

/// 64-bit FNV-1a, the hash of iLogtail's pack-ID prefixes.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Makes the `__pack_id__` values of one source: `PREFIX-SEQ`, the prefix a hash of the
/// source, the host and the start time in 16 upper-case hex digits, the sequence counting
/// up from 0 in upper-case hex (`util.NewPackIDPrefix` and `util.NewLogTagForPackID`; Go
/// does not pad the prefix to 16 digits, SLS reads it as opaque text either way).
///
/// ```
/// use pipeplug::aggregate::PackIdGenerator;
/// use pipeplug::protocol::LogGroup;
///
/// let mut ids = PackIdGenerator::with_prefix("5F3A-");
/// assert_eq!(ids.next_id(), "5F3A-0");
/// let mut group = LogGroup::default();
/// assert!(ids.stamp(&mut group));
/// assert!(!ids.stamp(&mut group), "already stamped");
/// assert_eq!(group.log_tags[0].key, "__pack_id__");
/// assert_eq!(group.log_tags[0].value, "5F3A-1");
///
/// let ids = PackIdGenerator::new("my_config", "10.0.0.1", 1_700_000_000_000_000_000);
/// assert_eq!(ids.prefix().len(), 17);
/// assert!(ids.prefix().ends_with('-'));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackIdGenerator {
    prefix: String,
    next: u64,
}

impl PackIdGenerator {
    /// IDs for `source` (a config name, plus a group key when groups are split by key) on
    /// the host `host_ip`, started at `now_nanos` (Unix nanoseconds): the prefix is the
    /// FNV-1a hash of the three, so that sources, hosts and restarts do not share IDs.
    #[must_use]
    pub fn new(source: &str, host_ip: &str, now_nanos: u64) -> Self {
        let seed = format!("{source}{host_ip}{now_nanos}");
        Self::with_prefix(format!("{:016X}-", fnv1a64(seed.as_bytes())))
    }

    /// IDs with a given prefix (tests, or a prefix kept from elsewhere), the sequence from 0.
    #[must_use]
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            next: 0,
        }
    }

    /// The prefix, `XXXX-`.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The next ID, `PREFIX-SEQ` with the sequence in upper-case hex.
    pub fn next_id(&mut self) -> String {
        let id = format!("{}{:X}", self.prefix, self.next);
        self.next = self.next.wrapping_add(1);
        id
    }

    /// Adds the next ID as the group's last tag, unless its last tag is a pack ID already
    /// (a group handed back by a full queue keeps the ID it had). Whether it added one.
    pub fn stamp(&mut self, group: &mut LogGroup) -> bool {
        if group
            .log_tags
            .last()
            .is_some_and(|t| t.key == PACK_ID_TAG_KEY)
        {
            return false;
        }
        let id = self.next_id();
        group.log_tags.push(LogTag::new(PACK_ID_TAG_KEY, id));
        true
    }
}

/// Why [`AggregatorBase::add`] did not take a log. Either way the log is not kept: the
/// pipeline, which retries a refused log, holds a copy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AggregateError {
    /// The group queue was full when a full group had to go ahead of the flush.
    #[error(
        "the log group queue is full ({held} groups held{}); retry later",
        key_text(key)
    )]
    QueueFull {
        /// The group key's values (empty without group keys).
        key: Vec<String>,
        /// The groups held for it.
        held: usize,
    },
    /// A full group had to go ahead of the flush before `init` gave the base a queue.
    #[error("no group queue: `AggregatorBase::init` was not called before `add`")]
    NoQueue,
}

/// ` for group key values ["a", "h1"]`, or nothing without group keys.
fn key_text(values: &[String]) -> String {
    if values.is_empty() {
        String::new()
    } else {
        format!(" for group key values {values:?}")
    }
}

/// The settings of an [`AggregatorBase`] and what `init` learns.
#[derive(Debug, Clone)]
struct Settings {
    group_keys: Vec<String>,
    max_log_count: usize,
    max_group_bytes: usize,
    max_log_group_count: usize,
    pack_id: bool,
    topic: String,
    /// The logstore, every group's category.
    category: String,
    /// The config name, the host IP and the start time: the pack-ID seed.
    source: String,
    host_ip: String,
    start_nanos: u64,
}

/// A group being filled or waiting for the flush.
#[derive(Debug)]
struct Held {
    group: LogGroup,
    bytes: usize,
    /// Category, topic and tags set (it went to the queue, which handed it back).
    sealed: bool,
}

/// The groups of one group key.
#[derive(Debug)]
struct Keyed {
    values: Vec<String>,
    pack: Option<PackIdGenerator>,
    held: VecDeque<Held>,
    /// A log came since the last flush.
    active: bool,
}

impl Keyed {
    /// Sets what a group carries when it leaves: category, topic, a tag per group key,
    /// then the pack ID.
    fn seal(&mut self, settings: &Settings, held: &mut Held) {
        if held.sealed {
            return;
        }
        held.sealed = true;
        let group = &mut held.group;
        group.category.clone_from(&settings.category);
        if !settings.topic.is_empty() {
            group.topic.clone_from(&settings.topic);
        }
        for (key, value) in settings.group_keys.iter().zip(&self.values) {
            group
                .log_tags
                .push(LogTag::new(key.as_str(), value.as_str()));
        }
        if let Some(pack) = &mut self.pack {
            pack.stamp(group);
        }
    }
}

/// What a V1 aggregator embeds to batch logs as iLogtail's aggregators do (Go's
/// `baseagg.AggregatorBase`, with `aggregator_content_value_group`'s grouping by key).
///
/// - **Group keys** ([`group_keys`](Self::group_keys)): logs are grouped by the values of
///   these contents (a missing content counts as empty); no keys, one group. Each emitted
///   group carries a tag per key (`key = value`).
/// - **Limits**: a group holds at most [`max_log_count`](Self::max_log_count) logs and
///   [`max_group_bytes`](Self::max_group_bytes) bytes ([`log_size`]); a full group is
///   closed and a new one started (a single log larger than the byte limit gets a group of
///   its own).
/// - **Early flush**: with [`max_log_group_count`](Self::max_log_group_count) groups held
///   for a key and the newest full, the oldest goes to the [`GroupQueue`] given to
///   [`init`](Self::init) at once, instead of waiting for the flush; when the queue is
///   full, [`add`](Self::add) refuses the log and the pipeline retries it.
/// - **Pack IDs** (on by default, as in iLogtail; [`pack_id`](Self::pack_id)): each
///   emitted group's last tag is `__pack_id__ = PREFIX-SEQ`, one [`PackIdGenerator`] per
///   group key, seeded with the config name, the key's values, the host IP, the start
///   time and how many keys came before (a key seen again gets a new prefix).
/// - Every emitted group's category is the logstore; its topic is
///   [`topic`](Self::topic) when set.
///
/// [`flush`](Self::flush) returns every group held, oldest first, key by key in the order
/// keys first came, and forgets them; with group keys, a key that got no log for a whole
/// flush interval is forgotten too (its next log starts a new pack-ID prefix), so that keys
/// seen once do not pile up.
///
/// Not `Clone`: it holds the queue.
pub struct AggregatorBase {
    settings: Settings,
    queue: Option<Box<dyn GroupQueue>>,
    keyed: Vec<Keyed>,
    /// Position in `keyed` by group-key values.
    index: HashMap<Vec<String>, usize>,
    /// The key the last log went to: runs of one key skip the map.
    last: usize,
    /// Keys made so far: part of each key's pack-ID seed, so that a key forgotten and seen
    /// again gets a new prefix rather than repeating IDs.
    made: u64,
}

impl fmt::Debug for AggregatorBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AggregatorBase")
            .field("settings", &self.settings)
            .field("has_queue", &self.queue.is_some())
            .field("keys", &self.keyed.len())
            .field("held", &self.held())
            .finish_non_exhaustive()
    }
}

impl Default for AggregatorBase {
    fn default() -> Self {
        Self::new()
    }
}

impl AggregatorBase {
    /// A base with iLogtail's defaults: no group keys, 1024 logs or 3 MiB a group, 4 groups
    /// held, pack IDs on, no topic.
    #[must_use]
    pub fn new() -> Self {
        Self {
            settings: Settings {
                group_keys: Vec::new(),
                max_log_count: DEFAULT_MAX_LOG_COUNT,
                max_group_bytes: DEFAULT_MAX_GROUP_BYTES,
                max_log_group_count: DEFAULT_MAX_LOG_GROUP_COUNT,
                pack_id: true,
                topic: String::new(),
                category: String::new(),
                source: String::new(),
                host_ip: String::new(),
                start_nanos: 0,
            },
            queue: None,
            keyed: Vec::new(),
            index: HashMap::new(),
            last: 0,
            made: 0,
        }
    }

    /// Groups logs by the values of these contents (none: one group).
    #[must_use]
    pub fn group_keys<K: Into<String>>(mut self, keys: impl IntoIterator<Item = K>) -> Self {
        self.settings.group_keys = keys.into_iter().map(Into::into).collect();
        self
    }
    /// The most logs in one group (at least 1).
    #[must_use]
    pub fn max_log_count(mut self, n: usize) -> Self {
        self.settings.max_log_count = n.max(1);
        self
    }
    /// The most bytes of logs in one group, as [`log_size`] counts them.
    #[must_use]
    pub fn max_group_bytes(mut self, n: usize) -> Self {
        self.settings.max_group_bytes = n;
        self
    }
    /// The most groups held per group key before the oldest goes to the queue (at least 1).
    #[must_use]
    pub fn max_log_group_count(mut self, n: usize) -> Self {
        self.settings.max_log_group_count = n.max(1);
        self
    }
    /// Whether emitted groups get a `__pack_id__` tag (on by default).
    #[must_use]
    pub fn pack_id(mut self, on: bool) -> Self {
        self.settings.pack_id = on;
        self
    }
    /// The topic of every emitted group, when not empty.
    #[must_use]
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.settings.topic = topic.into();
        self
    }

    /// Takes what the pipeline gives the aggregator's `init`: the logstore (every group's
    /// category), the config name, host IP and time (the pack-ID seed), and the queue full
    /// groups go to ahead of the flush: the pipeline's [`LogGroupQueue`](crate::LogGroupQueue)
    /// or a wrapper of it.
    pub fn init(&mut self, ctx: &Context, queue: impl GroupQueue + 'static) {
        self.settings.category = ctx.logstore().to_owned();
        self.settings.source = ctx.config_name().to_owned();
        self.settings.host_ip = ctx.host_ip().to_owned();
        self.settings.start_nanos = ctx.clock().now_nanos();
        self.queue = Some(Box::new(queue));
    }

    /// Adds one log to the group of its key.
    ///
    /// # Errors
    /// A full group had to go to the queue ahead of the flush and the queue was full
    /// ([`AggregateError::QueueFull`]), or there was no queue yet
    /// ([`AggregateError::NoQueue`]). The log is not taken.
    pub fn add(&mut self, log: Log) -> Result<(), AggregateError> {
        let size = log_size(&log);
        let i = self.key_index(&log);
        let Self {
            settings,
            queue,
            keyed,
            ..
        } = self;
        let k = &mut keyed[i];
        k.active = true;
        let full = k.held.back().is_none_or(|h| {
            h.group.logs.len() >= settings.max_log_count
                || (h.bytes > 0 && h.bytes + size > settings.max_group_bytes)
        });
        if full {
            if k.held.len() >= settings.max_log_group_count {
                let queue = queue.as_ref().ok_or(AggregateError::NoQueue)?;
                if let Some(mut oldest) = k.held.pop_front() {
                    k.seal(settings, &mut oldest);
                    let bytes = oldest.bytes;
                    if let Err(QueueError::Full(back)) = queue.add(oldest.group) {
                        k.held.push_front(Held {
                            group: *back,
                            bytes,
                            sealed: true,
                        });
                        return Err(AggregateError::QueueFull {
                            key: k.values.clone(),
                            held: k.held.len(),
                        });
                    }
                }
            }
            k.held.push_back(Held {
                group: LogGroup {
                    logs: Vec::with_capacity(settings.max_log_count.min(DEFAULT_MAX_LOG_COUNT)),
                    ..LogGroup::default()
                },
                bytes: 0,
                sealed: false,
            });
        }
        if let Some(h) = k.held.back_mut() {
            h.bytes += size;
            h.group.logs.push(log);
        }
        Ok(())
    }

    /// Every group held, sealed (category, topic, key tags, pack ID), oldest first, key by
    /// key; the base is left empty. Group keys that got no log since the previous flush are
    /// forgotten.
    pub fn flush(&mut self) -> Vec<LogGroup> {
        let mut out = Vec::with_capacity(self.held());
        let settings = &self.settings;
        for k in &mut self.keyed {
            for mut held in std::mem::take(&mut k.held) {
                if held.group.logs.is_empty() {
                    continue;
                }
                k.seal(settings, &mut held);
                out.push(held.group);
            }
        }
        let before = self.keyed.len();
        if !self.settings.group_keys.is_empty() {
            self.keyed.retain(|k| k.active);
        }
        if self.keyed.len() != before {
            self.index = self
                .keyed
                .iter()
                .enumerate()
                .map(|(i, k)| (k.values.clone(), i))
                .collect();
            self.last = 0;
        }
        for k in &mut self.keyed {
            k.active = false;
        }
        out
    }

    /// Drops every group held (`Reset`); keys and their pack-ID sequences stay.
    pub fn reset(&mut self) {
        for k in &mut self.keyed {
            k.held.clear();
        }
    }

    /// How many groups are held (closed and being filled), over every key.
    #[must_use]
    pub fn held(&self) -> usize {
        self.keyed.iter().map(|k| k.held.len()).sum()
    }

    /// The position of the log's key in `keyed`, adding the key when new.
    fn key_index(&mut self, log: &Log) -> usize {
        let keys = &self.settings.group_keys;
        let value = |key: &String| log.get(key).unwrap_or("");
        if let Some(k) = self.keyed.get(self.last) {
            if keys.iter().zip(&k.values).all(|(key, v)| value(key) == v) {
                return self.last;
            }
        }
        let values: Vec<String> = keys.iter().map(|key| value(key).to_owned()).collect();
        let i = match self.index.get(&values) {
            Some(&i) => i,
            None => {
                let made = self.made;
                self.made += 1;
                let pack = self.settings.pack_id.then(|| {
                    let mut source = self.settings.source.clone();
                    for v in &values {
                        source.push('_');
                        source.push_str(v);
                    }
                    source.push('#');
                    source.push_str(&made.to_string());
                    PackIdGenerator::new(&source, &self.settings.host_ip, self.settings.start_nanos)
                });
                self.keyed.push(Keyed {
                    values: values.clone(),
                    pack,
                    held: VecDeque::new(),
                    active: false,
                });
                self.index.insert(values, self.keyed.len() - 1);
                self.keyed.len() - 1
            }
        };
        self.last = i;
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HostIdentity, LogGroupQueue};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    fn ctx() -> Context {
        Context::builder()
            .config_name("cfg")
            .logstore("ls")
            .host(HostIdentity::new("h", "10.0.0.1"))
            .build()
    }

    fn log(service: Option<&str>, n: usize) -> Log {
        let mut l = Log::new(1, [("n", n.to_string())]);
        if let Some(s) = service {
            l.push("service", s);
        }
        l
    }

    fn tag<'a>(g: &'a LogGroup, key: &str) -> Option<&'a str> {
        g.log_tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    }

    fn ns(g: &LogGroup) -> Vec<&str> {
        g.logs.iter().filter_map(|l| l.get("n")).collect()
    }

    /// The sequence of a pack ID and its prefix.
    fn split_pack_id(id: &str) -> (&str, u64) {
        let (prefix, seq) = id.rsplit_once('-').expect("PREFIX-SEQ");
        assert!(
            !prefix.is_empty()
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()),
            "{id}"
        );
        assert!(
            seq.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()),
            "{id}"
        );
        (prefix, u64::from_str_radix(seq, 16).expect("hex"))
    }

    #[test]
    fn logs_are_grouped_by_key_values_and_groups_tagged() {
        let mut base = AggregatorBase::new().group_keys(["service"]).topic("t");
        base.init(&ctx(), LogGroupQueue::new(4));
        for (i, s) in [Some("a"), Some("b"), Some("a"), None, Some("b")]
            .iter()
            .enumerate()
        {
            base.add(log(*s, i)).unwrap();
        }
        let out = base.flush();
        assert_eq!(out.len(), 3);
        assert_eq!(
            out.iter().map(|g| tag(g, "service")).collect::<Vec<_>>(),
            [Some("a"), Some("b"), Some("")],
            "one group per value, in order of first appearance; missing = empty"
        );
        assert_eq!(ns(&out[0]), ["0", "2"]);
        assert_eq!(ns(&out[1]), ["1", "4"]);
        assert_eq!(ns(&out[2]), ["3"]);
        for g in &out {
            assert_eq!(g.category, "ls");
            assert_eq!(g.topic, "t");
            assert_eq!(
                g.log_tags.last().map(|t| t.key.as_str()),
                Some(PACK_ID_TAG_KEY)
            );
        }
        assert_eq!(base.held(), 0);
        assert!(base.flush().is_empty(), "flush forgets what it returned");

        // No group keys: one group, no key tag.
        let mut one = AggregatorBase::new();
        one.init(&ctx(), LogGroupQueue::new(4));
        one.add(log(Some("a"), 0)).unwrap();
        one.add(log(Some("b"), 1)).unwrap();
        let out = one.flush();
        assert_eq!(out.len(), 1);
        assert_eq!(ns(&out[0]), ["0", "1"]);
        assert_eq!(out[0].log_tags.len(), 1, "{:?}", out[0].log_tags);
    }

    #[test]
    fn pack_ids_count_up_per_key_with_a_prefix_per_key() {
        let mut base = AggregatorBase::new()
            .group_keys(["service"])
            .max_log_count(1);
        base.init(&ctx(), LogGroupQueue::new(4));
        let mut ids = Vec::new();
        for round in 0..3 {
            for i in 0..3 {
                base.add(log(Some("a"), round * 10 + i)).unwrap();
            }
            base.add(log(Some("b"), 99)).unwrap();
            ids.extend(base.flush().iter().map(|g| {
                (
                    tag(g, "service").unwrap().to_owned(),
                    tag(g, PACK_ID_TAG_KEY).unwrap().to_owned(),
                )
            }));
        }
        let a: Vec<_> = ids
            .iter()
            .filter(|(s, _)| s == "a")
            .map(|(_, id)| split_pack_id(id))
            .collect();
        let b: Vec<_> = ids
            .iter()
            .filter(|(s, _)| s == "b")
            .map(|(_, id)| split_pack_id(id))
            .collect();
        assert_eq!(
            a.iter().map(|(_, seq)| *seq).collect::<Vec<_>>(),
            (0..9).collect::<Vec<_>>()
        );
        assert_eq!(b.iter().map(|(_, seq)| *seq).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(a.iter().all(|(p, _)| *p == a[0].0), "one prefix per key");
        assert_ne!(a[0].0, b[0].0, "keys have prefixes of their own");

        // Sequence numbers are hex: the 11th ID ends in `A`.
        let mut gen = PackIdGenerator::with_prefix("P-");
        let all: Vec<String> = (0..11).map(|_| gen.next_id()).collect();
        assert_eq!(all[10], "P-A");
        // Same seed, same prefix; another start time, another.
        let p = |t| {
            PackIdGenerator::new("cfg", "10.0.0.1", t)
                .prefix()
                .to_owned()
        };
        assert_eq!(p(1), p(1));
        assert_ne!(p(1), p(2));

        let mut off = AggregatorBase::new().pack_id(false);
        off.init(&ctx(), LogGroupQueue::new(1));
        off.add(log(None, 0)).unwrap();
        assert!(off.flush()[0].log_tags.is_empty());
    }

    #[test]
    fn full_groups_are_closed_on_count_and_size() {
        let mut base = AggregatorBase::new().max_log_count(2).pack_id(false);
        base.init(&ctx(), LogGroupQueue::new(4));
        for i in 0..5 {
            base.add(log(None, i)).unwrap();
        }
        let out = base.flush();
        assert_eq!(
            out.iter().map(ns).collect::<Vec<_>>(),
            [vec!["0", "1"], vec!["2", "3"], vec!["4"]]
        );

        // Each log is 6 + (5 + 1 + 1) = 13 bytes: 30 bytes hold two.
        assert_eq!(log_size(&log(None, 1)), 13);
        let mut base = AggregatorBase::new().max_group_bytes(30).pack_id(false);
        base.init(&ctx(), LogGroupQueue::new(4));
        for i in 0..3 {
            base.add(log(None, i)).unwrap();
        }
        let big = Log::new(1, [("n", "9".repeat(100))]);
        base.add(big).unwrap();
        base.add(log(None, 5)).unwrap();
        let out = base.flush();
        assert_eq!(
            out.iter().map(|g| g.logs.len()).collect::<Vec<_>>(),
            [2, 1, 1, 1],
            "a log larger than the limit gets a group of its own"
        );
    }

    /// A wrapper queue as a plugin author writes one: counts and tags what goes through.
    struct Counting {
        inner: LogGroupQueue,
        seen: Arc<AtomicUsize>,
    }

    impl GroupQueue for Counting {
        fn add(&self, mut group: LogGroup) -> Result<(), QueueError> {
            self.seen.fetch_add(1, Ordering::SeqCst);
            group.log_tags.push(LogTag::new("via", "wrapper"));
            self.inner.add(group).map_err(|QueueError::Full(mut g)| {
                g.log_tags.pop();
                QueueError::Full(g)
            })
        }
        fn add_with_wait(&self, group: LogGroup, _timeout: Duration) -> Result<(), QueueError> {
            self.add(group)
        }
    }

    #[test]
    fn early_flush_goes_through_the_given_queue() {
        let inner = LogGroupQueue::new(1);
        let seen = Arc::new(AtomicUsize::new(0));
        let mut base = AggregatorBase::new()
            .group_keys(["service"])
            .max_log_count(1)
            .max_log_group_count(2);
        base.init(
            &ctx(),
            Counting {
                inner: inner.clone(),
                seen: Arc::clone(&seen),
            },
        );
        base.add(log(Some("a"), 0)).unwrap();
        base.add(log(Some("a"), 1)).unwrap();
        assert_eq!(
            seen.load(Ordering::SeqCst),
            0,
            "two groups held: no early flush yet"
        );
        base.add(log(Some("a"), 2)).unwrap();
        assert_eq!(seen.load(Ordering::SeqCst), 1);
        assert_eq!(base.held(), 2);
        let early = inner.drain();
        assert_eq!(early.len(), 1);
        assert_eq!(ns(&early[0]), ["0"]);
        assert_eq!(early[0].category, "ls");
        assert_eq!(tag(&early[0], "service"), Some("a"));
        assert_eq!(tag(&early[0], "via"), Some("wrapper"));
        let first_id = tag(&early[0], PACK_ID_TAG_KEY).unwrap().to_owned();
        assert_eq!(split_pack_id(&first_id).1, 0);

        // The queue fills: the log is refused and the oldest group stays.
        base.add(log(Some("a"), 3)).unwrap();
        let err = base.add(log(Some("a"), 4)).unwrap_err();
        assert!(
            matches!(err, AggregateError::QueueFull { held: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("queue is full"), "{err}");
        assert_eq!(base.held(), 2);
        // Room again: the retry goes through, and the group handed back keeps its one ID.
        let queued = inner.drain();
        assert_eq!(ns(&queued[0]), ["1"]);
        base.add(log(Some("a"), 4)).unwrap();
        let retried = inner.drain();
        assert_eq!(ns(&retried[0]), ["2"]);
        let ids: Vec<_> = retried[0]
            .log_tags
            .iter()
            .filter(|t| t.key == PACK_ID_TAG_KEY)
            .collect();
        assert_eq!(ids.len(), 1, "{:?}", retried[0].log_tags);
        let rest = base.flush();
        assert_eq!(
            rest.iter().map(ns).collect::<Vec<_>>(),
            [vec!["3"], vec!["4"]]
        );
        let seqs: Vec<u64> = [&queued[0], &retried[0], &rest[0], &rest[1]]
            .iter()
            .map(|g| split_pack_id(tag(g, PACK_ID_TAG_KEY).unwrap()).1)
            .collect();
        assert_eq!(seqs, [1, 2, 3, 4], "one sequence, in the order groups left");
    }

    #[test]
    fn without_a_queue_an_early_flush_is_an_error_not_a_panic() {
        let mut base = AggregatorBase::new()
            .max_log_count(1)
            .max_log_group_count(1);
        base.add(log(None, 0)).unwrap();
        let err = base.add(log(None, 1)).unwrap_err();
        assert!(matches!(err, AggregateError::NoQueue));
        assert!(err.to_string().contains("`AggregatorBase::init`"), "{err}");
    }

    #[test]
    fn idle_keys_are_forgotten_and_reset_drops_groups() {
        let pack = |g: &LogGroup| {
            let (prefix, seq) = split_pack_id(tag(g, PACK_ID_TAG_KEY).unwrap());
            (prefix.to_owned(), seq)
        };
        let mut base = AggregatorBase::new().group_keys(["service"]);
        base.init(&ctx(), LogGroupQueue::new(1));
        base.add(log(Some("a"), 0)).unwrap();
        base.add(log(Some("b"), 1)).unwrap();
        let out = base.flush();
        assert_eq!(out.len(), 2);
        let first_a = pack(&out[0]);
        base.add(log(Some("b"), 2)).unwrap();
        assert_eq!(base.flush().len(), 1);
        assert_eq!(base.keyed.len(), 1, "`a` had no log for a whole interval");
        base.add(log(Some("a"), 3)).unwrap();
        base.add(log(Some("b"), 4)).unwrap();
        let out = base.flush();
        assert_eq!(
            out.iter()
                .map(|g| tag(g, "service").unwrap())
                .collect::<Vec<_>>(),
            ["b", "a"]
        );
        let again_a = pack(&out[1]);
        assert_eq!(again_a.1, 0, "`a` starts again");
        assert_ne!(
            again_a.0, first_a.0,
            "with a new prefix: no ID is given twice"
        );
        base.add(log(Some("a"), 5)).unwrap();
        base.reset();
        assert_eq!(base.held(), 0);
        assert!(base.flush().is_empty());

        // Without group keys the one group stays through idle intervals: one sequence.
        let mut one = AggregatorBase::new();
        one.init(&ctx(), LogGroupQueue::new(1));
        one.add(log(None, 0)).unwrap();
        let a = pack(&one.flush()[0]);
        assert!(one.flush().is_empty(), "an idle interval");
        one.add(log(None, 1)).unwrap();
        let b = pack(&one.flush()[0]);
        assert_eq!(b, (a.0, 1));
    }
}
