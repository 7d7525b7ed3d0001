//! Helpers for V2 processors: work on the events of one kind and pass every other event on
//! as it is, in order.
//!
//! A V2 processor must collect the events it does not handle, or they are dropped (the
//! conformance tests check it). These run a closure on each log (or metric) of a group and
//! leave the rest alone; the processor then collects the group:
//!
//! ```
//! use pipeplug::helpers::retain_logs;
//! use pipeplug::prelude::*;
//!
//! /// Drops logs whose `level` is `debug`; passes every other event on.
//! #[processor(name = "processor_no_debug_doc")]
//! pub struct NoDebug {}
//!
//! impl Processor for NoDebug {}
//! impl ProcessorV1 for NoDebug {
//!     fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
//!         logs.retain(|l| l.get("level") != Some("debug"));
//!         logs
//!     }
//! }
//! impl ProcessorV2 for NoDebug {
//!     fn process(&mut self, mut group: PipelineGroupEvents, ctx: &PipelineContext) {
//!         retain_logs(&mut group, |log| {
//!             log.contents.get("level").and_then(|v| v.as_str()) != Some("debug")
//!         });
//!         ctx.collector().collect_list([group]);
//!     }
//! }
//! # fn main() {}
//! ```

use crate::models::{Log, Metric, PipelineEvent, PipelineGroupEvents};

/// Runs `f` on each log event of `group`; metrics, spans and byte arrays are left as they
/// are, in place.
///
/// ```
/// use pipeplug::helpers::for_each_log;
/// use pipeplug::models::{Log, Metric, MetricType, PipelineGroupEvents, Tags};
///
/// let mut group = PipelineGroupEvents::default();
/// group.events.push(Log::with_body("a", Tags::new(), 1).into());
/// group.events.push(Metric::single("m", MetricType::Gauge, Tags::new(), 1, 2.0).into());
/// for_each_log(&mut group, |log| log.contents.add("seen", true));
/// assert_eq!(group.events.len(), 2);
/// ```
pub fn for_each_log(group: &mut PipelineGroupEvents, mut f: impl FnMut(&mut Log)) {
    for event in &mut group.events {
        if let PipelineEvent::Log(log) = event {
            f(log);
        }
    }
}

/// Runs `f` on each log event of `group` and drops those for which it returns `false`;
/// every other event is kept, in order.
pub fn retain_logs(group: &mut PipelineGroupEvents, mut f: impl FnMut(&mut Log) -> bool) {
    group.events.retain_mut(|event| match event {
        PipelineEvent::Log(log) => f(log),
        _ => true,
    });
}

/// Runs `f` on each metric event of `group`; other events are left as they are.
pub fn for_each_metric(group: &mut PipelineGroupEvents, mut f: impl FnMut(&mut Metric)) {
    for event in &mut group.events {
        if let PipelineEvent::Metric(metric) = event {
            f(metric);
        }
    }
}

/// Runs `f` on each metric event of `group` and drops those for which it returns `false`;
/// every other event is kept, in order.
pub fn retain_metrics(group: &mut PipelineGroupEvents, mut f: impl FnMut(&mut Metric) -> bool) {
    group.events.retain_mut(|event| match event {
        PipelineEvent::Metric(metric) => f(metric),
        _ => true,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{ByteArray, LogValue, MetricType, Span, Tags};

    fn mixed() -> PipelineGroupEvents {
        let mut g = PipelineGroupEvents::default();
        g.events.push(Log::with_body("keep", Tags::new(), 1).into());
        g.events
            .push(Metric::single("m1", MetricType::Gauge, Tags::new(), 2, 1.0).into());
        g.events.push(
            Span {
                name: "s".into(),
                ..Span::default()
            }
            .into(),
        );
        g.events.push(Log::with_body("drop", Tags::new(), 3).into());
        g.events.push(ByteArray(b"raw".to_vec()).into());
        g.events
            .push(Metric::single("m2", MetricType::Gauge, Tags::new(), 4, -1.0).into());
        g
    }

    fn names(g: &PipelineGroupEvents) -> Vec<String> {
        g.events
            .iter()
            .map(|e| match e {
                PipelineEvent::Log(l) => format!(
                    "log:{}",
                    l.body().map_or(String::new(), ToString::to_string)
                ),
                PipelineEvent::Metric(m) => format!("metric:{}", m.name),
                PipelineEvent::Span(s) => format!("span:{}", s.name),
                PipelineEvent::ByteArray(_) => "bytes".to_owned(),
            })
            .collect()
    }

    #[test]
    fn retain_logs_touches_only_logs_and_keeps_order() {
        let mut g = mixed();
        let mut seen = 0;
        retain_logs(&mut g, |log| {
            seen += 1;
            log.contents.add("x", 1_i64);
            log.body() != Some(&LogValue::from("drop"))
        });
        assert_eq!(seen, 2);
        assert_eq!(
            names(&g),
            ["log:keep", "metric:m1", "span:s", "bytes", "metric:m2"]
        );
        let PipelineEvent::Log(kept) = &g.events[0] else {
            panic!("first event is the kept log")
        };
        assert_eq!(kept.contents.get("x"), Some(&LogValue::Int(1)));
    }

    #[test]
    fn metric_helpers_touch_only_metrics() {
        let mut g = mixed();
        for_each_metric(&mut g, |m| m.tags.add("host", "h"));
        retain_metrics(&mut g, |m| m.single_value().is_some_and(|v| v > 0.0));
        assert_eq!(
            names(&g),
            ["log:keep", "metric:m1", "span:s", "log:drop", "bytes"]
        );
        let PipelineEvent::Metric(m) = &g.events[1] else {
            panic!("second event is m1")
        };
        assert_eq!(m.tags.get("host").map(|v| v.as_str()), Some("h"));
        let mut logs = 0;
        for_each_log(&mut g, |_| logs += 1);
        assert_eq!(logs, 2);
    }
}
