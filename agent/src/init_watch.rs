//! Which plugins' `init` is running right now, and since when.
//!
//! The engine notes every `init` call here ([`begin`]); `pipeplug run` starts pipelines on a
//! thread of its own and reads [`in_progress`] to say which plugin a slow start is waiting
//! for, and which plugin's `init` never returned when a stop comes during the start.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// An `init` call in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitCall {
    /// Unique among the calls of this process.
    pub id: u64,
    /// The plugin, `type/id (position)`.
    pub plugin: String,
    /// The config name of its pipeline.
    pub config: String,
    /// When the call began.
    pub since: Instant,
}

static CALLS: Mutex<Vec<InitCall>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// An `init` call noted by [`begin`]; dropping it (when `init` returns, fails or panics)
/// removes the note.
#[derive(Debug)]
#[must_use = "the call is noted only while this lives"]
pub struct InitGuard {
    id: u64,
}

impl Drop for InitGuard {
    fn drop(&mut self) {
        let mut calls = CALLS.lock().unwrap_or_else(PoisonError::into_inner);
        calls.retain(|c| c.id != self.id);
    }
}

/// Notes that the `init` of `plugin` (`type/id (position)`) in the pipeline `config` begins;
/// keep the guard until it returns.
pub fn begin(config: &str, plugin: String) -> InitGuard {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let call = InitCall {
        id,
        plugin,
        config: config.to_owned(),
        since: Instant::now(),
    };
    CALLS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(call);
    InitGuard { id }
}

/// The `init` calls running now, oldest first.
#[must_use]
pub fn in_progress() -> Vec<InitCall> {
    CALLS.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

impl InitCall {
    /// How long it has been running.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.since.elapsed()
    }
}

impl std::fmt::Display for InitCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in pipeline `{}`", self.plugin, self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_listed_until_its_guard_drops() {
        let guard = begin("watch_test", "flusher_x/1 (flushers[0])".to_owned());
        let listed = in_progress();
        let call = listed
            .iter()
            .find(|c| c.config == "watch_test")
            .map(ToString::to_string);
        assert_eq!(
            call.as_deref(),
            Some("flusher_x/1 (flushers[0]) in pipeline `watch_test`")
        );
        drop(guard);
        assert!(in_progress().iter().all(|c| c.config != "watch_test"));
    }
}
