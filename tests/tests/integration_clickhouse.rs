//! Integration tests against a real ClickHouse server (Debian package `clickhouse-server`,
//! installed by `scripts/integration.sh --install`; without it each test prints why it is
//! skipped and passes): the agent (`pipeplug-testkit run`) sends numbered events through
//! `flusher_http` as JSON lines to ClickHouse's HTTP interface (`INSERT ... FORMAT
//! JSONEachRow`), and queries count them back.

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug_tests::servers::{wait_for, Agent, ClickHouse};
use std::path::Path;
use std::time::Duration;

const EVENTS: u64 = 100_000;

/// Starts a server, or returns from the test (with the skip message printed) where
/// `clickhouse-server` is not installed.
macro_rules! clickhouse_or_skip {
    () => {
        match ClickHouse::start().unwrap() {
            Some(server) => server,
            None => return,
        }
    };
}

const TABLE: &str = "CREATE TABLE default.events (n String, time UInt32) \
                     ENGINE = MergeTree ORDER BY n";

#[test]
fn the_test_server_keeps_rows_written_over_http_across_a_restart() {
    let mut ch = clickhouse_or_skip!();
    ch.query(TABLE).unwrap();
    let rows: String = (0..1000)
        .map(|n| format!("{{\"n\":\"{n}\",\"time\":1700000000,\"extra\":\"x\"}}\n"))
        .collect();
    ch.insert(
        &[
            ("query", "INSERT INTO default.events FORMAT JSONEachRow"),
            ("input_format_skip_unknown_fields", "1"),
        ],
        &rows,
    )
    .unwrap();
    let counted = "SELECT count(), uniqExact(n) FROM default.events";
    assert_eq!(ch.numbers(counted).unwrap(), [1000, 1000]);

    ch.stop().unwrap();
    let err = ch.query("SELECT 1").unwrap_err().to_string();
    assert!(err.contains("SELECT 1"), "a stopped server refuses: {err}");
    ch.start_again().unwrap();
    assert_eq!(ch.numbers(counted).unwrap(), [1000, 1000]);
}

#[test]
fn the_test_server_reports_a_bad_query_with_clickhouses_message() {
    let ch = clickhouse_or_skip!();
    let err = ch
        .query("SELECT * FROM default.nowhere")
        .unwrap_err()
        .to_string();
    assert!(err.contains("doesn't exist"), "{err}");
    let err = ch.numbers("SELECT 'a'").unwrap_err().to_string();
    assert!(err.contains("unexpected answer"), "{err}");
}

/// `service_counter` (its `n` = 0, 1, ..., `Count` - 1, `Batch` at a time, `Interval`
/// between batches) to `flusher_http` writing JSON lines to ClickHouse: a group per request
/// (`Separator`), contents flattened (`custom_single_flatten`: `n`, the tag `host.ip` and
/// `time`; the columns of `TABLE`, the other keys skipped), retried for minutes.
const PIPELINE: &str = r#"
inputs:
  - Type: service_counter
    Count: @COUNT@
    Batch: @BATCH@
    Interval: @INTERVAL@
flushers:
  - Type: flusher_http
    RemoteURL: "@URL@"
    Query:
      query: "INSERT INTO default.events FORMAT JSONEachRow"
      input_format_skip_unknown_fields: "1"
    Convert: {Protocol: custom_single_flatten, Separator: "\n"}
    Retry: {Enable: true, MaxRetryTimes: 1000, InitialDelay: 50ms, MaxDelay: 500ms}
    Timeout: 10s
"#;

fn pipeline(ch: &ClickHouse, count: u64, batch: u64, interval: &str) -> String {
    PIPELINE
        .replace("@COUNT@", &count.to_string())
        .replace("@BATCH@", &batch.to_string())
        .replace("@INTERVAL@", interval)
        .replace("@URL@", &ch.url())
}

fn testkit() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_pipeplug-testkit"))
}

/// `count()`, `uniqExact(n)`, `min(n)` and `max(n)` of the table.
const COUNTED: &str = "SELECT count(), uniqExact(n), min(toUInt64(n)), max(toUInt64(n)) \
                       FROM default.events";

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

#[test]
fn all_100000_events_arrive_in_clickhouse_once_each() {
    let ch = clickhouse_or_skip!();
    ch.query(TABLE).unwrap();
    let agent = Agent::run(testkit(), &pipeline(&ch, EVENTS, 1000, "0s")).unwrap();
    let count = wait_for(Duration::from_secs(120), EVENTS, || {
        Ok(ch.numbers("SELECT count() FROM default.events")?[0])
    })
    .unwrap();
    assert_eq!(count, EVENTS, "events in ClickHouse:\n{}", agent.output());
    let requests = agent
        .metric("pipeplug_self_flusher_http_requests_sent_total")
        .unwrap();
    stop_agent(agent);
    // Every n once, none lost, none twice, nothing after the stop.
    assert_eq!(
        ch.numbers(COUNTED).unwrap(),
        [EVENTS, EVENTS, 0, EVENTS - 1]
    );
    // A request per group, not per event.
    let requests = requests.expect("flusher_http's request count in /metrics");
    assert!(
        (1.0..1000.0).contains(&requests),
        "{requests} requests for {EVENTS} events"
    );
}

