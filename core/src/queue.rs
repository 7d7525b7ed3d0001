//! [`LogGroupQueue`]: where V1 aggregators may push groups on their own.

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
