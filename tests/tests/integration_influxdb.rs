//! Integration tests against a real InfluxDB 1.x server (Debian package `influxdb`,
//! installed by `scripts/integration.sh --install`; without it each test prints why it is
//! skipped and passes): the agent (`pipeplug-testkit run`) sends numbered metrics through
//! `flusher_http` as line protocol to InfluxDB's `/write`, and queries count them back.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug_tests::servers::{wait_for, Agent, InfluxDb, ServerError};
use pipeplug_tests::testkit::METRIC_BASE_NS;
use std::path::Path;
use std::time::Duration;

/// Starts a server, or returns from the test (with the skip message printed) where `influxd`
/// is not installed.
macro_rules! influxdb_or_skip {
    () => {
        match InfluxDb::start().unwrap() {
            Some(server) => server,
            None => return,
        }
    };
}

#[test]
fn the_test_server_keeps_points_written_over_http_across_a_restart() {
    let mut db = influxdb_or_skip!();
    db.query(None, "CREATE DATABASE pipeplug").unwrap();
    let counted = "SELECT count(value), sum(value) FROM m";
    assert_eq!(db.numbers("pipeplug", counted).unwrap(), Vec::<f64>::new());
    // Points of one series at distinct times; the last repeats a time, and overwrites.
    let mut lines: String = (0..1000)
        .map(|n| format!("m,host=a value={n} {}\n", 1_700_000_000_000_000_000u64 + n))
        .collect();
    lines.push_str("m,host=a value=0 1700000000000000999\n");
    db.write("pipeplug", &lines).unwrap();
    assert_eq!(
        db.numbers("pipeplug", counted).unwrap(),
        [1000.0, f64::from(999 * 1000 / 2 - 999)]
    );

    db.stop().unwrap();
    assert!(db.write("pipeplug", "m value=1 1").is_err());
    db.start_again().unwrap();
    assert_eq!(
        db.numbers("pipeplug", counted).unwrap(),
        [1000.0, f64::from(999 * 1000 / 2 - 999)]
    );
}

#[test]
fn the_test_server_reports_a_bad_write_and_a_bad_query_with_influxdbs_message() {
    let db = influxdb_or_skip!();
    let err = db.write("nowhere", "m value=1").unwrap_err().to_string();
    assert!(err.contains("database not found"), "{err}");
    db.query(None, "CREATE DATABASE pipeplug").unwrap();
    let err = db.write("pipeplug", "m value=").unwrap_err().to_string();
    assert!(err.contains("400"), "{err}");
    let err = db
        .query(Some("pipeplug"), "SELEKT 1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("error parsing query"), "{err}");
}

const EVENTS: u64 = 100_000;

/// `service_counter` emitting metrics (`Metric`: `pipeplug_seq` of value `n` at
/// `METRIC_BASE_NS + n` ns, so that no two share a time and overwrite each other) to
/// `flusher_http` writing InfluxDB line protocol to `/write`, a request per group, retried
/// for minutes. STRUCTURE is v1 (metric logs) or v2 (metric events).
const PIPELINE: &str = r#"
global:
  StructureType: @STRUCTURE@
inputs:
  - Type: service_counter
    Count: @COUNT@
    Batch: @BATCH@
    Interval: @INTERVAL@
    Metric: pipeplug_seq
flushers:
  - Type: flusher_http
    RemoteURL: "@URL@"
    Query: {db: pipeplug, precision: ns}
    Convert: {Protocol: influxdb, Encoding: custom, IgnoreUnExpectedData: false}
    Retry: {Enable: true, MaxRetryTimes: 1000, InitialDelay: 50ms, MaxDelay: 500ms}
    Timeout: 10s
"#;

fn pipeline(db: &InfluxDb, structure: &str, batch: u64, interval: &str) -> String {
    PIPELINE
        .replace("@STRUCTURE@", structure)
        .replace("@COUNT@", &EVENTS.to_string())
        .replace("@BATCH@", &batch.to_string())
        .replace("@INTERVAL@", interval)
        .replace("@URL@", &format!("{}/write", db.url()))
}

fn testkit() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_pipeplug-testkit"))
}

/// The points and the sum of their values.
const COUNTED: &str = "SELECT count(value), sum(value) FROM pipeplug_seq";

