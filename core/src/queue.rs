//! [`LogGroupQueue`]: where V1 aggregators may push groups on their own, and [`GroupQueue`],
//! the trait a wrapper queue implements.

use crate::error::QueueError;
use crate::protocol::LogGroup;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use std::time::Duration;

/// A bounded queue of [`LogGroup`]s (Go's `pipeline.LogGroupQueue`), handed to aggregators
/// in `init` so they can emit before the next flush. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LogGroupQueue {
    tx: Sender<LogGroup>,
    rx: Receiver<LogGroup>,
}

impl LogGroupQueue {
    /// The largest capacity [`new`](Self::new) gives: the queue's slots are allocated up
    /// front, so a capacity from a config must not be taken at face value.
    pub const MAX_CAPACITY: usize = 65_536;

    /// A queue holding at most `capacity` groups (at least 1, at most
    /// [`MAX_CAPACITY`](Self::MAX_CAPACITY); a larger capacity is lowered, with a warning).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        if capacity > Self::MAX_CAPACITY {
            tracing::warn!(
                target: "pipeplug::queue",
                capacity,
                max = Self::MAX_CAPACITY,
                "log group queue capacity lowered to the maximum"
            );
        }
        let (tx, rx) = crossbeam_channel::bounded(capacity.clamp(1, Self::MAX_CAPACITY));
        Self { tx, rx }
    }

    /// Adds a group without blocking (`Add`).
    ///
    /// # Errors
    /// [`QueueError::Full`] when the queue is full; the group is handed back.
    pub fn add(&self, group: LogGroup) -> Result<(), QueueError> {
        self.tx.try_send(group).map_err(|e| match e {
            TrySendError::Full(g) | TrySendError::Disconnected(g) => QueueError::Full(Box::new(g)),
        })
    }

    /// Adds a group, waiting up to `timeout` for room (`AddWithWait`).
    ///
    /// # Errors
    /// [`QueueError::Full`] when there was no room in time.
    pub fn add_with_wait(&self, group: LogGroup, timeout: Duration) -> Result<(), QueueError> {
        self.tx
            .send_timeout(group, timeout)
            .map_err(|e| QueueError::Full(Box::new(e.into_inner())))
    }

    /// Takes every queued group (the runner and the harness read the queue this way).
    #[must_use]
    pub fn drain(&self) -> Vec<LogGroup> {
        self.rx.try_iter().collect()
    }

    /// The channel to read groups from as they come.
    #[must_use]
    pub fn receiver(&self) -> &Receiver<LogGroup> {
        &self.rx
    }
}

/// Where a V1 aggregator hands groups it wants flushed before the next interval (Go's
/// `pipeline.LogGroupQueue` interface).
///
/// [`LogGroupQueue`], the queue the pipeline gives `Aggregator::init`, implements it. Write
/// your own to change groups on their way (add tags, count them) and pass them on, as Go
/// plugins wrap the queue they are given:
///
/// ```
/// use pipeplug::protocol::{LogGroup, LogTag};
/// use pipeplug::{GroupQueue, LogGroupQueue, QueueError};
/// use std::time::Duration;
///
/// /// Tags each group with its shard before it goes.
/// struct Sharded { shard: String, inner: LogGroupQueue }
///
/// impl GroupQueue for Sharded {
///     fn add(&self, mut group: LogGroup) -> Result<(), QueueError> {
///         group.log_tags.push(LogTag::new("shard", self.shard.clone()));
///         self.inner.add(group)
///     }
///     fn add_with_wait(&self, mut group: LogGroup, timeout: Duration) -> Result<(), QueueError> {
///         group.log_tags.push(LogTag::new("shard", self.shard.clone()));
///         self.inner.add_with_wait(group, timeout)
///     }
/// }
///
/// let inner = LogGroupQueue::new(1);
/// let q = Sharded { shard: "a".into(), inner: inner.clone() };
/// q.add(LogGroup::default()).unwrap();
/// assert!(matches!(q.add(LogGroup::default()), Err(QueueError::Full(_))));
/// assert_eq!(inner.drain()[0].log_tags[0].value, "a");
/// ```
pub trait GroupQueue: Send + Sync {
    /// Adds a group without blocking (`Add`).
    ///
    /// # Errors
    /// [`QueueError::Full`] when there is no room; the group is handed back.
    fn add(&self, group: LogGroup) -> Result<(), QueueError>;

    /// Adds a group, waiting up to `timeout` for room (`AddWithWait`).
    ///
    /// # Errors
    /// [`QueueError::Full`] when there was no room in time; the group is handed back.
    fn add_with_wait(&self, group: LogGroup, timeout: Duration) -> Result<(), QueueError>;
}

impl GroupQueue for LogGroupQueue {
    fn add(&self, group: LogGroup) -> Result<(), QueueError> {
        LogGroupQueue::add(self, group)
    }
    fn add_with_wait(&self, group: LogGroup, timeout: Duration) -> Result<(), QueueError> {
        LogGroupQueue::add_with_wait(self, group, timeout)
    }
}

impl<Q: GroupQueue + ?Sized> GroupQueue for std::sync::Arc<Q> {
    fn add(&self, group: LogGroup) -> Result<(), QueueError> {
        (**self).add(group)
    }
    fn add_with_wait(&self, group: LogGroup, timeout: Duration) -> Result<(), QueueError> {
        (**self).add_with_wait(group, timeout)
    }
}

impl<Q: GroupQueue + ?Sized> GroupQueue for Box<Q> {
    fn add(&self, group: LogGroup) -> Result<(), QueueError> {
        (**self).add(group)
    }
    fn add_with_wait(&self, group: LogGroup, timeout: Duration) -> Result<(), QueueError> {
        (**self).add_with_wait(group, timeout)
    }
}
