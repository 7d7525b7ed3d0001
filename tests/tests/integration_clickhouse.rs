//! Integration tests against a real ClickHouse server (Debian package `clickhouse-server`,
//! installed by `scripts/integration.sh --install`; without it each test prints why it is
//! skipped and passes).

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug_tests::servers::ClickHouse;

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
