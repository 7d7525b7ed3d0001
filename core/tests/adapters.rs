//! The adapters that run a V1 plugin in a V2 pipeline and a V2 plugin in a V1 pipeline:
//! what crosses them, and that nothing is silently lost.
#![allow(clippy::unwrap_used)] // test helpers, not only `#[test]` functions, unwrap

use pipeplug::adapter::{
    AggregatorV1AsV2, AggregatorV2AsV1, FlusherV1AsV2, FlusherV2AsV1, MetricInputV1AsV2,
    MetricInputV2AsV1, ProcessorV1AsV2, ProcessorV2AsV1, ServiceInputV1AsV2, ServiceInputV2AsV1,
};
use pipeplug::compat::*;
use pipeplug::models::{
    self, GroupInfo, LogValue, MetricType, PipelineEvent, PipelineGroupEvents, Tags,
};
use pipeplug::plugin::*;
use pipeplug::protocol::{Log, LogGroup, LogTag};
use pipeplug::{
    BoxError, Clock, Collector, Context, LogContext, LogGroupQueue, LogWithContext, PipelineContext,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

fn recording_collector() -> (Collector, Arc<Mutex<Vec<Log>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let collector = Collector::new(Arc::new(move |l: LogWithContext| {
        sink.lock().unwrap().push(l.log);
    }));
    (collector, seen)
}

fn log_event(event: &PipelineEvent) -> &models::Log {
    match event {
        PipelineEvent::Log(l) => l,
        other => panic!("expected a log event, got {other:?}"),
    }
}

fn text(s: &str) -> LogValue {
    LogValue::from(s)
}

// Processors.

/// V1: upper-cases `msg`, drops logs with `drop`.
struct UpperV1;
impl Plugin for UpperV1 {
    fn description(&self) -> &str {
        "upper v1"
    }
}
impl Processor for UpperV1 {}
impl ProcessorV1 for UpperV1 {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs.into_iter()
            .filter(|l| l.get("drop").is_none())
            .map(|mut l| {
                for c in &mut l.contents {
                    if c.key == "msg" {
                        c.value = c.value.to_uppercase();
                    }
                }
                l
            })
            .collect()
    }
}

/// V2: adds `seen=yes` to log events, passes other events on.
struct MarkV2;
impl Plugin for MarkV2 {
    fn description(&self) -> &str {
        "mark v2"
    }
}
impl Processor for MarkV2 {}
impl ProcessorV2 for MarkV2 {
    fn process(&mut self, mut group: PipelineGroupEvents, ctx: &PipelineContext) {
        for e in &mut group.events {
            if let PipelineEvent::Log(l) = e {
                l.contents.add("seen", "yes");
            }
        }
        ctx.collector().collect(group.group, group.events);
    }
}

#[test]
fn v1_processor_in_v2_processes_logs_and_passes_other_events() {
    let mut p = ProcessorV1AsV2::new(UpperV1);
    assert_eq!(p.description(), "upper v1");
    Processor::init(&mut p, &Context::default()).unwrap();
    let group = new_group(
        new_metadata_with_key_values(&["source", "s"]),
        new_tags_with_key_values(&["host", "h"]),
    );
    let mut kept = new_simple_log("body", new_tags_with_key_values(&["file", "a"]), 7);
    kept.contents.add("msg", "hi");
    let mut dropped = models::Log::default();
    dropped.contents.add("drop", "1");
    let metric = new_single_value_metric("m", MetricType::Gauge, Tags::new(), 1, 2);
    let ctx = PipelineContext::grouped();
    p.process(
        PipelineGroupEvents::new(
            group.clone(),
            vec![kept.into(), metric.clone().into(), dropped.into()],
        ),
        &ctx,
    );
    let out = ctx.collector().to_array();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].group, group, "the group is kept");
    assert_eq!(
        out[0].events.len(),
        2,
        "the dropped log is gone, the metric is not"
    );
    assert_eq!(out[0].events[0], PipelineEvent::Metric(metric));
    let log = log_event(&out[0].events[1]);
    assert_eq!(log.contents.get("msg"), Some(&text("HI")));
    assert_eq!(
        log.tags,
        new_tags_with_key_values(&["file", "a"]),
        "event tags survive"
    );
    assert_eq!(log.timestamp, 7);
}