/// The numbers `(count, sum)` of `COUNTED`; zeros before the first point.
fn counted(db: &InfluxDb) -> Result<(u64, u64), ServerError> {
    let numbers = db.numbers("pipeplug", COUNTED)?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(match numbers[..] {
        [count, sum] => (count as u64, sum as u64),
        _ => (0, 0),
    })
}

/// The first and the last point's time, as InfluxDB answers them (RFC 3339, JSON strings).
fn first_and_last(db: &InfluxDb) -> (String, String) {
    let time = |q: &str| {
        let v = db.query(Some("pipeplug"), q).unwrap();
        v["results"][0]["series"][0]["values"][0][0].to_string()
    };
    (
        time("SELECT first(value) FROM pipeplug_seq"),
        time("SELECT last(value) FROM pipeplug_seq"),
    )
}

/// Stops the agent, checks it exited 0 having flushed all `EVENTS`, and returns its output.
fn stop_agent(agent: Agent) -> String {
    let (code, output) = agent.terminate();
    assert_eq!(code, Some(0), "the agent exits 0 on SIGTERM:\n{output}");
    let reported = format!("{EVENTS} event(s) in, flushed {EVENTS} to flusher_http");
    assert!(
        output.contains(&reported),
        "expected `{reported}` in:\n{output}"
    );
    output
}

/// Every point is there: `EVENTS` points of values 0 ..= EVENTS - 1 (their sum tells a
/// lost point from a repeated one, which would overwrite its namesake), at the times
/// `service_counter` gave them.
fn assert_all_arrived(db: &InfluxDb) {
    assert_eq!(counted(db).unwrap(), (EVENTS, EVENTS * (EVENTS - 1) / 2));
    // InfluxDB answers times in RFC 3339: METRIC_BASE_NS is 2023-11-14T22:13:20Z.
    assert_eq!(METRIC_BASE_NS, 1_700_000_000_000_000_000);
    assert_eq!(
        first_and_last(db),
        (
            "\"2023-11-14T22:13:20Z\"".to_owned(),
            format!("\"2023-11-14T22:13:20.0000{:05}Z\"", EVENTS - 1)
        )
    );
}

fn all_100000_metrics_arrive(structure: &str) {
    let db = influxdb_or_skip!();
    db.query(None, "CREATE DATABASE pipeplug").unwrap();
    let agent = Agent::run(testkit(), &pipeline(&db, structure, 1000, "0s")).unwrap();
    let (count, _) = wait_for(Duration::from_secs(120), (EVENTS, 0), || counted(&db)).unwrap();
    assert_eq!(count, EVENTS, "points in InfluxDB:\n{}", agent.output());
    stop_agent(agent);
    assert_all_arrived(&db);
}

#[test]
fn all_100000_v1_metrics_arrive_in_influxdb() {
    all_100000_metrics_arrive("v1");
}

#[test]
fn all_100000_v2_metrics_arrive_in_influxdb() {
    all_100000_metrics_arrive("v2");
}

#[test]
fn all_100000_metrics_arrive_in_influxdb_across_a_5s_outage() {
    let mut db = influxdb_or_skip!();
    db.query(None, "CREATE DATABASE pipeplug").unwrap();
    // 200 batches of 500, 50 ms apart: the run lasts 10 s or more.
    let agent = Agent::run(testkit(), &pipeline(&db, "v1", 500, "50ms")).unwrap();
    let (before, _) = wait_for(Duration::from_secs(60), (20_000, 0), || counted(&db)).unwrap();
    assert!(before >= 20_000, "points before the outage: {before}");
    assert!(before < EVENTS, "the outage comes mid-run");

    db.stop().unwrap();
    std::thread::sleep(Duration::from_secs(5));
    db.start_again().unwrap();

    let (after, _) = wait_for(Duration::from_secs(120), (EVENTS, 0), || counted(&db)).unwrap();
    assert_eq!(after, EVENTS, "points in InfluxDB:\n{}", agent.output());
    let retries = agent
        .metric("pipeplug_self_flusher_http_retries_total")
        .unwrap();
    let output = stop_agent(agent);
    assert!(
        retries.is_some_and(|r| r > 0.0),
        "flusher_http retried during the outage ({retries:?}):\n{output}"
    );
    // A request written before the stop but retried (no answer) is written again at the
    // same times: the same points, which InfluxDB keeps once.
    assert_all_arrived(&db);
}
