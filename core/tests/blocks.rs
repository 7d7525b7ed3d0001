//! The building blocks for plugin authors, as a plugin uses them: an aggregator on
//! `AggregatorBase` through its harness, the host identity, alarm levels and averages.

use pipeplug::aggregate::{AggregatorBase, PACK_ID_TAG_KEY};
use pipeplug::prelude::*;
use pipeplug::testing::{create_logs, AggregatorHarness, MockContext};
use pipeplug::{GlobalConfig, HostIdentity, Level, SelfMetricValue};

/// Groups logs by `service`, two logs a group, two groups held before the early flush.
#[aggregator(name = "aggregator_blocks_test", rename_all = "PascalCase")]
pub struct ByService {
    /// The most logs in a group.
    #[config(default = 2)]
    max_log_count: usize,
    #[state]
    base: AggregatorBase,
}

impl Aggregator for ByService {
    fn init(&mut self, ctx: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
        self.base = AggregatorBase::new()
            .group_keys(["service"])
            .max_log_count(self.max_log_count)
            .max_log_group_count(2);
        self.base.init(ctx, queue);
        Ok(DEFAULT_INTERVAL)
    }
    fn reset(&mut self) {
        self.base.reset();
    }
}

impl AggregatorV1 for ByService {
    fn add(&mut self, log: Log, _ctx: Option<&LogContext>) -> Result<(), BoxError> {
        Ok(self.base.add(log)?)
    }
    fn flush(&mut self) -> Vec<LogGroup> {
        self.base.flush()
    }
}

fn tag<'a>(g: &'a LogGroup, key: &str) -> Option<&'a str> {
    g.log_tags
        .iter()
        .find(|t| t.key == key)
        .map(|t| t.value.as_str())
}

#[test]
fn an_aggregator_on_the_base_groups_flushes_early_and_refuses_when_the_queue_is_full() {
    let mut h = AggregatorHarness::<ByService>::from_yaml("MaxLogCount: 2")
        .unwrap()
        .with_queue_capacity(1);
    let logs = create_logs((0..9).map(|i| [("service", "a".to_owned()), ("n", i.to_string())]));
    // Logs 0..4 fill two groups; log 4 closes the second and sends the first ahead.
    h.add_all_v1(logs[..5].to_vec()).unwrap();
    let queued = h.queued();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].logs.len(), 2);
    assert_eq!(queued[0].category, "test_logstore");
    assert_eq!(tag(&queued[0], "service"), Some("a"));
    let id = tag(&queued[0], PACK_ID_TAG_KEY).unwrap();
    assert!(id.ends_with("-0"), "{id}");
    // Log 6 sends the second group and fills the queue; log 8 would send the third: the
    // queue is full, so the log is refused.
    h.add_all_v1(logs[5..8].to_vec()).unwrap();
    let err = h.add_v1(logs[8].clone()).unwrap_err();
    assert!(err.to_string().contains("queue is full"), "{err}");
    let flushed = h.flush_v1().unwrap();
    let firsts: Vec<&str> = flushed.iter().filter_map(|g| g.logs[0].get("n")).collect();
    assert_eq!(
        firsts,
        ["4", "6"],
        "the group handed back, then the one being filled"
    );
    let queued = h.queued();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].logs[0].get("n"), Some("2"));
}

#[test]
fn host_identity_comes_from_global_then_builder_then_system() {
    let global =
        GlobalConfig::decode(&serde_json::json!({"Hostname": "web-1", "HostIP": "10.1.2.3"}));
    assert!(global.problems.is_empty(), "{:?}", global.problems);
    let ctx = Context::builder()
        .host(HostIdentity::new("b", "192.168.0.1"))
        .global(global.config)
        .build();
    assert_eq!((ctx.host_name(), ctx.host_ip()), ("web-1", "10.1.2.3"));
    // A plugin's context is the pipeline's.
    let plugin = ctx.for_plugin(pipeplug::PluginMeta::default());
    assert_eq!(plugin.host_ip(), "10.1.2.3");

    // Nothing given: the system's.
    let ctx = Context::default();
    assert_eq!(ctx.host(), HostIdentity::system());
    if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        assert_eq!(ctx.host_name(), name.trim());
    }
    let ip: std::net::Ipv4Addr = ctx.host_ip().parse().unwrap();
    assert!(!ip.is_unspecified());
}

#[test]
fn mock_context_has_a_fixed_settable_identity() {
    let mock = MockContext::default();
    assert_eq!(mock.context().host_name(), MockContext::HOST_NAME);
    assert_eq!(mock.context().host_ip(), "127.0.0.1");
    let mock = MockContext::builder()
        .host(HostIdentity::new("node-7", "10.0.0.7"))
        .build();
    assert_eq!(mock.context_for("x").host_name(), "node-7");
    let mock = MockContext::builder()
        .global(GlobalConfig {
            host_ip: "10.9.9.9".into(),
            ..GlobalConfig::default()
        })
        .build();
    assert_eq!(
        (mock.context().host_name(), mock.context().host_ip()),
        ("test_host", "10.9.9.9")
    );
}

#[test]
fn alarms_carry_their_level() {
    let mock = MockContext::default();
    let ctx = mock.context_for("processor_x");
    ctx.logger().alarm("PARSE_LOG_FAIL_ALARM", "bad line");
    ctx.logger()
        .alarm_at(AlarmLevel::Error, "SEND_DATA_FAIL_ALARM", "lost 3 groups");
    ctx.logger()
        .alarm_at(AlarmLevel::Critical, "INIT_ALARM", "cannot start");
    ctx.logger().warn("not an alarm");
    let alarms: Vec<_> = mock
        .alarms()
        .into_iter()
        .map(|r| (r.alarm_level, r.level, r.alarm.unwrap_or_default()))
        .collect();
    assert_eq!(
        alarms,
        [
            (
                Some(AlarmLevel::Warning),
                Level::Warn,
                "PARSE_LOG_FAIL_ALARM".to_owned()
            ),
            (
                Some(AlarmLevel::Error),
                Level::Error,
                "SEND_DATA_FAIL_ALARM".to_owned()
            ),
            (
                Some(AlarmLevel::Critical),
                Level::Error,
                "INIT_ALARM".to_owned()
            ),
        ]
    );
    let plain = mock.log_records().pop().unwrap();
    assert_eq!((plain.alarm, plain.alarm_level), (None, None));
}

#[test]
fn averages_are_registered_and_reset_on_export() {
    let mock = MockContext::default();
    let ctx = mock.context_for("service_mysql");
    let cost = ctx.average(pipeplug::metric_names::PLUGIN_COLLECT_AVG_COST_TIME_MS);
    cost.add(10.0);
    cost.add(30.0);
    let read = |mock: &MockContext| {
        mock.metrics()
            .into_iter()
            .find(|m| m.name == "plugin_collect_avg_cost_time_ms")
            .map(|m| (m.labels, m.value))
    };
    let (labels, value) = read(&mock).unwrap();
    assert_eq!(value, SelfMetricValue::Average(20.0));
    assert!(labels.contains(&("plugin".to_owned(), "service_mysql".to_owned())));
    // Same name, same metric; a new interval starts at each export.
    ctx.average("plugin_collect_avg_cost_time_ms").add(4.0);
    assert_eq!(read(&mock).unwrap().1, SelfMetricValue::Average(4.0));
    assert_eq!(
        read(&mock).unwrap().1,
        SelfMetricValue::Average(4.0),
        "no value: the previous mean"
    );
}