#[test]
fn v2_processor_in_v1_sees_tag_contents_as_tags() {
    let mut p = ProcessorV2AsV1::new(MarkV2);
    let logs = vec![
        Log::new(3, [("msg", "a"), ("__tag__:file", "f")]),
        Log::new(4, [("msg", "b")]),
    ];
    let out = p.process_logs(logs);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].get("seen"), Some("yes"));
    assert_eq!(out[0].get("__tag__:file"), Some("f"));
    assert_eq!(out[0].time, 3);
    assert_eq!(out[1].get("msg"), Some("b"));
    assert!(p.process_logs(Vec::new()).is_empty());
}

// Aggregators.

/// V1: keeps logs and their contexts; one group per flush.
#[derive(Default)]
struct KeepV1 {
    logs: Vec<Log>,
    contexts: Vec<Option<LogContext>>,
}
impl Plugin for KeepV1 {
    fn description(&self) -> &str {
        "keep v1"
    }
}
impl Aggregator for KeepV1 {
    fn init(&mut self, _: &Context, _: LogGroupQueue) -> Result<Duration, BoxError> {
        Ok(Duration::from_secs(7))
    }
}
impl AggregatorV1 for KeepV1 {
    fn add(&mut self, log: Log, ctx: Option<&LogContext>) -> Result<(), BoxError> {
        self.logs.push(log);
        self.contexts.push(ctx.cloned());
        Ok(())
    }
    fn flush(&mut self) -> Vec<LogGroup> {
        if self.logs.is_empty() {
            return Vec::new();
        }
        vec![LogGroup {
            logs: std::mem::take(&mut self.logs),
            topic: "t".to_owned(),
            log_tags: vec![LogTag::new("agg", "keep")],
            ..LogGroup::default()
        }]
    }
}

/// V2: keeps groups until `get_result`.
#[derive(Default)]
struct KeepV2 {
    kept: Vec<PipelineGroupEvents>,
}
impl Plugin for KeepV2 {
    fn description(&self) -> &str {
        "keep v2"
    }
}
impl Aggregator for KeepV2 {}
impl AggregatorV2 for KeepV2 {
    fn record(&mut self, group: PipelineGroupEvents, _: &PipelineContext) -> Result<(), BoxError> {
        self.kept.push(group);
        Ok(())
    }
    fn get_result(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        ctx.collector().collect_list(self.kept.drain(..));
        Ok(())
    }
}

#[test]
fn v1_aggregator_in_v2_gets_group_tags_and_gives_groups_back() {
    let mut a = AggregatorV1AsV2::new(KeepV1::default());
    let interval = Aggregator::init(&mut a, &Context::default(), LogGroupQueue::new(1)).unwrap();
    assert_eq!(
        interval,
        Duration::from_secs(7),
        "the inner plugin's interval"
    );
    let ctx = PipelineContext::grouped();
    let group = new_group(Default::default(), new_tags_with_key_values(&["host", "h"]));
    let mut log = models::Log::default();
    log.contents.add("k", "v");
    a.record(PipelineGroupEvents::new(group, vec![log.into()]), &ctx)
        .unwrap();

    let inner = a.inner();
    assert_eq!(inner.logs[0].get("k"), Some("v"));
    assert_eq!(inner.logs[0].get("__tag__:host"), Some("h"));
    let context = inner.contexts[0].as_ref().unwrap();
    assert_eq!(context.get("host"), Some(&serde_json::Value::from("h")));

    a.get_result(&ctx).unwrap();
    let out = ctx.collector().to_array();
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].group.metadata.get("topic").map(|v| v.as_str()),
        Some("t")
    );
    assert_eq!(
        out[0].group.tags,
        new_tags_with_key_values(&["agg", "keep"])
    );
    let event = log_event(&out[0].events[0]);
    assert_eq!(event.contents.get("k"), Some(&text("v")));
    assert_eq!(event.tags, new_tags_with_key_values(&["host", "h"]));
}

