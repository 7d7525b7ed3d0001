//! Delivery end to end: the real engine runs pipelines of test plugins
//! (`pipeplug_tests::testkit`) with flushers that fail, refuse permanently, stay unready or
//! block in a write, and every test counts the events in and out exactly, V1 and V2.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug::{registry, SelfMetricValue};
use pipeplug_agent::engine::{
    Engine, EngineOptions, Pipeline, StopReport, StopTimeouts, DROPPED_EVENTS_METRIC,
    FLUSHED_EVENTS_METRIC,
};
use pipeplug_agent::pipeline_config::{self, DeliveryPolicy, Format};
use pipeplug_tests::testkit;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events each pipeline sends.
const EVENTS: u64 = 100_000;
/// The sum of their `n` (`0..EVENTS`): with the count, it tells a duplicate or a loss.
const SUM_N: u64 = EVENTS * (EVENTS - 1) / 2;

fn pipeline(name: &str, text: &str) -> Pipeline {
    testkit::register();
    let registry = registry::global().expect("no duplicate plugins");
    let cfg =
        pipeline_config::load_str(text, Format::Yaml, &format!("{name}.yaml"), name, &registry)
            .unwrap_or_else(|e| panic!("config of {name}:\n{e}"));
    Pipeline::build(cfg, &registry).unwrap_or_else(|e| panic!("pipeline {name}:\n{e}"))
}

const TIMEOUTS: StopTimeouts = StopTimeouts {
    inputs: Duration::from_secs(2),
    drain: Duration::from_secs(1),
    flush: Duration::from_secs(1),
    stop: Duration::from_secs(1),
};

fn engine() -> Engine {
    Engine::with_checkpoints(
        Arc::new(pipeplug::MemoryCheckpoints::new()),
        EngineOptions {
            data_dir: std::env::temp_dir(),
            timeouts: TIMEOUTS,
            stall_grace: Duration::from_millis(100),
            ..EngineOptions::default()
        },
    )
}

/// Waits (up to 60 s) until `cond` holds.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A pipeline sending [`EVENTS`] numbered events to `flushers` (YAML list items).
fn config(structure: &str, flushers: &str) -> String {
    format!(
        r"
global: {{ StructureType: {structure}, DefaultLogQueueSize: 100, DefaultLogGroupQueueSize: 4 }}
inputs:
  - Type: service_counter
    Count: {EVENTS}
    Batch: 100
flushers:
{flushers}
"
    )
}

/// Runs the pipeline until every event went in and `done` holds, then stops it.
fn run(name: &str, text: &str, done: impl Fn() -> bool) -> StopReport {
    run_with_metrics(name, text, done).0
}

/// As [`run`], with the pipeline's self-metrics after the stop: `(name, reason label) → count`
/// of the engine's flusher delivery counters.
fn run_with_metrics(
    name: &str,
    text: &str,
    done: impl Fn() -> bool,
) -> (StopReport, Vec<(String, String, u64)>) {
    let mut engine = engine();
    engine.start(pipeline(name, text)).unwrap();
    let ctx = engine.pipelines()[0].context().clone();
    wait_until("every event went in and arrived", || {
        engine.pipelines()[0].events_in() == EVENTS && done()
    });
    let report = engine.stop().remove(0);
    let metrics = ctx
        .export_metrics()
        .into_iter()
        .filter(|m| m.name == FLUSHED_EVENTS_METRIC || m.name == DROPPED_EVENTS_METRIC)
        .filter_map(|m| {
            let reason = m
                .labels
                .iter()
                .find(|(k, _)| k == "reason")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            match m.value {
                SelfMetricValue::Counter(n) => Some((m.name, reason, n)),
                _ => None,
            }
        })
        .collect();
    (report, metrics)
}

fn recovers_after_failures(structure: &str) {
    let name = format!("delivery_recovers_{structure}");
    let text = config(
        structure,
        &format!(
            "  - Type: flusher_faulty
    Name: {name}
    FailFirst: 4
    Delivery: {{ MaxRetries: 10, RetryInitialDelay: 5ms, RetryMaxDelay: 40ms }}"
        ),
    );
    let report = run(&name, &text, || testkit::count(&name) == EVENTS);
    let f = &report.flushers[0];
    assert_eq!(report.events_in, EVENTS, "{report:?}");
    assert_eq!((f.flushed, f.dropped), (EVENTS, 0), "{report:?}");
    assert_eq!(testkit::count(&name), EVENTS, "no duplicates");
    assert_eq!(testkit::sum_n(&name), SUM_N, "each event exactly once");
    assert!(testkit::calls(&name) > 4, "the failed calls were retried");
    assert!(report.is_lossless(), "{report:?}");
}

#[test]
fn a_flusher_failing_its_first_calls_gets_everything_once_it_recovers_v1() {
    recovers_after_failures("v1");
}

#[test]
fn a_flusher_failing_its_first_calls_gets_everything_once_it_recovers_v2() {
    recovers_after_failures("v2");
}

