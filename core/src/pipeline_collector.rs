//! The V2 [`PipelineContext`] and [`PipelineCollector`].

use crate::models::{GroupInfo, PipelineEvent, PipelineGroupEvents};
use crossbeam_channel::{Receiver, Sender};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Where a custom [`PipelineCollector`] sends groups (see [`PipelineCollector::from_sink`]).
pub trait GroupSink: Send + Sync {
    /// Takes one group. May block to push back on the producer.
    fn send(&self, group: PipelineGroupEvents);
}

impl<F: Fn(PipelineGroupEvents) + Send + Sync> GroupSink for F {
    fn send(&self, group: PipelineGroupEvents) {
        self(group);
    }
}

enum Inner {
    /// A bounded channel: `collect` blocks while it is full (`NewObservePipelineContext`).
    Observe {
        tx: Mutex<Option<Sender<PipelineGroupEvents>>>,
        rx: Receiver<PipelineGroupEvents>,
    },
    /// Groups kept in memory, events of equal groups merged (`NewGroupedPipelineContext`).
    Grouped(Mutex<Vec<PipelineGroupEvents>>),
    /// Events handed to a sink.
    Sink(Arc<dyn GroupSink>),
    /// Events dropped (`NewNoopPipelineContext`).
    Noop,
}

/// Where V2 plugins put events (Go's `pipeline.PipelineCollector`).
///
/// Cheap to clone, `Send + Sync`; clones share the same destination.
///
/// ```
/// use pipeplug::models::{GroupInfo, Metric, MetricType, Tags};
/// use pipeplug::PipelineCollector;
/// let collector = PipelineCollector::grouped();
/// let metric = Metric::single("m", MetricType::Counter, Tags::new(), 1, 1.0);
/// collector.collect(GroupInfo::default(), vec![metric.clone().into()]);
/// collector.collect(GroupInfo::default(), vec![metric.into()]);
/// let groups = collector.to_array();
/// assert_eq!(groups.len(), 1); // equal groups are merged
/// assert_eq!(groups[0].events.len(), 2);
/// ```
#[derive(Clone)]
pub struct PipelineCollector {
    inner: Arc<Inner>,
}

