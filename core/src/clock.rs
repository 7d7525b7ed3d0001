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
/// How long, in real time after it started, a thread may run before a virtual clock stops
/// waiting for it (see the module docs).
const THREAD_GRACE: Duration = Duration::from_secs(1);
/// Where [`VirtualClock::now`] stops when advanced past what `SystemTime` can hold: about
/// ten thousand years after 1970, representable on every platform.
const FAR_FUTURE: Duration = Duration::from_secs(10_000 * 365 * 24 * 3600);

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

    /// A ticker firing every `interval` (at least 1 µs), first at now + `interval`. An
    /// interval too large to represent (such as `Duration::MAX`) never fires.
    ///
    /// Make it on the plugin's worker thread or before spawning it: a worker thread started
    /// with [`Worker::spawn`](crate::Worker::spawn) is waited for by a virtual clock until it
    /// first waits, so either way a test advancing the clock sees every tick.
    #[must_use]
    pub fn ticker(&self, interval: Duration) -> Ticker {
        let interval = interval.max(Duration::from_micros(1));
        match self {
            Self::Real => Ticker {
                clock: self.clone(),
                interval,
                next: Cell::new(Deadline::Real(Instant::now().checked_add(interval))),
                id: None,
            },
            Self::Virtual(v) => {
                let (id, elapsed) = v.register(Role::Timer);
                // The ticker now stands for this thread: the thread's own hold can go.
                release_thread_hold();
                Ticker {
                    clock: self.clone(),
                    interval,
                    next: Cell::new(Deadline::Virtual(elapsed.saturating_add(interval))),
                    id: Some(id),
                }
            }
        }
    }

    /// A ticker firing first at now + `first`, then every `interval` (at least 1 µs) after
    /// that: a loop whose first round comes after a delay of its own, such as a metric
    /// input's first collection. `first` may be zero (the first [`Ticker::tick`] returns at
    /// once). Ticks that come late on the real clock are not made up for, as with
    /// [`Clock::ticker`].
    ///
    /// ```
    /// use pipeplug::{Clock, StopSignal};
    /// use std::time::Duration;
    /// let (clock, virtual_clock) = Clock::new_virtual();
    /// let ticker = clock.ticker_after(Duration::from_millis(300), Duration::from_secs(1));
    /// let stop = StopSignal::new();
    /// let s = stop.clone();
    /// let t = std::thread::spawn(move || { let mut n = 0; while ticker.tick(&s) { n += 1; } n });
    /// virtual_clock.advance(Duration::from_secs(2)); // ticks at 0.3 s and 1.3 s
    /// stop.signal();
    /// assert_eq!(t.join().unwrap(), 2);
    /// ```
    #[must_use]
    pub fn ticker_after(&self, first: Duration, interval: Duration) -> Ticker {
        let interval = interval.max(Duration::from_micros(1));
        match self {
            Self::Real => Ticker {
                clock: self.clone(),
                interval,
                next: Cell::new(Deadline::Real(Instant::now().checked_add(first))),
                id: None,
            },
            Self::Virtual(v) => {
                let (id, elapsed) = v.register(Role::Timer);
                release_thread_hold();
                Ticker {
                    clock: self.clone(),
                    interval,
                    next: Cell::new(Deadline::Virtual(elapsed.saturating_add(first))),
                    id: Some(id),
                }
            }
        }
    }

    /// Sleeps for `duration` or until `stop` fires; returns `true` if the full time passed.
    #[must_use]
    pub fn sleep(&self, duration: Duration, stop: &StopSignal) -> bool {
        match self {
            Self::Real => {
                release_thread_hold();
                !stop.wait_timeout(duration)
            }
            Self::Virtual(v) => {
                let (id, elapsed) = v.register(Role::Timer);
                release_thread_hold();
                let done = v.wait_until(id, elapsed.saturating_add(duration), stop);
                if done {
                    // Until it waits again, the thread acts on the new time: the clock keeps
                    // waiting for it, as for a ticker that fired.
                    v.make_thread(id);
                    ThreadHold {
                        clock: Arc::clone(v),
                        id,
                    }
                    .install();
                } else {
                    v.unregister(id);
                }
                done
            }
        }
    }

    /// Tells a virtual clock not to wait for the current thread until it next uses the
    /// clock: call it before blocking on something else (a socket, a channel), so that a
    /// test advancing the clock does not wait (up to a second) for this thread. Does nothing
    /// on the real clock or on threads the clock does not wait for.
    ///
    /// ```
    /// use pipeplug::{Clock, Context, Worker};
    /// let (clock, virtual_clock) = Clock::new_virtual();
    /// let ctx = Context::builder().clock(clock).build();
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let mut worker = Worker::new();
    /// worker.spawn(&ctx, "reader", move |_stop| {
    ///     Clock::detach_current_thread();
    ///     let _ = rx.recv(); // blocks on a channel, not on the clock
    /// }).unwrap();
    /// virtual_clock.advance(std::time::Duration::from_secs(1)); // does not wait for `reader`
    /// drop(tx);
    /// worker.stop().unwrap();
    /// ```
    pub fn detach_current_thread() {
        release_thread_hold();
    }

    /// Registers a thread about to be spawned as a participant of a virtual clock: the
    /// clock waits for it (see [`VirtualClock`]) from now until it first waits on the clock
    /// or on a [`StopSignal`], or ends. The new thread calls [`ThreadHold::enter`] first
    /// thing. `None` on the real clock (nothing to do).
    ///
    /// [`Worker::spawn`](crate::Worker::spawn) does this for plugins' threads; a host that
    /// starts threads of its own which act on the clock's time (an engine's input threads)
    /// does it too.
    ///
    /// ```
    /// use pipeplug::{Clock, ThreadHold};
    /// let (clock, virtual_clock) = Clock::new_virtual();
    /// let hold = clock.hold_new_thread("reader");
    /// let t = std::thread::spawn(move || {
    ///     let _hold = hold.map(ThreadHold::enter);
    ///     // ... work the clock waits for ...
    /// });
    /// virtual_clock.settle(); // returns once the thread has ended (or first waited)
    /// t.join().unwrap();
    /// ```
    #[must_use]
    pub fn hold_new_thread(&self, name: &str) -> Option<ThreadHold> {
        match self {
            Self::Real => None,
            Self::Virtual(v) => {
                let (id, _) = v.register(Role::Thread {
                    name: name.to_owned(),
                    since: Instant::now(),
                });
                Some(ThreadHold {
                    clock: Arc::clone(v),
                    id,
                })
            }
        }
    }
}