fn permanent_errors_are_not_retried(structure: &str) {
    let name = format!("delivery_permanent_{structure}");
    let text = config(
        structure,
        &format!(
            "  - Type: flusher_faulty
    Name: {name}
    FailFirst: 3
    Permanent: true
    Delivery: {{ MaxRetries: 10, RetryInitialDelay: 1s }}"
        ),
    );
    let started = Instant::now();
    let (report, metrics) = run_with_metrics(&name, &text, || {
        testkit::calls(&name) > 3 && testkit::count(&name) > 0
    });
    let f = &report.flushers[0];
    // The self-metrics count what the report says.
    let metric = |name: &str, reason: &str| {
        metrics
            .iter()
            .find(|(n, r, _)| n == name && r == reason)
            .map_or(0, |(_, _, v)| *v)
    };
    assert_eq!(metric(FLUSHED_EVENTS_METRIC, ""), f.flushed, "{metrics:?}");
    assert_eq!(
        metric(DROPPED_EVENTS_METRIC, "permanent"),
        f.drops.permanent,
        "{metrics:?}"
    );
    let got = testkit::count(&name);
    assert_eq!(report.events_in, EVENTS, "{report:?}");
    assert_eq!(f.flushed, got, "{report:?}");
    assert!(f.drops.permanent > 0, "{report:?}");
    assert_eq!(f.drops.failed, 0, "{report:?}");
    assert_eq!(f.dropped, f.drops.permanent, "{report:?}");
    assert_eq!(f.flushed + f.dropped, report.events_in, "{report:?}");
    // A retry would have waited RetryInitialDelay (1 s) at least three times.
    assert!(started.elapsed() < Duration::from_secs(3), "not retried");
}

#[test]
fn a_permanent_error_drops_the_groups_at_once_v1() {
    permanent_errors_are_not_retried("v1");
}

#[test]
fn a_permanent_error_drops_the_groups_at_once_v2() {
    permanent_errors_are_not_retried("v2");
}

fn unready_under_block(structure: &str) {
    let name = format!("delivery_block_{structure}");
    let text = config(
        structure,
        &format!(
            "  - Type: flusher_faulty
    Name: {name}
    UnreadyFor: 5000"
        ),
    );
    let mut engine = engine();
    engine.start(pipeline(&name, &text)).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let held = engine.pipelines()[0].events_in();
    assert!(
        held < EVENTS / 2,
        "the unready flusher holds the input back: {held} in after 2 s"
    );
    wait_until("every event arrived", || testkit::count(&name) == EVENTS);
    let report = engine.stop().remove(0);
    let f = &report.flushers[0];
    assert_eq!(f.policy, DeliveryPolicy::Block);
    assert_eq!(report.events_in, EVENTS, "{report:?}");
    assert_eq!((f.flushed, f.dropped), (EVENTS, 0), "{report:?}");
    assert_eq!(testkit::sum_n(&name), SUM_N, "each event exactly once");
    assert!(report.is_lossless(), "{report:?}");
}

#[test]
fn a_flusher_unready_for_5_s_under_block_gets_everything_v1() {
    unready_under_block("v1");
}

#[test]
fn a_flusher_unready_for_5_s_under_block_gets_everything_v2() {
    unready_under_block("v2");
}

fn unready_under_drop_newest(structure: &str) {
    let name = format!("delivery_drop_newest_{structure}");
    let other = format!("{name}_other");
    let text = config(
        structure,
        &format!(
            "  - Type: flusher_faulty
    Name: {name}
    UnreadyFor: 5000
    Delivery: {{ Policy: drop_newest }}
  - Type: flusher_count
    Name: {other}"
        ),
    );
    let report = run(&name, &text, || testkit::count(&other) == EVENTS);
    let (stalled, ok) = (&report.flushers[0], &report.flushers[1]);
    assert_eq!(stalled.policy, DeliveryPolicy::DropNewest);
    assert_eq!(report.events_in, EVENTS, "{report:?}");
    assert_eq!((ok.flushed, ok.dropped), (EVENTS, 0), "{report:?}");
    assert!(stalled.drops.stalled > 0, "{report:?}");
    assert_eq!(stalled.flushed, testkit::count(&name), "{report:?}");
    assert_eq!(
        stalled.dropped,
        EVENTS - testkit::count(&name),
        "the drop count is what it missed: {report:?}"
    );
    assert_eq!(stalled.flushed + stalled.dropped, report.events_in);
}

#[test]
fn under_drop_newest_the_other_flusher_gets_everything_v1() {
    unready_under_drop_newest("v1");
}

#[test]
fn under_drop_newest_the_other_flusher_gets_everything_v2() {
    unready_under_drop_newest("v2");
}

