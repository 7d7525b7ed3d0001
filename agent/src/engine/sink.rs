//! Where inputs put data: a bounded queue of batches that blocks a fast input
//! (back-pressure), hands data over in batches while the processing thread is busy and at
//! once while it waits, and, once the inputs are stopped, drops (and counts) what a stray
//! input thread still sends.
//!
//! Inputs add one item (a V1 log, a V2 group) at a time to the *open batch*. The open batch
//! goes into the queue when it is full, or at once when the processing thread is waiting for
//! data ([`InputQueue::wait_idle`]); the processing thread also takes it as it is whenever the
//! queue is empty. So under load one hand-off between threads moves up to a batch of items,
//! and at a low rate nothing waits for a batch to fill: an item reaches the processing thread
//! as soon as it is free.
//!
//! When the stop begins, an input blocked on the full queue is released once the queue has
//! stayed full for [`RELEASE_AFTER`] (a pipeline held back by a blocked flusher would
//! otherwise keep the input's thread, and the stop, waiting): the batch it was handing over
//! goes back to the open batch, which the processing thread drains like the queue.

use super::counts::{PluginStats, QueueDepth};
use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};
use pipeplug::models::PipelineGroupEvents;
use pipeplug::{GroupSink, LogSink, LogWithContext};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How often a blocked input looks at whether the inputs were stopped.
const CLOSED_POLL: Duration = Duration::from_millis(50);
/// Items the open batch has room for when it starts.
const OPEN_ROOM: usize = 64;
/// How long the processing thread, finding nothing, pauses before it waits for the next item.
const LINGER: Duration = Duration::from_micros(200);
/// How long after the stop began a push blocked on the full queue gives up.
pub(crate) const RELEASE_AFTER: Duration = Duration::from_millis(500);

/// The batch items are added to, and whether the inputs were closed (both under one lock, so
/// that nothing is added after the processing thread's last look).
struct Open<T> {
    items: Vec<T>,
    closed: bool,
    /// Events that entered the queue (counted here, under the lock taken anyway).
    accepted: u64,
}

/// The input end of a pipeline's input queue.
pub(crate) struct InputSink<T> {
    tx: Sender<Vec<T>>,
    open: Mutex<Open<T>>,
    /// Items per batch.
    batch: usize,
    /// The processing thread is waiting for data: hand every item over at once.
    idle: AtomicBool,
    /// When the pipeline's stop began.
    stopping_since: OnceLock<Instant>,
    /// Events refused because the pipeline was stopping.
    pub dropped: AtomicU64,
}

impl<T> std::fmt::Debug for InputSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputSink")
            .field("batch", &self.batch)
            .field("dropped", &self.dropped)
            .finish_non_exhaustive()
    }
}

/// The processing thread's end of a pipeline's input queue.
pub(crate) struct InputQueue<T> {
    sink: Arc<InputSink<T>>,
    rx: Receiver<Vec<T>>,
}

/// A queue of about `capacity` items (at least two batches), handed over in batches of at
/// most `batch` items: the inputs' end and the processing thread's.
pub(crate) fn input_queue<T>(capacity: usize, batch: usize) -> (Arc<InputSink<T>>, InputQueue<T>) {
    let batch = batch.max(1);
    let (tx, rx) = crossbeam_channel::bounded(capacity.div_ceil(batch).max(2));
    let sink = Arc::new(InputSink {
        tx,
        open: Mutex::new(Open {
            items: Vec::new(),
            closed: false,
            accepted: 0,
        }),
        batch,
        idle: AtomicBool::new(false),
        stopping_since: OnceLock::new(),
        dropped: AtomicU64::new(0),
    });
    let queue = InputQueue {
        sink: Arc::clone(&sink),
        rx,
    };
    (sink, queue)
}

impl<T> InputSink<T> {
    fn open(&self) -> MutexGuard<'_, Open<T>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stop began: a push blocked on the full queue gives up after [`RELEASE_AFTER`].
    pub(crate) fn begin_stop(&self) {
        let _ = self.stopping_since.set(Instant::now());
    }

    fn released(&self) -> bool {
        self.stopping_since
            .get()
            .is_some_and(|t| t.elapsed() >= RELEASE_AFTER)
    }

    /// How many batches are queued, of how many it holds.
    pub(crate) fn queue_depth(&self) -> QueueDepth {
        QueueDepth {
            len: self.tx.len(),
            capacity: self.tx.capacity().unwrap_or(0),
        }
    }