#[test]
fn v2_aggregator_in_v1_keeps_until_flush_and_groups_by_context() {
    let mut a = AggregatorV2AsV1::new(KeepV2::default());
    Aggregator::init(&mut a, &Context::default(), LogGroupQueue::new(1)).unwrap();
    let ctx_a = LogContext::from_iter([
        ("host".to_owned(), serde_json::Value::from("a")),
        ("offset".to_owned(), serde_json::Value::from(5)),
    ]);
    a.add(Log::new(1, [("n", "1")]), Some(&ctx_a)).unwrap();
    a.add(Log::new(2, [("n", "2"), ("__tag__:f", "x")]), None)
        .unwrap();
    a.add(Log::new(3, [("n", "3")]), Some(&ctx_a)).unwrap();
    let groups = a.flush();
    assert_eq!(groups.len(), 2, "one group per distinct context");
    assert_eq!(groups[0].log_tags, vec![LogTag::new("host", "a")]);
    let ns: Vec<_> = groups[0].logs.iter().map(|l| l.get("n").unwrap()).collect();
    assert_eq!(ns, ["1", "3"]);
    assert!(groups[1].log_tags.is_empty());
    assert_eq!(groups[1].logs[0].get("__tag__:f"), Some("x"));
    assert!(a.flush().is_empty(), "flush forgets what it returned");
}

// Flushers.

/// V1: records what it is given.
#[derive(Default)]
struct SeenV1 {
    calls: Vec<(String, String, String, Vec<LogGroup>)>,
    urgent: bool,
}
impl Plugin for SeenV1 {
    fn description(&self) -> &str {
        "seen v1"
    }
}
impl Flusher for SeenV1 {
    fn is_ready(&self, project: &str, _: &str, _: i64) -> bool {
        project != "busy"
    }
    fn set_urgent(&mut self, urgent: bool) {
        self.urgent = urgent;
    }
}
impl FlusherV1 for SeenV1 {
    fn flush(
        &mut self,
        project: &str,
        logstore: &str,
        config: &str,
        groups: &[LogGroup],
    ) -> Result<(), BoxError> {
        self.calls.push((
            project.into(),
            logstore.into(),
            config.into(),
            groups.to_vec(),
        ));
        Ok(())
    }
}

/// V2: records what it is given.
#[derive(Default)]
struct SeenV2 {
    groups: Vec<PipelineGroupEvents>,
    stopped: bool,
}
impl Plugin for SeenV2 {
    fn description(&self) -> &str {
        "seen v2"
    }
}
impl Flusher for SeenV2 {
    fn stop(&mut self) -> Result<(), BoxError> {
        self.stopped = true;
        Ok(())
    }
}
impl FlusherV2 for SeenV2 {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _: &PipelineContext,
    ) -> Result<(), BoxError> {
        self.groups.extend_from_slice(groups);
        Ok(())
    }
}

#[test]
fn v1_flusher_in_v2_gets_log_groups_and_the_pipelines_identity() {
    let mut f = FlusherV1AsV2::new(SeenV1::default());
    let ctx = Context::builder()
        .project("p")
        .logstore("l")
        .config_name("c")
        .build();
    Flusher::init(&mut f, &ctx).unwrap();
    assert!(f.is_ready("p", "l", 0));
    assert!(
        !f.is_ready("busy", "l", 0),
        "is_ready is the inner plugin's"
    );
    f.set_urgent(true);
    let group = PipelineGroupEvents::new(
        new_group(
            new_metadata_with_key_values(&["source", "10.0.0.1"]),
            new_tags_with_key_values(&["host", "h"]),
        ),
        vec![
            new_single_value_metric("m", MetricType::Counter, Tags::new(), 1_000_000_000, 3).into(),
        ],
    );
    f.export(&[group], &PipelineContext::noop()).unwrap();
    let inner = f.inner();
    assert!(inner.urgent);
    let (project, logstore, config, groups) = &inner.calls[0];
    assert_eq!(
        (project.as_str(), logstore.as_str(), config.as_str()),
        ("p", "l", "c")
    );
    assert_eq!(groups[0].source, "10.0.0.1");
    assert_eq!(groups[0].log_tags, vec![LogTag::new("host", "h")]);
    assert_eq!(groups[0].logs[0].get("__name__"), Some("m"));
    assert_eq!(groups[0].logs[0].get("__value__"), Some("3"));
}

