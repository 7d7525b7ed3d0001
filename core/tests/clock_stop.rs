//! `StopSignal`, `Worker`, `Clock`, `VirtualClock` and `Ticker`. No test sleeps or measures
//! real time: virtual time is exact, and thread hand-offs are synchronised, not timed.
#![allow(clippy::unwrap_used)] // test helpers, not only `#[test]` functions, unwrap

use pipeplug::{Clock, Context, StopSignal, VirtualClock, Worker};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn stop_signal_is_shared_by_its_clones() {
    let stop = StopSignal::new();
    let clone = stop.clone();
    assert!(!clone.is_signalled());
    assert!(!clone.wait_timeout(Duration::ZERO), "not fired yet");
    stop.signal();
    assert!(clone.is_signalled());
    assert!(clone.wait_timeout(Duration::ZERO));
    clone.wait(); // returns at once
    stop.signal(); // firing twice is fine
    assert!(stop.is_signalled());
}

#[test]
fn stop_signal_wakes_a_waiting_thread() {
    let stop = StopSignal::new();
    let (ready_tx, ready_rx) = mpsc::channel();
    let waiter = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            ready_tx.send(()).unwrap();
            stop.wait();
            stop.is_signalled()
        })
    };
    ready_rx.recv().unwrap();
    stop.signal();
    assert!(waiter.join().unwrap());
}

#[test]
fn stop_signal_takes_any_timeout_without_panicking() {
    let stop = StopSignal::new();
    stop.signal();
    assert!(stop.wait_timeout(Duration::MAX));
}