    /// Events that entered the queue so far.
    pub(crate) fn accepted(&self) -> u64 {
        self.open().accepted
    }

    /// Refuses everything from now on (what was accepted stays for the processing thread).
    pub(crate) fn close(&self) {
        self.open().closed = true;
    }

    /// Adds `item` (`events` events) to the open batch; hands the batch over when it is full
    /// or the processing thread waits.
    fn push(&self, item: T, events: u64) {
        self.push_counted(item, events, None);
    }

    /// [`Self::push`], counting the events in `input`'s stats (under the lock) once queued.
    fn push_counted(&self, item: T, events: u64, input: Option<&PluginStats>) {
        let ready = {
            let mut open = self.open();
            if open.closed {
                drop(open);
                self.dropped.fetch_add(events, Ordering::Relaxed);
                return;
            }
            if let Some(stats) = input {
                stats.add_out_locked(events);
            }
            if open.items.capacity() == 0 {
                // Room for a batch as it usually comes under load (not a full one of 1024
                // V1 logs, 112 kB, for an item that may go alone).
                open.items.reserve(self.batch.min(OPEN_ROOM));
            }
            open.items.push(item);
            open.accepted += events;
            // The first item after the processing thread began to wait wakes it; the next
            // ones gather until it waits again. (Read under the lock, which the processing
            // thread takes after raising the flag: an item added before is taken by it.)
            let wake = self.idle.load(Ordering::Relaxed) && self.idle.swap(false, Ordering::SeqCst);
            if wake || open.items.len() >= self.batch {
                Some(std::mem::take(&mut open.items))
            } else {
                None
            }
        };
        if let Some(batch) = ready {
            self.hand_over(batch);
        }
    }

    /// Puts `batch` in the queue, waiting while it is full (back-pressure) until the stop
    /// releases the wait; a released batch goes back to the open batch.
    fn hand_over(&self, batch: Vec<T>) {
        let mut batch = match self.tx.try_send(batch) {
            Ok(()) => return,
            Err(TrySendError::Full(back)) => back,
            Err(TrySendError::Disconnected(back)) => return Self::orphaned(&back),
        };
        loop {
            if self.released() {
                break;
            }
            match self.tx.send_timeout(batch, CLOSED_POLL) {
                Ok(()) => return,
                Err(SendTimeoutError::Timeout(back)) => batch = back,
                Err(SendTimeoutError::Disconnected(back)) => return Self::orphaned(&back),
            }
        }
        // Accepted already: the processing thread drains it with the open batch.
        let mut open = self.open();
        batch.append(&mut open.items);
        open.items = batch;
    }
}

impl<T> InputSink<T> {
    /// The processing thread has ended before the inputs were closed (it only ends after,
    /// unless the engine itself failed): `batch` cannot go anywhere. It is dropped, and said
    /// (its events stay counted in, and so show as lost in the stop report).
    fn orphaned(batch: &[T]) {
        tracing::error!(
            items = batch.len(),
            "the pipeline's processing thread has ended: {} items from inputs are dropped",
            batch.len()
        );
    }
}

impl<T> InputQueue<T> {
    /// The channel that signals a full batch (for `select!`); take batches with
    /// [`take`](Self::take) or [`wait_idle`](Self::wait_idle).
    pub(crate) fn receiver(&self) -> &Receiver<Vec<T>> {
        &self.rx
    }

    /// What is there now: the next full batch, else the open one as it is; `None` when
    /// there is nothing.
    pub(crate) fn take(&self) -> Option<Vec<T>> {
        if let Ok(batch) = self.rx.try_recv() {
            return Some(batch);
        }
        let mut open = self.sink.open();
        if open.items.is_empty() {
            return None;
        }
        Some(std::mem::take(&mut open.items))
    }

    /// Takes what is there, or, when there is nothing, marks the processing thread as waiting
    /// (inputs then hand every item over at once) and returns `None`: wait on
    /// [`receiver`](Self::receiver), then call [`busy`](Self::busy).
    pub(crate) fn wait_idle(&self) -> Option<Vec<T>> {
        if let Some(batch) = self.take() {
            return Some(batch);
        }
        // Nothing yet: the inputs may just be slower than this thread. Waking it for each of
        // their items would cost more than the items; a moment's pause lets them gather a
        // batch first (and costs an item that comes during it at most the pause).
        std::thread::sleep(LINGER);
        if let Some(batch) = self.take() {
            return Some(batch);
        }
        self.sink.idle.store(true, Ordering::SeqCst);
        // An item added before the flag was seen is in the open batch: take it now.
        let late = self.take();
        if late.is_some() {
            self.busy();
        }
        late
    }

