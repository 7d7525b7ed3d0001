//! The virtual clock as the harness relies on it: tickers made inside worker threads, sleeps,
//! stop, and settling.

use pipeplug::{Clock, Context, StopSignal, Worker};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn virtual_context() -> (Context, Arc<pipeplug::VirtualClock>) {
    let (clock, v) = Clock::new_virtual();
    (Context::builder().clock(clock).build(), v)
}

#[test]
fn ticker_made_inside_a_worker_thread_misses_no_tick() {
    // Repeated: the race this guards against (advance before the thread makes its ticker)
    // would show up as a missing tick in some rounds.
    for _ in 0..50 {
        let (ctx, clock) = virtual_context();
        let ticks = Arc::new(AtomicUsize::new(0));
        let mut worker = Worker::new();
        let (c, t) = (ctx.clone(), Arc::clone(&ticks));
        worker
            .spawn(&ctx, "ticking", move |stop| {
                let ticker = c.clock().ticker(Duration::from_secs(5));
                while ticker.tick(&stop) {
                    t.fetch_add(1, Ordering::SeqCst);
                }
            })
            .unwrap();
        clock.advance(Duration::from_secs(15));
        assert_eq!(ticks.load(Ordering::SeqCst), 3);
        worker.stop().unwrap();
        assert_eq!(ctx.live_threads(), 0);
    }
}

#[test]
fn sleep_loop_inside_a_worker_thread_misses_no_round() {
    for _ in 0..50 {
        let (ctx, clock) = virtual_context();
        let rounds = Arc::new(AtomicUsize::new(0));
        let mut worker = Worker::new();
        let (c, r) = (ctx.clone(), Arc::clone(&rounds));
        worker
            .spawn(&ctx, "sleeping", move |stop| {
                while !stop.is_signalled() && c.clock().sleep(Duration::from_secs(2), &stop) {
                    r.fetch_add(1, Ordering::SeqCst);
                }
            })
            .unwrap();
        clock.advance(Duration::from_secs(7));
        assert_eq!(rounds.load(Ordering::SeqCst), 3);
        worker.stop().unwrap();
    }
}

#[test]
fn a_stopped_ticker_kept_alive_does_not_hold_the_clock() {
    let (clock, v) = Clock::new_virtual();
    let ticker = clock.ticker(Duration::from_secs(1));
    let stop = StopSignal::new();
    stop.signal();
    assert!(!ticker.tick(&stop));
    // The ticker is still alive but stopped: advancing must not wait for it.
    v.advance(Duration::from_secs(3));
    assert_eq!(v.elapsed(), Duration::from_secs(3));
    drop(ticker);
}

#[test]
fn settle_waits_for_a_new_thread_to_emit_its_first_value() {
    let (ctx, clock) = virtual_context();
    let seen = Arc::new(AtomicUsize::new(0));
    let mut worker = Worker::new();
    let s = Arc::clone(&seen);
    worker
        .spawn(&ctx, "emit-then-wait", move |stop| {
            s.store(1, Ordering::SeqCst);
            stop.wait();
        })
        .unwrap();
    clock.settle();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    worker.stop().unwrap();
}

#[test]
fn clock_reads_follow_advance() {
    let (clock, v) = Clock::new_virtual();
    let t0 = clock.now_nanos();
    v.advance(Duration::from_millis(1500));
    assert_eq!(clock.now_nanos() - t0, 1_500_000_000);
}