#[test]
fn worker_stops_and_joins_every_thread() {
    let ctx = Context::default();
    let mut worker = Worker::new();
    assert!(!worker.is_running());
    let stopped = Arc::new(AtomicUsize::new(0));
    for i in 0..3 {
        let stopped = Arc::clone(&stopped);
        worker
            .spawn(&ctx, &format!("w{i}"), move |stop| {
                stop.wait();
                stopped.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
    }
    assert!(worker.is_running());
    worker.stop().unwrap();
    assert_eq!(
        stopped.load(Ordering::SeqCst),
        3,
        "every thread ran to its end"
    );
    assert_eq!(ctx.live_threads(), 0);
    assert!(!worker.is_running());

    // A stopped worker can start again, with a fresh signal.
    let (tx, rx) = mpsc::channel();
    worker
        .spawn(&ctx, "again", move |stop| {
            tx.send(stop.is_signalled()).unwrap();
            stop.wait();
        })
        .unwrap();
    assert!(!rx.recv().unwrap(), "the new thread's signal has not fired");
    worker.stop().unwrap();
}

#[test]
fn worker_reports_a_panicking_thread_by_name() {
    let ctx = Context::default();
    let mut worker = Worker::new();
    worker.spawn(&ctx, "fine", |stop| stop.wait()).unwrap();
    worker
        .spawn(&ctx, "doomed", |_| panic!("plugin bug"))
        .unwrap();
    let err = worker.stop().unwrap_err();
    assert_eq!(err.to_string(), "worker thread(s) panicked: doomed");
    assert_eq!(ctx.live_threads(), 0);
}

#[test]
fn dropping_a_worker_stops_its_threads() {
    let ctx = Context::default();
    let (done_tx, done_rx) = mpsc::channel();
    {
        let mut worker = Worker::new();
        worker
            .spawn(&ctx, "dropped", move |stop| {
                stop.wait();
                done_tx.send(()).unwrap();
            })
            .unwrap();
    }
    done_rx.recv().unwrap();
    assert_eq!(ctx.live_threads(), 0);
}

#[test]
fn virtual_clock_reads_start_plus_what_was_advanced() {
    let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let clock = Arc::new(VirtualClock::new(start));
    assert_eq!(clock.now(), start);
    clock.advance(Duration::from_millis(1500));
    assert_eq!(clock.elapsed(), Duration::from_millis(1500));
    assert_eq!(clock.now(), start + Duration::from_millis(1500));

    let c = Clock::Virtual(Arc::clone(&clock));
    assert_eq!(c.now(), clock.now());
    assert_eq!(c.now_secs(), 1_700_000_001);
    assert_eq!(c.now_nanos(), 1_700_000_001_500_000_000);
}

#[test]
fn virtual_clock_does_not_panic_past_the_end_of_time() {
    let clock = VirtualClock::new(SystemTime::now());
    clock.advance(Duration::MAX);
    clock.advance(Duration::MAX);
    assert_eq!(clock.elapsed(), Duration::MAX);
    assert!(clock.now() > SystemTime::now());
}

/// Counts the ticks of a ticker of `interval` on a thread; returns the count once stopped.
fn count_ticks(
    clock: &Clock,
    interval: Duration,
    stop: &StopSignal,
) -> std::thread::JoinHandle<u32> {
    let ticker = clock.ticker(interval);
    let stop = stop.clone();
    std::thread::spawn(move || {
        let mut n = 0;
        while ticker.tick(&stop) {
            n += 1;
        }
        n
    })
}

#[test]
fn advancing_three_intervals_gives_exactly_three_ticks() {
    let (clock, virtual_clock) = Clock::new_virtual();
    let stop = StopSignal::new();
    let ticks = count_ticks(&clock, 5 * SECOND, &stop);
    virtual_clock.advance(15 * SECOND);
    stop.signal();
    assert_eq!(ticks.join().unwrap(), 3);
}

#[test]
fn a_partial_interval_does_not_tick_until_completed() {
    let (clock, virtual_clock) = Clock::new_virtual();
    let stop = StopSignal::new();
    let count = Arc::new(AtomicUsize::new(0));
    let ticker = clock.ticker(4 * SECOND);
    let worker = {
        let (stop, count) = (stop.clone(), Arc::clone(&count));
        std::thread::spawn(move || {
            while ticker.tick(&stop) {
                count.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    virtual_clock.advance(10 * SECOND);
    assert_eq!(count.load(Ordering::SeqCst), 2, "at 4 s and 8 s");
    virtual_clock.advance(SECOND);
    assert_eq!(count.load(Ordering::SeqCst), 2, "11 s: no third tick yet");
    virtual_clock.advance(SECOND);
    assert_eq!(count.load(Ordering::SeqCst), 3, "12 s");
    stop.signal();
    worker.join().unwrap();
}

#[test]
fn deadlines_of_several_tickers_fire_in_time_order() {
    let (clock, virtual_clock) = Clock::new_virtual();
    let stop = StopSignal::new();
    let fired = Arc::new(Mutex::new(Vec::new()));
    let mut threads = Vec::new();
    for (name, secs) in [("every 2 s", 2), ("every 5 s", 5)] {
        let ticker = clock.ticker(Duration::from_secs(secs));
        let (stop, fired, v) = (stop.clone(), Arc::clone(&fired), Arc::clone(&virtual_clock));
        threads.push(std::thread::spawn(move || {
            while ticker.tick(&stop) {
                fired.lock().unwrap().push((v.elapsed().as_secs(), name));
            }
        }));
    }
    virtual_clock.advance(10 * SECOND);
    stop.signal();
    for t in threads {
        t.join().unwrap();
    }
    let mut fired = fired.lock().unwrap().clone();
    let times: Vec<u64> = fired.iter().map(|f| f.0).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(
        times, sorted,
        "each tick happens at its own virtual time, in order"
    );
    fired.sort_unstable();
    assert_eq!(
        fired,
        [
            (2, "every 2 s"),
            (4, "every 2 s"),
            (5, "every 5 s"),
            (6, "every 2 s"),
            (8, "every 2 s"),
            (10, "every 2 s"),
            (10, "every 5 s"),
        ]
    );
}

#[test]
fn a_stopped_ticker_returns_false_at_once() {
    let (clock, _virtual_clock) = Clock::new_virtual();
    let stop = StopSignal::new();
    stop.signal();
    assert!(!clock.ticker(SECOND).tick(&stop));
    // On the real clock too, even with an interval too large to represent.
    let real = Clock::Real.ticker(Duration::MAX);
    assert!(!real.tick(&stop));
    assert_eq!(real.interval(), Duration::MAX);
    assert_eq!(
        Clock::Real.ticker(Duration::ZERO).interval(),
        Duration::from_micros(1),
        "a zero interval would spin"
    );
}

#[test]
fn virtual_sleep_ends_when_its_time_has_passed_or_on_stop() {
    let (clock, virtual_clock) = Clock::new_virtual();
    let ctx = Context::builder().clock(clock.clone()).build();
    let (tx, rx) = mpsc::channel();
    let mut worker = Worker::new();
    // A worker thread holds the virtual clock until it waits, so `advance` below cannot
    // run ahead of the first `sleep`.
    let c = clock.clone();
    worker
        .spawn(&ctx, "sleeper", move |stop| {
            tx.send(c.sleep(10 * SECOND, &stop)).unwrap();
            tx.send(c.sleep(10 * SECOND, &stop)).unwrap();
        })
        .unwrap();
    virtual_clock.advance(9 * SECOND);
    assert!(rx.try_recv().is_err(), "9 s of a 10 s sleep");
    virtual_clock.advance(SECOND);
    assert!(rx.recv().unwrap(), "slept its full time");
    worker.stop().unwrap();
    assert!(!rx.recv().unwrap(), "cut short by stop");

    let stop = StopSignal::new();
    stop.signal();
    assert!(
        !clock.sleep(Duration::MAX, &stop),
        "stopped: returns at once"
    );
    assert!(!Clock::Real.sleep(Duration::MAX, &stop));
}
