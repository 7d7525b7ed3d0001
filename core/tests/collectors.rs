//! The V1 `Collector`, the V2 `PipelineCollector` kinds (observe, grouped, sink, noop) and
//! the aggregators' `LogGroupQueue`.
#![allow(clippy::unwrap_used)] // test helpers, not only `#[test]` functions, unwrap

use pipeplug::compat::*;
use pipeplug::models::{GroupInfo, MetricType, PipelineEvent, PipelineGroupEvents, Tags};
use pipeplug::protocol::{Log, LogGroup};
use pipeplug::{
    Clock, Collector, LogContext, LogGroupQueue, LogWithContext, PipelineCollector, QueueError,
};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A collector on a virtual clock that keeps what it is given.
fn recording() -> (Collector, Arc<Mutex<Vec<LogWithContext>>>, SystemTime) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let (clock, virtual_clock) = Clock::new_virtual();
    let collector = Collector::new(Arc::new(move |l: LogWithContext| {
        sink.lock().unwrap().push(l);
    }))
    .with_clock(clock);
    (collector, seen, virtual_clock.now())
}

fn keys(log: &Log) -> Vec<&str> {
    log.contents.iter().map(|c| c.key.as_str()).collect()
}

fn nanos(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_nanos()).unwrap()
}

#[test]
fn add_data_puts_config_tags_then_tags_then_fields() {
    let (collector, seen, now) = recording();
    let collector = collector.with_config_tags(vec![("env".to_owned(), "prod".to_owned())]);
    collector.add_data([("host", "h1")], [("msg", "hi"), ("n", "1")], None);
    let seen = seen.lock().unwrap();
    let log = &seen[0].log;
    assert_eq!(keys(log), ["env", "host", "msg", "n"]);
    assert_eq!(
        log.timestamp_nanos(),
        nanos(now),
        "no time given: the clock's now"
    );
    assert_eq!(seen[0].context, None);
}

#[test]
fn add_data_keeps_a_given_time_to_the_nanosecond() {
    let (collector, seen, _) = recording();
    let at = UNIX_EPOCH + Duration::new(1_700_000_000, 123);
    collector.add_data_with_context(
        Vec::<(String, String)>::new(),
        [("a", "b")],
        Some(at),
        Some(LogContext::from_iter([(
            "source".to_owned(),
            "file".into(),
        )])),
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        (seen[0].log.time, seen[0].log.time_ns),
        (1_700_000_000, Some(123))
    );
    assert_eq!(
        seen[0].context.as_ref().and_then(|c| c.get("source")),
        Some(&serde_json::Value::from("file"))
    );
}

#[test]
fn add_data_array_pairs_columns_with_values() {
    let (collector, seen, _) = recording();
    collector.add_data_array([("t", "1")], &["a", "b"], &["1", "2"], None);
    // More columns than values (Go refuses the log); the pairs that exist are kept.
    collector.add_data_array_with_context(
        Vec::<(String, String)>::new(),
        &["a", "b", "c"],
        &["1"],
        None,
        Some(LogContext::new()),
    );
    let seen = seen.lock().unwrap();
    assert_eq!(keys(&seen[0].log), ["t", "a", "b"]);
    assert_eq!(seen[0].log.get("b"), Some("2"));
    assert_eq!(keys(&seen[1].log), ["a"]);
    assert_eq!(seen[1].context, Some(LogContext::new()));
}

#[test]
fn add_raw_log_sets_a_missing_time_and_keeps_a_given_one() {
    let (collector, seen, now) = recording();
    collector.add_raw_log(Log::new(0, [("a", "1")]));
    collector.add_raw_log_with_context(Log::new(42, [("a", "2")]), None);
    let mut only_nanos = Log::new(0, [("a", "3")]);
    only_nanos.time_ns = Some(5);
    collector.add_raw_log(only_nanos);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].log.timestamp_nanos(), nanos(now));
    assert_eq!(seen[1].log.time, 42);
    assert_eq!(seen[2].log.timestamp_nanos(), 5, "a time of 5 ns is a time");
}

fn metric_event(name: &str) -> PipelineEvent {
    new_single_value_metric(name, MetricType::Counter, Tags::new(), 1, 1).into()
}

fn names(group: &PipelineGroupEvents) -> Vec<&str> {
    group.events.iter().map(PipelineEvent::name).collect()
}

#[test]
fn grouped_collector_merges_events_of_equal_groups_in_first_seen_order() {
    let collector = PipelineCollector::grouped();
    let a = new_group(
        new_metadata_with_key_values(&["source", "s1"]),
        new_tags_with_key_values(&["host", "h1", "zone", "z"]),
    );
    // Equal tags in another order are the same group.
    let a_again = new_group(
        new_metadata_with_key_values(&["source", "s1"]),
        new_tags_with_key_values(&["zone", "z", "host", "h1"]),
    );
    let b = new_group(
        Default::default(),
        new_tags_with_key_values(&["host", "h2"]),
    );
    collector.collect(a.clone(), vec![metric_event("m1")]);
    collector.collect(b.clone(), vec![metric_event("m2")]);
    collector.collect(a_again, vec![metric_event("m3"), metric_event("m4")]);
    collector.collect(b.clone(), vec![]);
    collector.collect_list([PipelineGroupEvents::new(
        b.clone(),
        vec![metric_event("m5")],
    )]);

    let groups = collector.to_array();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].group, a);
    assert_eq!(names(&groups[0]), ["m1", "m3", "m4"]);
    assert_eq!(groups[1].group, b);
    assert_eq!(names(&groups[1]), ["m2", "m5"]);
    assert!(collector.to_array().is_empty(), "to_array drains");
    assert!(collector.observe().is_none());
}

