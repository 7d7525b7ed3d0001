//! Integration tests against a real InfluxDB 1.x server (Debian package `influxdb`,
//! installed by `scripts/integration.sh --install`; without it each test prints why it is
//! skipped and passes).

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug_tests::servers::InfluxDb;

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