/// Drops the current thread's hold on a virtual clock, if it has one (it is about to wait).
pub(crate) fn release_thread_hold() {
    crate::stop::release_wait_hold();
}

/// A thread's place among a virtual clock's participants (see [`VirtualClock`]), made by
/// [`Clock::hold_new_thread`] before the thread starts.
#[derive(Debug)]
pub struct ThreadHold {
    clock: Arc<VirtualClock>,
    id: u64,
}

impl ThreadHold {
    /// Makes this the hold of the current thread until the returned guard is dropped or the
    /// thread first waits. Call it first thing in the new thread, and keep the guard for the
    /// thread's whole body.
    #[must_use]
    pub fn enter(self) -> ThreadHoldGuard {
        self.install();
        ThreadHoldGuard(())
    }

    /// Makes this the hold of the current thread until the thread first waits or ends.
    fn install(self) {
        crate::stop::install_wait_hold(Box::new(self));
    }
}

impl Drop for ThreadHold {
    fn drop(&mut self) {
        self.clock.unregister(self.id);
    }
}

/// Releases the current thread's hold when dropped (at the end of the thread's body).
#[derive(Debug)]
pub struct ThreadHoldGuard(());

impl Drop for ThreadHoldGuard {
    fn drop(&mut self) {
        release_thread_hold();
    }
}

