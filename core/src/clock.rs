//! [`Clock`]: real time in the agent, virtual time under the test harness.
//!
//! Plugins read the time with [`Clock::now`] and wait with a [`Ticker`] (or
//! [`Clock::sleep`]) instead of `std::thread::sleep`. In the agent this is the system clock;
//! under the harness it is a [`VirtualClock`] that a test advances by hand, so that a 5 s
//! interval is tested in microseconds and deterministically.

use crate::StopSignal;
use std::cell::Cell;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often a thread blocked on the virtual clock looks at its stop signal.
const STOP_POLL: Duration = Duration::from_millis(2);
/// How long [`VirtualClock::advance`] waits, in real time, for tickers to settle.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The time source of a pipeline: cheap to clone, shared by every plugin of a pipeline.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    Real,
    /// A clock that only moves when a test advances it.
    Virtual(Arc<VirtualClock>),
}

impl Clock {
    /// A new virtual clock starting at the current system time.
    #[must_use]
    pub fn new_virtual() -> (Self, Arc<VirtualClock>) {
        let v = Arc::new(VirtualClock::new(SystemTime::now()));
        (Self::Virtual(Arc::clone(&v)), v)
    }

    /// The current time.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        match self {
            Self::Real => SystemTime::now(),
            Self::Virtual(v) => v.now(),
        }
    }

    /// The current time in Unix nanoseconds.
    #[must_use]
    pub fn now_nanos(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    /// The current time in Unix seconds.
    #[must_use]
    pub fn now_secs(&self) -> u32 {
        u32::try_from(self.now_nanos() / 1_000_000_000).unwrap_or(u32::MAX)
    }

    /// A ticker firing every `interval`, first at now + `interval`.
    ///
    /// Create it on the thread that starts the worker (before spawning), so that a test
    /// advancing a virtual clock waits for the worker to reach its first tick.
    #[must_use]
    pub fn ticker(&self, interval: Duration) -> Ticker {
        let interval = interval.max(Duration::from_micros(1));
        match self {
            Self::Real => Ticker {
                clock: self.clone(),
                interval,
                next: Cell::new(Deadline::Real(Instant::now() + interval)),
                id: None,
            },
            Self::Virtual(v) => {
                let id = v.register();
                Ticker {
                    clock: self.clone(),
                    interval,
                    next: Cell::new(Deadline::Virtual(v.elapsed() + interval)),
                    id: Some(id),
                }
            }
        }
    }

    /// Sleeps for `duration` or until `stop` fires; returns `true` if the full time passed.
    #[must_use]
    pub fn sleep(&self, duration: Duration, stop: &StopSignal) -> bool {
        match self {
            Self::Real => !stop.wait_timeout(duration),
            Self::Virtual(v) => {
                let id = v.register();
                let done = v.wait_until(id, v.elapsed() + duration, stop);
                v.unregister(id);
                done
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Deadline {
    Real(Instant),
    Virtual(Duration),
}

/// Fires every interval until stopped (Go's `time.Ticker` in a `select` with a stop channel).
///
/// ```
/// use pipeplug::{Clock, StopSignal};
/// use std::time::Duration;
/// let (clock, virtual_clock) = Clock::new_virtual();
/// let ticker = clock.ticker(Duration::from_secs(5));
/// let stop = StopSignal::new();
/// let s = stop.clone();
/// let t = std::thread::spawn(move || { let mut n = 0; while ticker.tick(&s) { n += 1; } n });
/// virtual_clock.advance(Duration::from_secs(15)); // three ticks, in no real time
/// stop.signal();
/// assert_eq!(t.join().unwrap(), 3);
/// ```
#[derive(Debug)]
pub struct Ticker {
    clock: Clock,
    interval: Duration,
    next: Cell<Deadline>,
    id: Option<u64>,
}

impl Ticker {
    /// Waits for the next tick; `false` once `stop` has fired (then stop looping).
    #[must_use]
    pub fn tick(&self, stop: &StopSignal) -> bool {
        let next = self.take_next();
        match (&self.clock, next) {
            (Clock::Virtual(v), Deadline::Virtual(at)) => {
                let id = self.id.unwrap_or_default();
                v.wait_until(id, at, stop)
            }
            (_, Deadline::Real(at)) => {
                let wait = at.saturating_duration_since(Instant::now());
                !stop.wait_timeout(wait) && !stop.is_signalled()
            }
            (Clock::Real, Deadline::Virtual(_)) => false,
        }
    }

    /// The interval.
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.interval
    }

    fn take_next(&self) -> Deadline {
        let current = self.next.get();
        let next = match current {
            Deadline::Real(at) => {
                let now = Instant::now();
                let mut n = at + self.interval;
                if n < now {
                    n = now + self.interval;
                }
                Deadline::Real(n)
            }
            Deadline::Virtual(at) => Deadline::Virtual(at + self.interval),
        };
        self.next.set(next);
        current
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        if let (Clock::Virtual(v), Some(id)) = (&self.clock, self.id) {
            v.unregister(id);
        }
    }
}

#[derive(Debug, Default)]
struct VirtualState {
    elapsed: Duration,
    next_id: u64,
    /// Registered tickers and sleepers: `None` while running, `Some(deadline)` while waiting.
    waiters: Vec<(u64, Option<Duration>)>,
}

/// A clock that moves only when [`advance`](Self::advance) is called.
///
/// `advance` steps through every deadline that falls in the advanced span, in order, and
/// after each step waits until every registered [`Ticker`] is blocked again, so that what
/// a plugin emits on a tick is there when `advance` returns.
#[derive(Debug)]
pub struct VirtualClock {
    start: SystemTime,
    state: Mutex<VirtualState>,
    changed: Condvar,
}

impl VirtualClock {
    /// A virtual clock reading `start`.
    #[must_use]
    pub fn new(start: SystemTime) -> Self {
        Self {
            start,
            state: Mutex::new(VirtualState::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VirtualState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current virtual time.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        self.start + self.elapsed()
    }

    /// How far the clock has been advanced.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.lock().elapsed
    }

    fn register(&self) -> u64 {
        let mut s = self.lock();
        s.next_id += 1;
        let id = s.next_id;
        s.waiters.push((id, None));
        id
    }

    fn unregister(&self, id: u64) {
        let mut s = self.lock();
        s.waiters.retain(|w| w.0 != id);
        self.changed.notify_all();
    }

    fn set_waiting(s: &mut VirtualState, id: u64, at: Option<Duration>) {
        if let Some(w) = s.waiters.iter_mut().find(|w| w.0 == id) {
            w.1 = at;
        }
    }

    /// Blocks until virtual time reaches `at` (true) or `stop` fires (false).
    fn wait_until(&self, id: u64, at: Duration, stop: &StopSignal) -> bool {
        let mut s = self.lock();
        Self::set_waiting(&mut s, id, Some(at));
        self.changed.notify_all();
        loop {
            if stop.is_signalled() {
                Self::set_waiting(&mut s, id, None);
                self.changed.notify_all();
                return false;
            }
            if s.elapsed >= at {
                Self::set_waiting(&mut s, id, None);
                return true;
            }
            s = self
                .changed
                .wait_timeout(s, STOP_POLL)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Waits (in real time, bounded) until no registered waiter is running.
    fn settle<'a>(&'a self, mut s: MutexGuard<'a, VirtualState>) -> MutexGuard<'a, VirtualState> {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        while s.waiters.iter().any(|w| match w.1 {
            None => true,
            Some(at) => at <= s.elapsed,
        }) {
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!("virtual clock: a ticker did not block again within {SETTLE_TIMEOUT:?}");
                break;
            }
            s = self
                .changed
                .wait_timeout(s, (deadline - now).min(STOP_POLL))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        s
    }

    /// Moves time forward by `by`, firing every deadline on the way, in order.
    pub fn advance(&self, by: Duration) {
        let mut s = self.settle(self.lock());
        let target = s.elapsed + by;
        loop {
            let next = s
                .waiters
                .iter()
                .filter_map(|w| w.1)
                .filter(|at| *at > s.elapsed && *at <= target)
                .min();
            match next {
                Some(at) => {
                    s.elapsed = at;
                    self.changed.notify_all();
                    s = self.settle(s);
                }
                None => {
                    s.elapsed = target;
                    self.changed.notify_all();
                    break;
                }
            }
        }
        drop(self.settle(s));
    }
}
