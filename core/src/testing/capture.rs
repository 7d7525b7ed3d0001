//! [`Capture`] and [`Emitted`]: what inputs (and other plugins) emit, seen as V1 logs or V2
//! events whichever interface emitted it.

use crate::collector::{LogContext, LogWithContext};
use crate::convert;
use crate::models::{GroupInfo, Metric, PipelineEvent, PipelineGroupEvents};
use crate::protocol::Log;
use crate::{Clock, Collector, PipelineCollector, PipelineContext};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One thing a plugin emitted: a V1 log (through a [`Collector`]) or a V2 group (through a
/// [`PipelineCollector`]), as it was emitted.
#[derive(Debug, Clone, PartialEq)]
pub enum Emission {
    /// A log added to a V1 collector, with its context.
    Log(LogWithContext),
    /// A group collected into a V2 collector (one `collect` call).
    Group(PipelineGroupEvents),
}

/// What a plugin emitted, in order, readable in V1 form ([`logs`](Self::logs)) and in V2
/// form ([`groups`](Self::groups), [`events`](Self::events)) whichever interface emitted it.
///
/// The views convert with [`convert`](crate::convert), as the adapters do: a V2 group seen
/// as V1 logs gives one log per event (a metric as `__name__`/`__labels__`/`__value__`/
/// `__time_nano__`, group tags as `__tag__:key` contents); a V1 log seen as V2 is a log
/// event in a group of its own, its `__tag__:key` contents moved into the event's tags.
///
/// ```
/// use pipeplug::testing::Capture;
/// use pipeplug::models::{GroupInfo, Metric, MetricType, Tags};
///
/// let capture = Capture::new();
/// // What a V2 input does:
/// let metric = Metric::single("m", MetricType::Counter, Tags::new(), 7_000_000_000, 1.0);
/// capture.pipeline_context().collector().collect(GroupInfo::default(), vec![metric.into()]);
///
/// let out = capture.emitted();
/// assert_eq!(out.metrics()[0].name, "m");             // V2 view
/// assert_eq!(out.logs()[0].get("__name__"), Some("m")); // V1 view
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Emitted {
    items: Vec<Emission>,
}

impl Emitted {
    /// Everything, as emitted.
    #[must_use]
    pub fn emissions(&self) -> &[Emission] {
        &self.items
    }

    /// Whether nothing was emitted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Everything as V1 logs.
    #[must_use]
    pub fn logs(&self) -> Vec<Log> {
        self.items
            .iter()
            .flat_map(|e| match e {
                Emission::Log(l) => vec![l.log.clone()],
                Emission::Group(g) => convert::group_to_v1_logs(g),
            })
            .collect()
    }

    /// The contexts of the V1 logs (`None` for logs added without one); V2 groups give
    /// none.
    #[must_use]
    pub fn log_contexts(&self) -> Vec<Option<LogContext>> {
        self.items
            .iter()
            .filter_map(|e| match e {
                Emission::Log(l) => Some(l.context.clone()),
                Emission::Group(_) => None,
            })
            .collect()
    }

    /// Everything as V2 groups: collected groups as they are, each V1 log as a group of one
    /// log event.
    #[must_use]
    pub fn groups(&self) -> Vec<PipelineGroupEvents> {
        self.items
            .iter()
            .map(|e| match e {
                Emission::Log(l) => PipelineGroupEvents::new(
                    GroupInfo::default(),
                    vec![PipelineEvent::Log(convert::v1_log_to_v2_with_tags(&l.log))],
                ),
                Emission::Group(g) => g.clone(),
            })
            .collect()
    }

    /// Every V2 event, in order (see [`groups`](Self::groups)).
    #[must_use]
    pub fn events(&self) -> Vec<PipelineEvent> {
        self.groups().into_iter().flat_map(|g| g.events).collect()
    }

    /// The V2 metric events.
    #[must_use]
    pub fn metrics(&self) -> Vec<Metric> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                PipelineEvent::Metric(m) => Some(m),
                _ => None,
            })
            .collect()
    }
}

/// A shared, in-memory sink for both interfaces: a V1 [`Collector`] and a V2
/// [`PipelineContext`] that record into the same [`Emitted`].
///
/// Cheap to clone; clones share the record. The harnesses use one per plugin; use it
/// directly to call a plugin method by hand.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    items: Arc<Mutex<Vec<Emission>>>,
}

impl Capture {
    /// An empty capture.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Emission>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A V1 collector recording here; logs without a time get the system time.
    #[must_use]
    pub fn collector(&self) -> Collector {
        self.collector_with_clock(Clock::Real)
    }

    /// A V1 collector recording here; logs without a time get `clock`'s time.
    #[must_use]
    pub fn collector_with_clock(&self, clock: Clock) -> Collector {
        let items = Arc::clone(&self.items);
        Collector::new(Arc::new(move |l: LogWithContext| {
            items
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Emission::Log(l));
        }))
        .with_clock(clock)
    }

    /// A V2 context whose collector records here (each `collect` call is one group).
    #[must_use]
    pub fn pipeline_context(&self) -> PipelineContext {
        let items = Arc::clone(&self.items);
        PipelineContext::new(PipelineCollector::from_sink(Arc::new(
            move |g: PipelineGroupEvents| {
                items
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(Emission::Group(g));
            },
        )))
    }

    /// Everything recorded so far.
    #[must_use]
    pub fn emitted(&self) -> Emitted {
        Emitted {
            items: self.lock().clone(),
        }
    }

    /// Everything recorded so far, forgetting it.
    #[must_use]
    pub fn take(&self) -> Emitted {
        Emitted {
            items: std::mem::take(&mut *self.lock()),
        }
    }

    /// What was recorded after the first `from` emissions.
    pub(crate) fn since(&self, from: usize) -> Emitted {
        Emitted {
            items: self.lock().get(from..).unwrap_or_default().to_vec(),
        }
    }

    /// How many emissions are recorded.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}