    /// The processing thread is at work again: inputs batch what they add.
    pub(crate) fn busy(&self) {
        self.sink.idle.store(false, Ordering::SeqCst);
    }

    /// Takes everything left (full batches and the open one), counting its events with
    /// `events`.
    pub(crate) fn take_all(&self, events: impl Fn(&T) -> u64) -> u64 {
        let mut n = 0;
        while let Some(batch) = self.take() {
            n += batch.iter().map(&events).sum::<u64>();
        }
        n
    }
}

impl LogSink for InputSink<LogWithContext> {
    fn send(&self, log: LogWithContext) {
        self.push(log, 1);
    }
}

impl GroupSink for InputSink<PipelineGroupEvents> {
    fn send(&self, group: PipelineGroupEvents) {
        let n = group.events.len() as u64;
        self.push(group, n);
    }
}

/// One input's end of the input queue: counts what the input sends, once accepted, in its
/// stats (its events out).
pub(crate) struct CountingSink<T> {
    pub inner: Arc<InputSink<T>>,
    pub stats: Arc<PluginStats>,
}

impl LogSink for CountingSink<LogWithContext> {
    fn send(&self, log: LogWithContext) {
        self.inner.push_counted(log, 1, Some(&self.stats));
    }
}

impl GroupSink for CountingSink<PipelineGroupEvents> {
    fn send(&self, group: PipelineGroupEvents) {
        let n = group.events.len() as u64;
        self.inner.push_counted(group, n, Some(&self.stats));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_consumer_gets_batches_and_an_idle_one_each_item_at_once() {
        let (sink, queue) = input_queue::<u32>(8, 4);
        // Busy: items gather in the open batch; a full batch goes into the queue.
        for i in 0..6 {
            sink.push(i, 1);
        }
        assert_eq!(queue.take(), Some(vec![0, 1, 2, 3]));
        assert_eq!(queue.take(), Some(vec![4, 5]));
        assert_eq!(queue.wait_idle(), None);
        // Waiting: the next item is handed over alone, at once.
        sink.push(6, 1);
        assert_eq!(queue.receiver().try_recv().ok(), Some(vec![6]));
        queue.busy();
        sink.push(7, 1);
        assert!(queue.receiver().is_empty());
        assert_eq!(queue.take(), Some(vec![7]));
        assert_eq!(sink.accepted(), 8);
    }

    #[test]
    fn with_the_processing_thread_gone_a_full_batch_is_dropped_not_kept() {
        let (sink, queue) = input_queue::<u32>(4, 2);
        drop(queue);
        for i in 0..10 {
            sink.push(i, 1);
        }
        // Each full batch of two was dropped: nothing piles up in the open batch.
        assert!(sink.open().items.len() < 2);
        assert_eq!(sink.accepted(), 10);
    }

    #[test]
    fn closed_refuses_and_keeps_what_was_accepted() {
        let (sink, queue) = input_queue::<u32>(8, 4);
        sink.push(1, 3);
        sink.close();
        sink.push(2, 5);
        assert_eq!(sink.dropped.load(Ordering::Relaxed), 5);
        assert_eq!(queue.take_all(|_| 3), 3);
    }

    #[test]
    fn a_blocked_push_is_released_after_the_stop_began_and_its_batch_kept() {
        // Two batches of one fill the queue; the third push blocks.
        let (sink, queue) = input_queue::<u32>(1, 1);
        sink.push(1, 1);
        sink.push(2, 1);
        sink.begin_stop();
        let started = Instant::now();
        sink.push(3, 1);
        assert!(started.elapsed() >= RELEASE_AFTER);
        sink.close();
        assert_eq!(queue.take(), Some(vec![1]));
        assert_eq!(queue.take(), Some(vec![2]));
        assert_eq!(queue.take(), Some(vec![3]));
        assert_eq!(queue.take(), None);
        assert_eq!(sink.accepted(), 3);
    }
}