#[test]
fn observe_collector_applies_back_pressure_at_its_capacity() {
    let collector = PipelineCollector::observe_with_capacity(2);
    let rx = collector.observe().unwrap();
    assert_eq!(rx.capacity(), Some(2));
    let (progress_tx, progress_rx) = mpsc::channel();
    let producer = {
        let collector = collector.clone();
        std::thread::spawn(move || {
            for i in 0..5 {
                collector.collect(GroupInfo::default(), vec![metric_event(&format!("m{i}"))]);
                progress_tx.send(i).unwrap();
            }
        })
    };
    // Two groups fit; the producer cannot have gone further before we read.
    assert_eq!(progress_rx.recv().unwrap(), 0);
    assert_eq!(progress_rx.recv().unwrap(), 1);
    assert!(rx.is_full());
    let mut got = Vec::new();
    for _ in 0..5 {
        assert!(rx.len() <= 2, "never more than the capacity queued");
        got.push(rx.recv().unwrap().events[0].name().to_owned());
    }
    producer.join().unwrap();
    assert_eq!(got, ["m0", "m1", "m2", "m3", "m4"]);
    assert_eq!(progress_rx.iter().collect::<Vec<_>>(), [2, 3, 4]);
}

#[test]
fn closed_observe_collector_ends_after_what_is_queued_and_drops_later_groups() {
    let collector = PipelineCollector::observe_with_capacity(4);
    collector.collect(GroupInfo::default(), vec![metric_event("before")]);
    collector.close();
    collector.collect(GroupInfo::default(), vec![metric_event("after")]);
    let rx = collector.observe().unwrap();
    let read: Vec<_> = rx.iter().map(|g| g.events[0].name().to_owned()).collect();
    assert_eq!(
        read,
        ["before"],
        "the reader sees the end instead of blocking"
    );
}

#[test]
fn observe_collector_to_array_drains_without_blocking() {
    let collector = PipelineCollector::observe_with_capacity(0);
    assert_eq!(
        collector.observe().unwrap().capacity(),
        Some(1),
        "at least one"
    );
    collector.collect(GroupInfo::default(), vec![metric_event("m")]);
    assert_eq!(collector.to_array().len(), 1);
    assert!(collector.to_array().is_empty());
}

#[test]
fn sink_collector_hands_on_every_group_and_noop_drops_all() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let collector = PipelineCollector::from_sink(Arc::new(move |g: PipelineGroupEvents| {
        sink.lock().unwrap().push(g);
    }));
    collector.collect(GroupInfo::default(), vec![metric_event("a")]);
    collector.collect(GroupInfo::default(), vec![metric_event("b")]);
    assert_eq!(seen.lock().unwrap().len(), 2, "a sink does not merge");
    assert!(collector.to_array().is_empty());

    let noop = PipelineCollector::noop();
    noop.collect(GroupInfo::default(), vec![metric_event("a")]);
    assert!(noop.to_array().is_empty());
    assert!(noop.observe().is_none());
}

fn group(topic: &str) -> LogGroup {
    LogGroup {
        topic: topic.to_owned(),
        logs: vec![Log::new(1, [("a", "b")])],
        ..LogGroup::default()
    }
}

#[test]
fn log_group_queue_refuses_when_full_and_hands_the_group_back() {
    let queue = LogGroupQueue::new(2);
    queue.add(group("1")).unwrap();
    queue.add(group("2")).unwrap();
    let Err(QueueError::Full(back)) = queue.add(group("3")) else {
        panic!("a third group does not fit");
    };
    assert_eq!(*back, group("3"));
    let Err(QueueError::Full(back)) = queue.add_with_wait(group("4"), Duration::ZERO) else {
        panic!("no room, no wait");
    };
    assert_eq!(back.topic, "4");
    let topics: Vec<_> = queue.drain().into_iter().map(|g| g.topic).collect();
    assert_eq!(topics, ["1", "2"]);
    assert!(queue.drain().is_empty());
    queue.add(group("5")).unwrap();
}

#[test]
fn capacities_from_configs_are_bounded() {
    // Slots are allocated up front: `usize::MAX` from a config must not abort the process.
    let queue = LogGroupQueue::new(usize::MAX);
    assert_eq!(
        queue.receiver().capacity(),
        Some(LogGroupQueue::MAX_CAPACITY)
    );
    let collector = PipelineCollector::observe_with_capacity(usize::MAX);
    assert_eq!(
        collector.observe().unwrap().capacity(),
        Some(PipelineCollector::MAX_CAPACITY)
    );
}

#[test]
fn log_group_queue_add_with_wait_succeeds_once_there_is_room() {
    let queue = LogGroupQueue::new(0); // at least one
    queue.add(group("1")).unwrap();
    let reader = {
        let queue = queue.clone();
        std::thread::spawn(move || queue.receiver().recv().unwrap().topic)
    };
    // Far longer than the reader needs; the test does not depend on how long it takes.
    queue
        .add_with_wait(group("2"), Duration::from_secs(60))
        .unwrap();
    assert_eq!(reader.join().unwrap(), "1");
    let topics: Vec<_> = queue.drain().into_iter().map(|g| g.topic).collect();
    assert_eq!(topics, ["2"]);
}