/// The most events in one request: a group of `aggregator_default` (`MaxLogCount`).
const GROUP: u64 = 1024;

#[test]
fn all_100000_events_arrive_in_clickhouse_across_a_5s_crash_at_most_one_request_twice() {
    let mut ch = clickhouse_or_skip!();
    ch.query(TABLE).unwrap();
    // 200 batches of 500, 50 ms apart: the run lasts 10 s or more.
    let agent = Agent::run(testkit(), &pipeline(&ch, EVENTS, 500, "50ms")).unwrap();
    let count = "SELECT count() FROM default.events";
    let before = wait_for(
        Duration::from_secs(60),
        20_000,
        || Ok(ch.numbers(count)?[0]),
    )
    .unwrap();
    assert!(before >= 20_000, "events before the outage: {before}");
    assert!(before < EVENTS, "the outage comes mid-run");

    // Killed, not stopped: a graceful stop of ClickHouse goes on serving the flusher's
    // keep-alive connection until it has drained, and is no outage.
    ch.crash().unwrap();
    std::thread::sleep(Duration::from_secs(5));
    ch.start_again().unwrap();

    let distinct = "SELECT uniqExact(n) FROM default.events";
    let after = wait_for(Duration::from_secs(120), EVENTS, || {
        Ok(ch.numbers(distinct)?[0])
    })
    .unwrap();
    assert_eq!(
        after,
        EVENTS,
        "distinct events in ClickHouse:\n{}",
        agent.output()
    );
    let retries = agent
        .metric("pipeplug_self_flusher_http_retries_total")
        .unwrap();
    let refused = agent
        .metric("pipeplug_self_flusher_http_failures_total")
        .unwrap();
    let output = stop_agent(agent);
    // The flusher saw the outage and retried through it ...
    assert!(
        retries.is_some_and(|r| r > 0.0) && refused.is_some_and(|r| r > 0.0),
        "flusher_http retried during the outage (retries {retries:?}, failures {refused:?}):\n{output}"
    );
    // ... every n is there, none lost ...
    let [count, distinct, min, max] = ch.numbers(COUNTED).unwrap()[..] else {
        unreachable!("four numbers")
    };
    assert_eq!([distinct, min, max], [EVENTS, 0, EVENTS - 1]);
    // ... and at most the request in flight at the crash is there twice. ClickHouse may
    // have written it before it died without answering; the flusher, seeing no answer,
    // sends it again (delivery is at least once), and a plain MergeTree table does not
    // deduplicate inserts. Requests refused while the server was down were never written.
    assert!(
        count - distinct <= GROUP,
        "{} events twice: more than the one request in flight at the crash",
        count - distinct
    );
    eprintln!("events written twice after the crash: {}", count - distinct);
}

/// The example `examples/http_to_clickhouse.yaml` as written (only its two addresses moved to
/// free ports): JSON lines posted to its `service_http_server` reach ClickHouse's table,
/// through its processors, each once.
#[test]
fn the_http_to_clickhouse_example_inserts_what_clients_post() {
    let ch = clickhouse_or_skip!();
    ch.query(
        "CREATE TABLE default.access (service String, region String, path String, \
         status String, time UInt32) ENGINE = MergeTree ORDER BY time",
    )
    .unwrap();
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/http_to_clickhouse.yaml"),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ingest = format!("http://127.0.0.1:{port}/ingest");
    assert!(
        example.contains("http://127.0.0.1:18689/ingest")
            && example.contains("http://127.0.0.1:8123/")
    );
    let pipeline = example
        .replace("http://127.0.0.1:18689/ingest", &ingest)
        .replace("http://127.0.0.1:8123/", &ch.url());
    let agent = Agent::run(testkit(), &pipeline).unwrap();

    // 50 requests of 100 lines, as a client would post them.
    for request in 0..50 {
        let body: String = (0..100)
            .map(|i| {
                let n = request * 100 + i;
                format!("{{\"uri\":\"/item/{n}\",\"status\":\"{}\"}}\n", 200 + n % 3)
            })
            .collect();
        let answer = ureq::post(&ingest).send(&body).unwrap();
        assert_eq!(answer.status().as_u16(), 204, "request {request}");
    }
    let rows = wait_for(Duration::from_secs(60), 5000, || {
        Ok(ch.numbers("SELECT count() FROM default.access")?[0])
    })
    .unwrap();
    assert_eq!(rows, 5000, "rows in ClickHouse:\n{}", agent.output());
    let (code, output) = agent.terminate();
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(
        ch.numbers(
            "SELECT count(), uniqExact(path), countIf(service = 'checkout' AND region = 'eu-1'), \
             countIf(status = '202'), min(time) > 1700000000 FROM default.access"
        )
        .unwrap(),
        [5000, 5000, 5000, 1666, 1],
        "every posted line once, with the processors' fields and its own\n{output}"
    );
}
