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