#[test]
fn v2_flusher_in_v1_gets_event_groups() {
    let mut f = FlusherV2AsV1::new(SeenV2::default());
    let group = LogGroup {
        logs: vec![Log::new(9, [("msg", "x"), ("__tag__:path", "/a")])],
        category: "store".to_owned(),
        log_tags: vec![LogTag::new("host", "h")],
        ..LogGroup::default()
    };
    f.flush("p", "l", "c", &[group]).unwrap();
    Flusher::stop(&mut f).unwrap();
    let inner = f.inner();
    assert!(inner.stopped, "stop reaches the inner plugin");
    let g = &inner.groups[0];
    assert_eq!(
        g.group.metadata.get("category").map(|v| v.as_str()),
        Some("store")
    );
    assert_eq!(g.group.tags, new_tags_with_key_values(&["host", "h"]));
    let log = log_event(&g.events[0]);
    assert_eq!(log.contents.get("msg"), Some(&text("x")));
    assert_eq!(log.tags, new_tags_with_key_values(&["path", "/a"]));
    assert_eq!(log.timestamp, 9_000_000_000);
}

// Inputs.

/// V1 metric input: one log per collect.
struct CountV1(u32);
impl Plugin for CountV1 {
    fn description(&self) -> &str {
        "count v1"
    }
}
impl MetricInput for CountV1 {
    fn init(&mut self, _: &Context) -> Result<Duration, BoxError> {
        Ok(Duration::from_secs(30))
    }
}
impl MetricInputV1 for CountV1 {
    fn collect(&mut self, collector: &Collector) -> Result<(), BoxError> {
        self.0 += 1;
        collector.add_data([("src", "count")], [("n", self.0.to_string())], None);
        Ok(())
    }
}

/// V2 metric input: one metric per read, in a tagged group.
struct GaugeV2;
impl Plugin for GaugeV2 {
    fn description(&self) -> &str {
        "gauge v2"
    }
}
impl MetricInput for GaugeV2 {}
impl MetricInputV2 for GaugeV2 {
    fn read(&mut self, ctx: &PipelineContext) -> Result<(), BoxError> {
        let m = new_single_value_metric(
            "cpu",
            MetricType::Gauge,
            new_tags_with_key_values(&["core", "0"]),
            1_700_000_000_000_000_000,
            0.25,
        );
        ctx.collector().collect(
            new_group(Default::default(), new_tags_with_key_values(&["host", "h"])),
            vec![m.into()],
        );
        Ok(())
    }
}

#[test]
fn v1_metric_input_in_v2_emits_log_events_timed_by_the_pipeline_clock() {
    let (clock, virtual_clock) = Clock::new_virtual();
    let ctx = Context::builder().clock(clock).build();
    let mut input = MetricInputV1AsV2::new(CountV1(0));
    assert_eq!(
        MetricInput::init(&mut input, &ctx).unwrap(),
        Duration::from_secs(30)
    );
    let out = PipelineContext::grouped();
    input.read(&out).unwrap();
    input.read(&out).unwrap();
    let groups = out.collector().to_array();
    let events = &groups[0].events;
    assert_eq!(events.len(), 2);
    let first = log_event(&events[0]);
    assert_eq!(first.contents.get("n"), Some(&text("1")));
    let now = u64::try_from(
        virtual_clock
            .now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    )
    .unwrap();
    assert_eq!(first.timestamp, now);
}

#[test]
fn v2_metric_input_in_v1_emits_metric_logs_with_group_tags() {
    let mut input = MetricInputV2AsV1::new(GaugeV2);
    MetricInput::init(&mut input, &Context::default()).unwrap();
    let (collector, seen) = recording_collector();
    input.collect(&collector).unwrap();
    let logs = seen.lock().unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].get("__name__"), Some("cpu"));
    assert_eq!(logs[0].get("__labels__"), Some("core#$#0"));
    assert_eq!(logs[0].get("__value__"), Some("0.25"));
    assert_eq!(logs[0].get("__tag__:host"), Some("h"));
    assert_eq!(logs[0].time, 1_700_000_000);
}

