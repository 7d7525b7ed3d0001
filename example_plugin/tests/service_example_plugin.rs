//! The example plugin's behaviour, checked through the harness in virtual time: a 5 s interval
//! is tested in milliseconds.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use example_plugin::MyServiceInput;
use pipeplug::models::{MetricType, PipelineEvent};
use pipeplug::testing::ServiceInputHarness;
use pipeplug::PluginConfig;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const INTERVAL: Duration = Duration::from_secs(5);

fn harness() -> ServiceInputHarness<MyServiceInput> {
    // The guide's default config: no keys, so `interval` is 5 s.
    ServiceInputHarness::from_yaml("").unwrap()
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn default_interval_is_five_seconds() {
    let plugin = MyServiceInput::from_yaml_str("").unwrap();
    assert_eq!(plugin.to_config()["interval"], "5s");
    let plugin = MyServiceInput::from_yaml_str("interval: 1s").unwrap();
    assert_eq!(plugin.to_config()["interval"], "1s");
}

#[test]
fn v1_emits_one_host_log_per_interval() {
    let mut h = harness();
    let start = unix_secs(h.mock().now());
    h.start_v1().unwrap();
    h.advance(INTERVAL * 3);
    h.stop().unwrap();

    let logs = h.logs();
    assert_eq!(logs.len(), 3, "exactly one log per interval: {logs:?}");
    for (i, log) in logs.iter().enumerate() {
        assert_eq!(log.contents.len(), 1);
        assert_eq!(log.get("host"), Some("1.1.1.1"));
        // The current Unix time, as the virtual clock reads it at each tick.
        let expected = start + 5 * (i as u64 + 1);
        assert_eq!(u64::from(log.time), expected);
    }
    assert!(start > 1_600_000_000, "a plausible time");
}

#[test]
fn v2_emits_one_counter_metric_per_interval() {
    let mut h = harness();
    let start_ns = h
        .mock()
        .now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    h.start_v2().unwrap();
    h.advance(INTERVAL * 3);
    h.stop().unwrap();

    let groups = h.groups();
    assert!(
        groups.iter().all(|g| g.group == Default::default()),
        "an empty GroupInfo"
    );
    let events = h.events();
    assert_eq!(
        events.len(),
        3,
        "exactly one metric per interval: {events:?}"
    );
    for (i, event) in events.iter().enumerate() {
        let PipelineEvent::Metric(m) = event else {
            panic!("expected a metric, got {event:?}");
        };
        assert_eq!(m.name, "test_metric");
        assert_eq!(m.metric_type, MetricType::Counter);
        assert_eq!(m.tags.get("hello").map(|v| v.as_str()), Some("world"));
        assert_eq!(m.tags.len(), 1);
        assert_eq!(m.single_value(), Some(1.0));
        // Nanosecond time: exactly start + (i + 1) * 5 s on the virtual clock.
        let expected = start_ns + (i as u64 + 1) * 5_000_000_000;
        assert_eq!(m.timestamp, expected);
    }
}

#[test]
fn nothing_is_emitted_before_the_first_interval() {
    let mut h = harness();
    h.start_v1().unwrap();
    h.advance(INTERVAL - Duration::from_millis(1));
    assert!(h.logs().is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(h.logs().len(), 1);
    h.stop().unwrap();
}

#[test]
fn config_keys_follow_go() {
    // iLogtail configs write `Interval` and Go durations in nanoseconds.
    let plugin = MyServiceInput::from_json_str(r#"{"Interval": 2000000000}"#).unwrap();
    assert_eq!(plugin.to_config()["interval"], "2s");
    let err = MyServiceInput::from_yaml_str("intervl: 1s").unwrap_err();
    assert!(
        err.to_string().contains("did you mean `interval`?"),
        "{err}"
    );
    let err = MyServiceInput::from_yaml_str("interval: 5 parsecs").unwrap_err();
    assert!(err.to_string().contains("key `interval`"), "{err}");
}

#[test]
fn stop_wakes_the_loop_on_the_real_clock() {
    use pipeplug::plugin::{ServiceInput, ServiceInputV1};
    use pipeplug::{Collector, Context};
    use std::sync::Arc;
    use std::time::Instant;

    // Real time, 5 s interval: `stop` must not wait for the next tick. (The latency itself
    // is measured by `cargo bench -p example_plugin`; here a loose bound proves the wake-up.)
    let ctx = Context::default();
    let mut plugin = MyServiceInput::from_yaml_str("").unwrap();
    plugin.init(&ctx).unwrap();
    plugin
        .start(Collector::new(Arc::new(|_: pipeplug::LogWithContext| {})))
        .unwrap();
    assert_eq!(ctx.live_threads(), 1);
    let asked = Instant::now();
    plugin.stop().unwrap();
    assert!(
        asked.elapsed() < INTERVAL / 2,
        "stop waited for the interval"
    );
    assert_eq!(ctx.live_threads(), 0, "a thread was left behind");
}
