//! The engine's threads: started by name, waited for with a deadline, and left behind (and
//! reported) when they overstay.

use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

struct Entry {
    name: String,
    handle: Option<JoinHandle<()>>,
    done: Arc<AtomicBool>,
}

/// Threads of one stage of a pipeline.
pub(crate) struct ThreadSet {
    entries: Vec<Entry>,
    done_tx: Sender<()>,
    done_rx: Receiver<()>,
}

/// Marks a thread finished when it ends, even by a panic.
struct DoneGuard(Arc<AtomicBool>, Sender<()>);

impl Drop for DoneGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
        let _ = self.1.send(());
    }
}

impl ThreadSet {
    pub(crate) fn new() -> Self {
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        Self {
            entries: Vec::new(),
            done_tx,
            done_rx,
        }
    }

    /// Starts `body` on a thread called `name`.
    pub(crate) fn spawn(
        &mut self,
        name: String,
        body: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<()> {
        let done = Arc::new(AtomicBool::new(false));
        let guard = DoneGuard(Arc::clone(&done), self.done_tx.clone());
        // Thread names are truncated by the OS; the full name is kept for reports.
        let handle = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                let _guard = guard;
                body();
            })?;
        self.entries.push(Entry {
            name,
            handle: Some(handle),
            done,
        });
        Ok(())
    }

    /// Waits until every thread has ended or `deadline` passes; returns the names of those
    /// still running (they are left behind).
    pub(crate) fn wait(&mut self, deadline: Instant) -> Vec<String> {
        loop {
            if self.entries.iter().all(|e| e.done.load(Ordering::SeqCst)) {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let _ = self.done_rx.recv_timeout(deadline - now);
        }
        let mut overstayed = Vec::new();
        for e in &mut self.entries {
            if e.done.load(Ordering::SeqCst) {
                if let Some(h) = e.handle.take() {
                    // Plugin panics are caught inside; a panic here is the engine's own and
                    // has been printed by the panic hook already.
                    let _ = h.join();
                }
            } else if e.handle.is_some() {
                overstayed.push(e.name.clone());
            }
        }
        overstayed
    }
}

/// What a service input still has to do once the pipeline stops: its `stop` call.
type StopCall = Box<dyn FnOnce() + Send>;

/// Service inputs whose `start` has returned, waiting for the pipeline's stop without a
/// thread each.
///
/// Most service inputs start a worker of their own and return from `start` at once; a thread
/// kept only to call `stop` later would cost each of them its stack and allocator state
/// while it waits (about 50 KB resident). So the input's thread parks the `stop` call here
/// and ends; when the pipeline stops, [`take_all`](Self::take_all) hands every parked call to
/// a thread of its own (named as the input's), waited for with the other inputs' threads.
#[derive(Default)]
pub(crate) struct Parked {
    inner: std::sync::Mutex<ParkedInner>,
}

#[derive(Default)]
struct ParkedInner {
    /// The pipeline's stop took the parked calls: later ones run where they are.
    closed: bool,
    stops: Vec<(String, StopCall)>,
}

impl Parked {
    fn lock(&self) -> std::sync::MutexGuard<'_, ParkedInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Parks `stop` (of the input whose thread is `name`); once the pipeline's stop has taken
    /// the parked calls, hands it back, to be run by the caller.
    pub(crate) fn park(&self, name: String, stop: StopCall) -> Option<StopCall> {
        let mut inner = self.lock();
        if inner.closed {
            return Some(stop);
        }
        inner.stops.push((name, stop));
        None
    }

    /// Takes every parked call; from now on [`park`](Self::park) hands calls back.
    pub(crate) fn take_all(&self) -> Vec<(String, StopCall)> {
        let mut inner = self.lock();
        inner.closed = true;
        std::mem::take(&mut inner.stops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parked_stops_are_taken_once_and_later_ones_handed_back() {
        let parked = Parked::default();
        assert!(parked.park("a".into(), Box::new(|| {})).is_none());
        let taken = parked.take_all();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].0, "a");
        assert!(parked.park("b".into(), Box::new(|| {})).is_some());
        assert!(parked.take_all().is_empty());
    }
}