/// V2 service input: emits one event from `start_service` and returns, as V2 must.
#[derive(Default)]
struct OnceV2 {
    stopped: bool,
}
impl Plugin for OnceV2 {
    fn description(&self) -> &str {
        "once v2"
    }
}
impl ServiceInput for OnceV2 {
    fn stop(&mut self) -> Result<(), BoxError> {
        self.stopped = true;
        Ok(())
    }
}
impl ServiceInputV2 for OnceV2 {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        let mut log = models::Log::default();
        log.contents.add("hello", "world");
        ctx.collector()
            .collect(GroupInfo::default(), vec![log.into()]);
        Ok(())
    }
}

/// V1 service input: emits one log from `start` and returns.
struct OnceV1;
impl Plugin for OnceV1 {
    fn description(&self) -> &str {
        "once v1"
    }
}
impl ServiceInput for OnceV1 {}
impl ServiceInputV1 for OnceV1 {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        collector.add_raw_log(Log::new(5, [("hello", "v1"), ("__tag__:t", "x")]));
        Ok(())
    }
}

#[test]
fn v2_service_input_in_v1_emits_through_the_collector() {
    let mut input = ServiceInputV2AsV1::new(OnceV2::default());
    ServiceInput::init(&mut input, &Context::default()).unwrap();
    let (collector, seen) = recording_collector();
    input.start(collector).unwrap();
    ServiceInput::stop(&mut input).unwrap();
    assert!(input.inner().stopped);
    assert_eq!(seen.lock().unwrap()[0].get("hello"), Some("world"));
}

#[test]
fn v1_service_input_in_v2_emits_log_events() {
    let mut input = ServiceInputV1AsV2::new(OnceV1);
    ServiceInput::init(&mut input, &Context::default()).unwrap();
    let out = PipelineContext::grouped();
    input.start_service(out.clone()).unwrap();
    let groups = out.collector().to_array();
    let log = log_event(&groups[0].events[0]);
    assert_eq!(log.contents.get("hello"), Some(&text("v1")));
    assert_eq!(log.tags, new_tags_with_key_values(&["t", "x"]));
    assert_eq!(log.timestamp, 5_000_000_000);
}

/// A V1 aggregator that sends every log on at once through its queue (as
/// `aggregator_default` does with a full group) and keeps nothing for `flush`.
#[derive(Default)]
struct QueueEveryLog {
    queue: Option<LogGroupQueue>,
}

impl Plugin for QueueEveryLog {
    fn description(&self) -> &str {
        "queues every log"
    }
}

impl Aggregator for QueueEveryLog {
    fn init(&mut self, _ctx: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
        self.queue = Some(queue);
        Ok(Duration::ZERO)
    }
}

impl AggregatorV1 for QueueEveryLog {
    fn add(&mut self, log: Log, _ctx: Option<&LogContext>) -> Result<(), BoxError> {
        let group = LogGroup {
            logs: vec![log],
            topic: "early".to_owned(),
            ..LogGroup::default()
        };
        self.queue.as_ref().unwrap().add(group)?;
        Ok(())
    }

    fn flush(&mut self) -> Vec<LogGroup> {
        Vec::new()
    }
}

#[test]
fn what_a_v1_aggregator_queues_reaches_a_v2_pipeline() {
    // A V2 pipeline never reads the queue: the adapter must pass the groups on.
    let mut a = AggregatorV1AsV2::new(QueueEveryLog::default());
    Aggregator::init(&mut a, &Context::default(), LogGroupQueue::new(4)).unwrap();
    let ctx = PipelineContext::grouped();
    for n in ["1", "2"] {
        let mut log = models::Log::default();
        log.contents.add("n", n);
        a.record(
            PipelineGroupEvents::new(GroupInfo::default(), vec![log.into()]),
            &ctx,
        )
        .unwrap();
    }
    a.get_result(&ctx).unwrap();
    let out = ctx.collector().to_array();
    let ns: Vec<_> = out
        .iter()
        .flat_map(|g| &g.events)
        .map(|e| log_event(e).contents.get("n").cloned())
        .collect();
    assert_eq!(ns, [Some(LogValue::from("1")), Some(LogValue::from("2"))]);
    assert!(out
        .iter()
        .all(|g| g.group.metadata.get("topic").map(|v| v.as_str()) == Some("early")));
}