impl fmt::Debug for PipelineCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &*self.inner {
            Inner::Observe { .. } => "observe",
            Inner::Grouped(_) => "grouped",
            Inner::Sink(_) => "sink",
            Inner::Noop => "noop",
        };
        f.debug_struct("PipelineCollector")
            .field("kind", &kind)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl PipelineCollector {
    fn from_inner(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The largest capacity [`observe_with_capacity`](Self::observe_with_capacity) gives:
    /// the channel's slots are allocated up front, so a capacity from a config must not be
    /// taken at face value.
    pub const MAX_CAPACITY: usize = 65_536;

    /// A collector backed by a channel of `capacity` groups (at least 1, at most
    /// [`MAX_CAPACITY`](Self::MAX_CAPACITY); a larger capacity is lowered, with a warning);
    /// `collect` blocks while it is full. Read it with [`observe`](Self::observe) or
    /// [`to_array`](Self::to_array).
    #[must_use]
    pub fn observe_with_capacity(capacity: usize) -> Self {
        if capacity > Self::MAX_CAPACITY {
            tracing::warn!(
                target: "pipeplug::collector",
                capacity,
                max = Self::MAX_CAPACITY,
                "observe collector capacity lowered to the maximum"
            );
        }
        let (tx, rx) = crossbeam_channel::bounded(capacity.clamp(1, Self::MAX_CAPACITY));
        Self::from_inner(Inner::Observe {
            tx: Mutex::new(Some(tx)),
            rx,
        })
    }

    /// A collector that keeps groups in memory, merging events of equal groups.
    #[must_use]
    pub fn grouped() -> Self {
        Self::from_inner(Inner::Grouped(Mutex::new(Vec::new())))
    }

    /// A collector that drops everything.
    #[must_use]
    pub fn noop() -> Self {
        Self::from_inner(Inner::Noop)
    }

    /// A collector handing every group to `sink`.
    #[must_use]
    pub fn from_sink(sink: Arc<dyn GroupSink>) -> Self {
        Self::from_inner(Inner::Sink(sink))
    }

    /// Adds `events` of `group` (`Collect`). Nothing is sent when `events` is empty.
    pub fn collect(&self, group: GroupInfo, events: Vec<PipelineEvent>) {
        if events.is_empty() {
            return;
        }
        self.collect_group(PipelineGroupEvents { group, events });
    }

    /// Adds whole groups (`CollectList`).
    pub fn collect_list(&self, groups: impl IntoIterator<Item = PipelineGroupEvents>) {
        for g in groups {
            if !g.events.is_empty() {
                self.collect_group(g);
            }
        }
    }

    fn collect_group(&self, group: PipelineGroupEvents) {
        match &*self.inner {
            Inner::Observe { tx, .. } => {
                let tx = lock(tx).clone();
                match tx {
                    Some(tx) => {
                        // Cannot fail while we hold a sender: the receiver lives in `inner`.
                        let _ = tx.send(group);
                    }
                    None => tracing::warn!("pipeplug: collect after close; group dropped"),
                }
            }
            Inner::Grouped(groups) => {
                let mut groups = lock(groups);
                match groups.iter_mut().find(|g| g.group == group.group) {
                    Some(existing) => existing.events.extend(group.events),
                    None => groups.push(group),
                }
            }
            Inner::Sink(sink) => sink.send(group),
            Inner::Noop => {}
        }
    }

    /// Takes everything collected so far (`ToArray`; it drains).
    #[must_use]
    pub fn to_array(&self) -> Vec<PipelineGroupEvents> {
        match &*self.inner {
            Inner::Observe { rx, .. } => rx.try_iter().collect(),
            Inner::Grouped(groups) => std::mem::take(&mut *lock(groups)),
            Inner::Sink(_) | Inner::Noop => Vec::new(),
        }
    }

    /// Moves everything collected so far to the end of `out` (as [`to_array`](Self::to_array),
    /// without a new vector: a collector read after each call keeps its buffer).
    pub fn drain_into(&self, out: &mut Vec<PipelineGroupEvents>) {
        match &*self.inner {
            Inner::Observe { rx, .. } => out.extend(rx.try_iter()),
            Inner::Grouped(groups) => out.append(&mut lock(groups)),
            Inner::Sink(_) | Inner::Noop => {}
        }
    }

    /// The channel to read groups from as they come (`Observe`); `None` for collectors that
    /// are not channel-backed.
    #[must_use]
    pub fn observe(&self) -> Option<Receiver<PipelineGroupEvents>> {
        match &*self.inner {
            Inner::Observe { rx, .. } => Some(rx.clone()),
            _ => None,
        }
    }

    /// Closes the collector (`Close`): readers of [`observe`](Self::observe) see the end once
    /// they have read what is queued; later `collect`s are dropped with a warning.
    pub fn close(&self) {
        if let Inner::Observe { tx, .. } = &*self.inner {
            lock(tx).take();
        }
    }
}

/// What V2 plugins receive to emit events (Go's `pipeline.PipelineContext`).
#[derive(Debug, Clone)]
pub struct PipelineContext {
    collector: PipelineCollector,
}

impl PipelineContext {
    /// A context emitting into `collector`.
    #[must_use]
    pub fn new(collector: PipelineCollector) -> Self {
        Self { collector }
    }

    /// A context over [`PipelineCollector::observe_with_capacity`]
    /// (`helper.NewObservePipelineContext`).
    #[must_use]
    pub fn observe(capacity: usize) -> Self {
        Self::new(PipelineCollector::observe_with_capacity(capacity))
    }

    /// A context over [`PipelineCollector::grouped`] (`helper.NewGroupedPipelineContext`).
    #[must_use]
    pub fn grouped() -> Self {
        Self::new(PipelineCollector::grouped())
    }

    /// A context over [`PipelineCollector::noop`] (`helper.NewNoopPipelineContext`).
    #[must_use]
    pub fn noop() -> Self {
        Self::new(PipelineCollector::noop())
    }

    /// Where to put events (`Collector()`).
    #[must_use]
    pub fn collector(&self) -> &PipelineCollector {
        &self.collector
    }
}
