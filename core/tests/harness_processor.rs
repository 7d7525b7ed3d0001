//! The processor harness: V1 logs, V2 groups and events, init errors.

use pipeplug::compat::*;
use pipeplug::models::LogValue;
use pipeplug::prelude::*;
use pipeplug::testing::{
    create_group, create_log_event, create_log_events, create_logs, pick_events, pick_logs,
    read_event_val, read_log_val, ProcessorHarness,
};

/// Renames `from` to `to` in logs (V2), passing other events on.
struct Rename {
    from: String,
    to: String,
}
impl Plugin for Rename {
    fn description(&self) -> &str {
        "renames a key"
    }
}
impl Processor for Rename {
    fn init(&mut self, _: &Context) -> Result<(), BoxError> {
        if self.from.is_empty() {
            return Err("`from` is empty".into());
        }
        Ok(())
    }
}
impl ProcessorV2 for Rename {
    fn process(&mut self, mut group: PipelineGroupEvents, ctx: &PipelineContext) {
        for event in &mut group.events {
            if let PipelineEvent::Log(log) = event {
                log.contents.rename(&self.from, self.to.clone());
            }
        }
        ctx.collector().collect(group.group, group.events);
    }
}

fn rename() -> ProcessorHarness<Rename> {
    ProcessorHarness::new(Rename {
        from: "a".into(),
        to: "b".into(),
    })
}

#[test]
fn v2_events_in_events_out() {
    let mut h = rename();
    let metric = new_single_value_metric("m", MetricType::Gauge, Tags::new(), 0, 1.0);
    let out = h
        .process_events(vec![create_log_event([("a", "1")]), metric.into()])
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(read_event_val(&out[0], "b"), "1");
    assert_eq!(read_event_val(&out[0], "a"), "");
    assert_eq!(pick_events(&out, "b", "1").len(), 1);
}

#[test]
fn v2_group_info_is_kept() {
    let mut h = rename();
    let mut group = create_group(create_log_events([[("a", "1")], [("a", "2")]]));
    group.group.tags.add("host", "h1");
    let out = h.process_v2(group).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].group.tags.get("host").map(|v| v.as_str()),
        Some("h1")
    );
    assert_eq!(out[0].events.len(), 2);
}

#[test]
fn v1_through_the_adapter() {
    // A V2 processor in a V1 pipeline, as the macros' glue would run it.
    let mut h = ProcessorHarness::new(pipeplug::adapter::ProcessorV2AsV1::new(Rename {
        from: "a".into(),
        to: "b".into(),
    }));
    let out = h
        .process_v1(create_logs([
            vec![("a", "1"), ("c", "x")],
            vec![("a", "2")],
        ]))
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(read_log_val(&out[1], "b"), "2");
    assert_eq!(pick_logs(&out, "c", "x").len(), 1);
    assert!(h.process_v1(Vec::new()).unwrap().is_empty());
}

#[test]
fn an_init_error_is_reported_on_first_use() {
    let mut h = ProcessorHarness::new(Rename {
        from: String::new(),
        to: "b".into(),
    })
    .named("processor_rename");
    let err = h.process_events(Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `processor_rename`: init failed: `from` is empty"
    );
}

#[test]
fn values_read_as_text_whatever_their_type() {
    let mut log = pipeplug::models::Log::default();
    log.contents.add("n", LogValue::Int(3));
    log.tags.add("t", "tag");
    let event = PipelineEvent::Log(log);
    assert_eq!(read_event_val(&event, "n"), "3");
    assert_eq!(read_event_val(&event, "t"), "tag");
    assert_eq!(pick_events(std::slice::from_ref(&event), "n", "3").len(), 1);
}