#[derive(Debug, Clone, Copy)]
enum Deadline {
    /// `None`: too far away to represent, never reached.
    Real(Option<Instant>),
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
        release_thread_hold();
        let next = self.take_next();
        match (&self.clock, next) {
            (Clock::Virtual(v), Deadline::Virtual(at)) => {
                let id = self.id.unwrap_or_default();
                v.wait_until(id, at, stop)
            }
            (_, Deadline::Real(Some(at))) => {
                let wait = at.saturating_duration_since(Instant::now());
                !stop.wait_timeout(wait) && !stop.is_signalled()
            }
            (_, Deadline::Real(None)) => {
                stop.wait();
                false
            }
            (Clock::Real, Deadline::Virtual(_)) => false,
        }
    }

    /// Like [`tick`](Self::tick), for a ticker that consumes what others make: on a virtual
    /// clock, once the deadline has come, it also waits until every other participant due
    /// at that time has done its part and waits again (tickers also ticking last excepted),
    /// so that at a time where an input's round and this tick coincide, the round comes
    /// first. The engine times aggregator flushes so under a test's virtual clock. On the
    /// real clock it is [`tick`](Self::tick).
    #[must_use]
    pub fn tick_last(&self, stop: &StopSignal) -> bool {
        match (&self.clock, self.id) {
            (Clock::Virtual(v), Some(id)) => {
                release_thread_hold();
                match self.take_next() {
                    Deadline::Virtual(at) => v.wait_until_last(id, at, stop),
                    Deadline::Real(_) => false,
                }
            }
            _ => self.tick(stop),
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
                // A late tick is not made up for: the next one is an interval after now.
                let now = Instant::now();
                Deadline::Real(
                    at.and_then(|at| at.checked_add(self.interval))
                        .and_then(|n| {
                            if n < now {
                                now.checked_add(self.interval)
                            } else {
                                Some(n)
                            }
                        }),
                )
            }
            Deadline::Virtual(at) => Deadline::Virtual(at.saturating_add(self.interval)),
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

/// What a participant stands for.
#[derive(Debug)]
enum Role {
    /// A ticker or a sleep.
    Timer,
    /// A thread that has not waited yet.
    Thread { name: String, since: Instant },
}

/// Where a participant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Running plugin code: the clock waits for it.
    Running,
    /// Blocked until virtual time reaches the deadline.
    Waiting(Duration),
    /// Not using the clock (a stopped ticker, a thread given up on): the clock ignores it.
    Idle,
}

#[derive(Debug)]
struct Participant {
    id: u64,
    role: Role,
    state: State,
    /// Its deadline has come and it waits for the others ([`Ticker::tick_last`]).
    last: bool,
}

#[derive(Debug, Default)]
struct VirtualState {
    elapsed: Duration,
    next_id: u64,
    participants: Vec<Participant>,
}

impl VirtualState {
    fn set(&mut self, id: u64, state: State) {
        if let Some(p) = self.participants.iter_mut().find(|p| p.id == id) {
            p.state = state;
        }
    }

    fn set_last(&mut self, id: u64, last: bool) {
        if let Some(p) = self.participants.iter_mut().find(|p| p.id == id) {
            p.last = last;
        }
    }

    /// Whether `p` still has to act at the current time.
    fn busy(&self, p: &Participant) -> bool {
        match p.state {
            State::Running => true,
            State::Waiting(at) => at <= self.elapsed,
            State::Idle => false,
        }
    }
}

