//! The flusher harness: batches in, deliveries and errors, readiness, urgency, stop.

use pipeplug::prelude::*;
use pipeplug::testing::{
    create_group, create_log_events, FlusherHarness, HarnessError, SharedBuffer,
};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Writes each event as a JSON line; refuses batches while `down`; writes through a worker
/// thread that `stop` joins.
struct JsonLines {
    out: SharedBuffer,
    down: Arc<AtomicBool>,
    urgent: bool,
    ctx: Context,
    worker: Worker,
    stopped: bool,
}

impl JsonLines {
    fn new(out: SharedBuffer, down: Arc<AtomicBool>) -> Self {
        Self {
            out,
            down,
            urgent: false,
            ctx: Context::default(),
            worker: Worker::new(),
            stopped: false,
        }
    }
}

impl Plugin for JsonLines {
    fn description(&self) -> &str {
        "JSON lines"
    }
}
impl Flusher for JsonLines {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        self.ctx = ctx.clone();
        // A background thread, as a real sink's connection keeper would have.
        self.worker.spawn(ctx, "keeper", |stop| stop.wait())?;
        Ok(())
    }
    fn is_ready(&self, _: &str, _: &str, _: i64) -> bool {
        !self.down.load(Ordering::SeqCst)
    }
    fn set_urgent(&mut self, urgent: bool) {
        self.urgent = urgent;
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.stopped = true;
        self.worker.stop()
    }
}
impl FlusherV2 for JsonLines {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _: &PipelineContext,
    ) -> Result<(), BoxError> {
        if self.down.load(Ordering::SeqCst) {
            return Err("endpoint down".into());
        }
        for event in groups.iter().flat_map(|g| &g.events) {
            writeln!(self.out, "{}", serde_json::to_string(event)?)?;
        }
        Ok(())
    }
}

#[test]
fn export_writes_to_the_sink_and_is_recorded() {
    let out = SharedBuffer::new();
    let down = Arc::new(AtomicBool::new(false));
    let mut h = FlusherHarness::new(JsonLines::new(out.clone(), Arc::clone(&down)));
    h.export_v2(vec![create_group(create_log_events([
        [("a", "1")],
        [("a", "2")],
    ]))])
    .unwrap();
    assert_eq!(out.lines().len(), 2);
    assert!(out.lines()[0].contains(r#""a":"1""#), "{}", out.text());
    let d = &h.deliveries()[0];
    assert_eq!(d.method, "export");
    assert_eq!(d.log_groups[0].logs[1].get("a"), Some("2"));
    assert_eq!(d.error, None);
}

#[test]
fn readiness_errors_urgency_and_stop() {
    let out = SharedBuffer::new();
    let down = Arc::new(AtomicBool::new(true));
    let mut h =
        FlusherHarness::new(JsonLines::new(out.clone(), Arc::clone(&down))).named("flusher_lines");
    assert!(!h.is_ready().unwrap());
    let err = h
        .export_v2(vec![create_group(create_log_events([[("a", "1")]]))])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `flusher_lines`: export failed: endpoint down"
    );
    assert_eq!(h.errors(), ["endpoint down"]);
    down.store(false, Ordering::SeqCst);
    assert!(h.is_ready().unwrap());
    h.set_urgent(true).unwrap();
    assert!(h.plugin().urgent);
    h.stop().unwrap();
    assert!(h.plugin().stopped);
    assert!(out.text().is_empty());
    assert!(matches!(h.is_ready(), Err(HarnessError::Misuse { .. })));
}

#[test]
fn v1_groups_reach_a_v2_flusher_through_the_adapter() {
    let out = SharedBuffer::new();
    let mut h = FlusherHarness::new(pipeplug::adapter::FlusherV2AsV1::new(JsonLines::new(
        out.clone(),
        Arc::new(AtomicBool::new(false)),
    )));
    let group = LogGroup {
        logs: vec![Log::new(1, [("msg", "hi")])],
        topic: "t".into(),
        ..LogGroup::default()
    };
    h.flush_v1(vec![group]).unwrap();
    assert_eq!(out.lines().len(), 1);
    assert_eq!(
        h.deliveries()[0].groups[0]
            .group
            .metadata
            .get("topic")
            .map(|v| v.as_str()),
        Some("t")
    );
    h.stop().unwrap();
}

/// Forgets its thread in `stop`.
#[derive(Default)]
struct Leaky {
    worker: Option<Worker>,
}
impl Plugin for Leaky {
    fn description(&self) -> &str {
        "leaky"
    }
}
impl Flusher for Leaky {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let mut w = Worker::new();
        w.spawn(ctx, "leaked", |stop| stop.wait())?;
        self.worker = Some(w);
        Ok(())
    }
}
impl FlusherV1 for Leaky {
    fn flush(&mut self, _: &str, _: &str, _: &str, _: &[LogGroup]) -> Result<(), BoxError> {
        Ok(())
    }
}

#[test]
fn a_thread_left_after_stop_is_reported() {
    let mut h = FlusherHarness::new(Leaky::default());
    h.init().unwrap();
    assert!(matches!(
        h.stop(),
        Err(HarnessError::ThreadsLeft { count: 1, .. })
    ));
}
