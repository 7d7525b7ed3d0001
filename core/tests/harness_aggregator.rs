//! The aggregator harness: V1 add/flush and the queue, V2 record/get_result, reset.

use pipeplug::prelude::*;
use pipeplug::testing::{create_group, create_log_events, create_logs, AggregatorHarness};

/// Groups logs by their `topic` content; pushes a full group (of `max` logs) into its queue
/// at once.
#[derive(Default)]
struct ByTopic {
    max: usize,
    queue: Option<LogGroupQueue>,
    groups: Vec<LogGroup>,
}

impl Plugin for ByTopic {
    fn description(&self) -> &str {
        "groups by topic"
    }
}
impl Aggregator for ByTopic {
    fn init(&mut self, _: &Context, queue: LogGroupQueue) -> Result<Duration, BoxError> {
        self.queue = Some(queue);
        Ok(Duration::from_secs(1))
    }
    fn reset(&mut self) {
        self.groups.clear();
    }
}
impl AggregatorV1 for ByTopic {
    fn add(&mut self, log: Log, ctx: Option<&LogContext>) -> Result<(), BoxError> {
        let topic = ctx
            .and_then(|c| c.get("topic"))
            .and_then(|t| t.as_str())
            .or(log.get("topic"))
            .unwrap_or_default()
            .to_owned();
        let index = match self.groups.iter().position(|g| g.topic == topic) {
            Some(i) => i,
            None => {
                self.groups.push(LogGroup {
                    topic,
                    ..LogGroup::default()
                });
                self.groups.len() - 1
            }
        };
        self.groups[index].logs.push(log);
        if self.groups[index].logs.len() == self.max {
            let full = self.groups.remove(index);
            if let Some(q) = &self.queue {
                q.add(full)?;
            }
        }
        Ok(())
    }
    fn flush(&mut self) -> Vec<LogGroup> {
        std::mem::take(&mut self.groups)
    }
}

#[test]
fn add_then_flush() {
    let mut h = AggregatorHarness::new(ByTopic {
        max: 10,
        ..ByTopic::default()
    });
    h.add_all_v1(create_logs([
        [("topic", "a")],
        [("topic", "b")],
        [("topic", "a")],
    ]))
    .unwrap();
    let groups = h.flush_v1().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].topic, "a");
    assert_eq!(groups[0].logs.len(), 2);
    assert!(h.flush_v1().unwrap().is_empty());
    assert_eq!(h.interval(), Some(Duration::from_secs(1)));
}

#[test]
fn a_log_context_reaches_add() {
    let mut h = AggregatorHarness::new(ByTopic {
        max: 10,
        ..ByTopic::default()
    });
    let mut ctx = LogContext::new();
    ctx.insert("topic".into(), "from-context".into());
    h.add_v1_with_context(Log::new(1, [("k", "v")]), &ctx)
        .unwrap();
    assert_eq!(h.flush_v1().unwrap()[0].topic, "from-context");
}

#[test]
fn groups_pushed_into_the_queue_are_queued_and_a_full_queue_refuses() {
    let mut h = AggregatorHarness::new(ByTopic {
        max: 1,
        ..ByTopic::default()
    })
    .with_queue_capacity(2);
    h.add_v1(Log::new(0, [("topic", "a")])).unwrap();
    h.add_v1(Log::new(0, [("topic", "b")])).unwrap();
    let err = h.add_v1(Log::new(0, [("topic", "c")])).unwrap_err();
    assert!(err.to_string().contains("log group queue is full"), "{err}");
    let queued = h.queued();
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[1].topic, "b");
    assert!(h.queued().is_empty());
}

#[test]
fn reset_drops_what_is_held() {
    let mut h = AggregatorHarness::new(ByTopic {
        max: 10,
        ..ByTopic::default()
    });
    h.add_v1(Log::new(0, [("topic", "a")])).unwrap();
    h.reset().unwrap();
    assert!(h.flush_v1().unwrap().is_empty());
}

#[test]
fn v2_record_and_get_result_through_the_adapter() {
    let mut h = AggregatorHarness::new(pipeplug::adapter::AggregatorV1AsV2::new(ByTopic {
        max: 10,
        ..ByTopic::default()
    }));
    let mut group = create_group(create_log_events([[("x", "1")], [("x", "2")]]));
    group.group.tags.add("topic", "t");
    assert!(h.record_v2(group).unwrap().is_empty());
    let out = h.get_result_v2().unwrap();
    assert_eq!(out.iter().map(|g| g.events.len()).sum::<usize>(), 2);
    assert_eq!(
        out[0].group.metadata.get("topic").map(|v| v.as_str()),
        Some("t")
    );
}