/// A clock that moves only when [`advance`](Self::advance) is called.
///
/// `advance` steps through every deadline that falls in the advanced span, in order, and
/// after each step waits until no participant (ticker, sleep, worker thread) is running, so
/// that what a plugin emits on a tick is there when `advance` returns.
///
/// # How a virtual clock stays deterministic
///
/// A [`VirtualClock`] knows who may still act on the current time, its *participants*:
/// - every [`Ticker`] made from it: *running* from creation (or from its last tick) until
///   it waits again, *waiting* while blocked on a deadline, *idle* once its stop signal
///   fired;
/// - every [`Clock::sleep`]: *waiting* while it sleeps; once it has slept its time, the
///   thread that slept is *running* until it waits again;
/// - every thread started through [`Worker::spawn`](crate::Worker::spawn) with a context on
///   that clock (and the harness's own `start` threads): *running* from the moment it is
///   spawned until it first waits, on the clock or on a [`StopSignal`], or ends. So a worker
///   that makes its ticker inside the thread is waited for too.
///
/// [`VirtualClock::advance`] and [`VirtualClock::settle`] wait (in real time, bounded) until
/// no participant is running: what a plugin emits on a tick is there when `advance` returns,
/// and `advance(3 × interval)` fires exactly three ticks.
///
/// A thread that blocks on something else (a socket, a channel) without waiting on the clock
/// first is waited for up to one second after it started, then ignored with a warning;
/// call [`Clock::detach_current_thread`] before such a blocking call to skip the wait.
///
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

    /// The current virtual time. Advanced past what `SystemTime` can hold, it stays at a
    /// far future (about the year 11970) rather than overflowing.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        self.start
            .checked_add(self.elapsed())
            .or_else(|| UNIX_EPOCH.checked_add(FAR_FUTURE))
            .unwrap_or(self.start)
    }

    /// How far the clock has been advanced.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.lock().elapsed
    }

    /// Adds a running participant; returns its id and the current elapsed time (read under
    /// the same lock, so a ticker's first deadline cannot miss an advance).
    fn register(&self, role: Role) -> (u64, Duration) {
        let mut s = self.lock();
        s.next_id += 1;
        let id = s.next_id;
        s.participants.push(Participant {
            id,
            role,
            state: State::Running,
            last: false,
        });
        (id, s.elapsed)
    }

    /// Turns the participant `id` into one standing for the current thread.
    fn make_thread(&self, id: u64) {
        let name = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        let mut s = self.lock();
        if let Some(p) = s.participants.iter_mut().find(|p| p.id == id) {
            p.role = Role::Thread {
                name,
                since: Instant::now(),
            };
            p.state = State::Running;
        }
    }

    fn unregister(&self, id: u64) {
        let mut s = self.lock();
        s.participants.retain(|p| p.id != id);
        self.changed.notify_all();
    }

    /// Blocks until virtual time reaches `at` (true) or `stop` fires (false).
    fn wait_until(&self, id: u64, at: Duration, stop: &StopSignal) -> bool {
        let mut s = self.lock();
        s.set(id, State::Waiting(at));
        self.changed.notify_all();
        loop {
            if stop.is_signalled() {
                // Stopped: the clock must not wait for this participant any more.
                s.set(id, State::Idle);
                self.changed.notify_all();
                return false;
            }
            if s.elapsed >= at {
                s.set(id, State::Running);
                return true;
            }
            s = self
                .changed
                .wait_timeout(s, STOP_POLL)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Blocks until virtual time reaches `at` and then until no other participant, except
    /// those ticking last too, has anything to do at that time (true), or until `stop`
    /// fires (false). Meanwhile the participant counts as busy: the clock does not move on.
    fn wait_until_last(&self, id: u64, at: Duration, stop: &StopSignal) -> bool {
        let mut s = self.lock();
        s.set(id, State::Waiting(at));
        self.changed.notify_all();
        loop {
            if stop.is_signalled() {
                s.set_last(id, false);
                s.set(id, State::Idle);
                self.changed.notify_all();
                return false;
            }
            if s.elapsed >= at {
                s.set_last(id, true);
                let others_busy = s
                    .participants
                    .iter()
                    .any(|p| p.id != id && !p.last && s.busy(p));
                if !others_busy {
                    s.set_last(id, false);
                    s.set(id, State::Running);
                    self.changed.notify_all();
                    return true;
                }
            }
            s = self
                .changed
                .wait_timeout(s, STOP_POLL)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Waits (in real time, bounded) until no participant is running.
    fn settle_locked<'a>(
        &'a self,
        mut s: MutexGuard<'a, VirtualState>,
    ) -> MutexGuard<'a, VirtualState> {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let now = Instant::now();
            // Threads that ran past their grace without waiting are given up on.
            for p in &mut s.participants {
                if let (Role::Thread { name, since }, State::Running) = (&p.role, p.state) {
                    if now.duration_since(*since) >= THREAD_GRACE {
                        tracing::warn!(
                            "virtual clock: thread `{name}` has not waited on the clock or its \
                             stop signal {THREAD_GRACE:?} after it started; advancing without it \
                             (call `Clock::detach_current_thread` before blocking elsewhere)"
                        );
                        p.state = State::Idle;
                    }
                }
            }
            if !s.participants.iter().any(|p| s.busy(p)) {
                return s;
            }
            if now >= deadline {
                tracing::warn!(
                    "virtual clock: a ticker did not block again within {SETTLE_TIMEOUT:?}"
                );
                return s;
            }
            s = self
                .changed
                .wait_timeout(s, (deadline - now).min(STOP_POLL))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Waits until every participant has done what it does at the current time: every
    /// worker thread and ticker is blocked again (bounded in real time, see above). [`advance`](Self::advance) does this after every step; the
    /// harness does it after starting a plugin.
    pub fn settle(&self) {
        // The thread that settles or advances the clock is not one the clock waits for.
        release_thread_hold();
        drop(self.settle_locked(self.lock()));
    }

    /// Moves time forward by `by`, firing every deadline on the way, in order.
    pub fn advance(&self, by: Duration) {
        release_thread_hold();
        let mut s = self.settle_locked(self.lock());
        let target = s.elapsed.saturating_add(by);
        loop {
            let next = s
                .participants
                .iter()
                .filter_map(|p| match p.state {
                    State::Waiting(at) => Some(at),
                    State::Running | State::Idle => None,
                })
                .filter(|at| *at > s.elapsed && *at <= target)
                .min();
            match next {
                Some(at) => {
                    s.elapsed = at;
                    self.changed.notify_all();
                    s = self.settle_locked(s);
                }
                None => {
                    s.elapsed = target;
                    self.changed.notify_all();
                    break;
                }
            }
        }
        drop(self.settle_locked(s));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn a_last_ticker_sees_what_others_did_at_the_same_time() {
        let (clock, v) = Clock::new_virtual();
        let stop = StopSignal::new();
        let made = Arc::new(AtomicU64::new(0));
        // The producer's ticker is made last, so nothing but `tick_last` orders the two.
        let consumer = clock.ticker(Duration::from_secs(1));
        let producer = clock.ticker(Duration::from_secs(1));
        let (s, m) = (stop.clone(), Arc::clone(&made));
        let p = std::thread::spawn(move || {
            while producer.tick(&s) {
                // Slow work: the consumer must wait for it.
                std::thread::sleep(Duration::from_millis(20));
                m.fetch_add(1, Ordering::SeqCst);
            }
        });
        let (s, m) = (stop.clone(), Arc::clone(&made));
        let c = std::thread::spawn(move || {
            let mut seen = Vec::new();
            while consumer.tick_last(&s) {
                seen.push(m.load(Ordering::SeqCst));
            }
            seen
        });
        v.advance(Duration::from_secs(3));
        stop.signal();
        p.join().unwrap();
        assert_eq!(c.join().unwrap(), [1, 2, 3]);
    }

    #[test]
    fn ticker_after_fires_first_after_its_delay() {
        let (clock, v) = Clock::new_virtual();
        let ticker = clock.ticker_after(Duration::ZERO, Duration::from_secs(2));
        let stop = StopSignal::new();
        let s = stop.clone();
        let start = v.now();
        let t = std::thread::spawn(move || {
            let mut at = Vec::new();
            while ticker.tick(&s) {
                at.push(v.now().duration_since(start).unwrap());
            }
            at
        });
        let v2 = match &clock {
            Clock::Virtual(v) => Arc::clone(v),
            Clock::Real => unreachable!(),
        };
        v2.advance(Duration::from_secs(5));
        stop.signal();
        let secs = |n| Duration::from_secs(n);
        assert_eq!(t.join().unwrap(), [secs(0), secs(2), secs(4)]);
    }
}