fn blocked_in_a_write(structure: &str) {
    let name = format!("delivery_blocked_{structure}");
    let other = format!("{name}_other");
    let text = config(
        structure,
        &format!(
            "  - Type: flusher_faulty
    Name: {name}
    BlockAfter: 2
  - Type: flusher_count
    Name: {other}"
        ),
    );
    let mut engine = engine();
    engine.start(pipeline(&name, &text)).unwrap();
    wait_until("the flusher is blocked", || testkit::calls(&name) >= 3);
    // Let the pipeline fill up behind it.
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let report = engine.stop().remove(0);
    let took = started.elapsed();
    // The documented bound.
    let bound = TIMEOUTS.worst_case();
    assert!(took <= bound, "the stop took {took:?}, more than {bound:?}");
    assert!(report.events_in > 0, "{report:?}");
    assert!(report.events_in + report.refused_after_stop <= EVENTS);
    for f in &report.flushers {
        assert_eq!(
            f.flushed + f.dropped,
            report.events_in,
            "in = flushed + dropped for {}: {report:?}",
            f.plugin
        );
    }
    let blocked = &report.flushers[0];
    assert!(blocked.drops.at_stop > 0, "{report:?}");
    assert_eq!(blocked.flushed, testkit::count(&name));
    assert_eq!(report.flushers[1].flushed, testkit::count(&other));
    assert_eq!(
        report.flushers[1].flushed, report.events_in,
        "the working flusher still gets every accepted event: {report:?}"
    );
    assert!(
        report
            .overstayed
            .iter()
            .any(|o| o.contains("flusher_faulty")),
        "the blocked flusher's thread is reported: {report:?}"
    );
    assert_eq!(
        report.overstayed,
        [format!(
            "flusher {}",
            blocked.plugin.split(' ').next().unwrap()
        )],
        "only the blocked flusher is left behind: the input blocked on the full queue was \
         released, the processing thread gave up on the flusher: {report:?}"
    );
}

#[test]
fn a_stop_with_a_flusher_blocked_in_a_write_accounts_for_every_event_v1() {
    blocked_in_a_write("v1");
}

#[test]
fn a_stop_with_a_flusher_blocked_in_a_write_accounts_for_every_event_v2() {
    blocked_in_a_write("v2");
}

/// `check`'s errors for a `Delivery` setting, as `pipeplug check` prints them.
fn check_errors(flusher: &str) -> String {
    testkit::register();
    let registry = registry::global().expect("no duplicate plugins");
    let text = format!("inputs: [{{Type: service_counter}}]\nflushers:\n  - {flusher}\n");
    match pipeline_config::load_str(&text, Format::Yaml, "p.yaml", "p", &registry)
        .map_err(|e| e.to_string())
        .and_then(|c| Pipeline::build(c, &registry).map_err(|e| e.to_string()))
    {
        Ok(_) => String::new(),
        Err(e) => e,
    }
}

#[test]
fn check_reports_bad_delivery_settings_with_file_plugin_and_key() {
    let e = check_errors("{Type: flusher_count, Delivery: {Policy: drop_oldest}}");
    assert!(
        e.contains("p.yaml") && e.contains("flushers[0]") && e.contains("Delivery.Policy"),
        "{e}"
    );
    assert!(e.contains("`block` or `drop_newest`"), "{e}");
    let e = check_errors("{Type: flusher_count, Delivery: {RetryMaxDelay: soon}}");
    assert!(e.contains("Delivery.RetryMaxDelay"), "{e}");
    let e = check_errors("{Type: flusher_count, Delivery: {MaxRetry: 3}}");
    assert!(
        e.contains("Delivery.MaxRetry") && e.contains("unknown key") && e.contains("`MaxRetries`"),
        "{e}"
    );
    let e = check_errors("{Type: flusher_count, Delivery: {MaxRetries: -1}}");
    assert!(e.contains("Delivery.MaxRetries"), "{e}");
    let e = check_errors(
        "{Type: flusher_count, Delivery: {RetryInitialDelay: 10s, RetryMaxDelay: 1s}}",
    );
    assert!(e.contains("RetryInitialDelay"), "{e}");
    let e = check_errors("{Type: flusher_reserved_key}");
    assert!(e.contains("reserved"), "{e}");
    // Accepted: the plugin never sees the key.
    let ok = check_errors(
        "{Type: flusher_count, Delivery: {Policy: drop_newest, MaxRetries: 0, RetryInitialDelay: 10ms, RetryMaxDelay: 1s}}",
    );
    assert_eq!(ok, "");
}

#[test]
fn delivery_is_a_plain_parameter_of_other_plugins() {
    testkit::register();
    let registry = registry::global().expect("no duplicate plugins");
    let text =
        "inputs: [{Type: service_counter, Delivery: x}]\nflushers: [{Type: flusher_count}]\n";
    let e = pipeline_config::load_str(text, Format::Yaml, "p.yaml", "p", &registry)
        .map_err(|e| e.to_string())
        .and_then(|c| Pipeline::build(c, &registry).map_err(|e| e.to_string()))
        .expect_err("service_counter has no `Delivery`");
    assert!(e.contains("inputs[0]") && e.contains("unknown key"), "{e}");
}
