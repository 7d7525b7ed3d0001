//! `ext_default_encoder`: encodes groups into payloads in a built-in format (iLogtail's
//! `ext_default_encoder`).

use pipeplug::prelude::*;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Encodes groups for the flushers that name it: provides the capability [`Encoder`].
///
/// `Format` picks the encoding (required, as in iLogtail; case and surrounding spaces are
/// ignored). Each group becomes one payload (an empty group, none):
///
/// - `json`: JSON lines, one per event, each ending in `\n`.
///   - V2: each event as pipeplug's serde form of
///     [`PipelineEvent`](pipeplug::models::PipelineEvent) (its fields and `"eventType"`),
///     which `ext_default_decoder` with `Format: json` reads back. The group's metadata and
///     tags are not written.
///   - V1: each log as an object: `"__time__"` (Unix seconds), then its contents in order
///     (a repeated key keeps its last value), then `"__topic__"` and `"__source__"` when
///     the group has them, then each group tag as `"__tag__:key"`.
///
/// iLogtail's only encoder format, `prometheus` (remote write), is not supported yet: `init`
/// fails naming the supported formats, as it does for any other.
#[extension(
    name = "ext_default_encoder",
    rename_all = "PascalCase",
    example = "Format: json"
)]
#[derive(Debug, Clone)]
pub struct ExtDefaultEncoder {
    /// The encoding: `json`.
    #[config(required)]
    format: String,
}

/// The formats `Format` accepts.
const FORMATS: &str = "json";

impl Extension for ExtDefaultEncoder {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        match self.format.trim().to_ascii_lowercase().as_str() {
            "json" => {
                ctx.logger()
                    .info(format!("ext_default_encoder: encoding as {}", self.format));
                Ok(())
            }
            other => Err(format!(
                "ext_default_encoder: key `Format`: format `{other}` is not supported \
                 (supported: {FORMATS})"
            )
            .into()),
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().with::<dyn Encoder>(Arc::new(self.clone()))
    }
}

fn json_line(out: &mut Vec<u8>, value: &impl serde::Serialize) -> Result<(), BoxError> {
    serde_json::to_writer(&mut *out, value)?;
    out.push(b'\n');
    Ok(())
}

impl Encoder for ExtDefaultEncoder {
    fn encode_v1(&self, group: &LogGroup) -> Result<Vec<Vec<u8>>, BoxError> {
        if group.logs.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for log in &group.logs {
            let mut obj = Map::new();
            obj.insert("__time__".to_owned(), Value::from(log.time));
            for c in &log.contents {
                obj.insert(c.key.to_string(), Value::from(c.value.as_str()));
            }
            if !group.topic.is_empty() {
                obj.insert("__topic__".to_owned(), Value::from(group.topic.as_str()));
            }
            if !group.source.is_empty() {
                obj.insert("__source__".to_owned(), Value::from(group.source.as_str()));
            }
            for t in &group.log_tags {
                obj.insert(format!("__tag__:{}", t.key), Value::from(t.value.as_str()));
            }
            json_line(&mut out, &obj)?;
        }
        Ok(vec![out])
    }

    fn encode_v2(&self, group: &PipelineGroupEvents) -> Result<Vec<Vec<u8>>, BoxError> {
        if group.events.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for event in &group.events {
            json_line(&mut out, event)?;
        }
        Ok(vec![out])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeplug::models::{GroupInfo, Metric, MetricType, Tags};
    use pipeplug::protocol::LogTag;
    use pipeplug::testing::ExtensionHarness;

    fn encoder() -> Arc<dyn Encoder> {
        let mut h = ExtensionHarness::<ExtDefaultEncoder>::from_yaml("Format: JSON ").unwrap();
        h.capability::<dyn Encoder>().unwrap()
    }

    #[test]
    fn v1_logs_become_json_lines_with_time_topic_and_tags() {
        let group = LogGroup {
            logs: vec![
                Log::new(
                    1_700_000_000,
                    [("msg", "a \"quoted\" line"), ("msg", "last")],
                ),
                Log::new(1_700_000_001, [("level", "info")]),
            ],
            topic: "t".into(),
            log_tags: vec![LogTag::new("host", "web-1")],
            ..LogGroup::default()
        };
        let out = encoder().encode_v1(&group).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            String::from_utf8(out[0].clone()).unwrap(),
            "{\"__time__\":1700000000,\"msg\":\"last\",\"__topic__\":\"t\",\"__tag__:host\":\"web-1\"}\n\
             {\"__time__\":1700000001,\"level\":\"info\",\"__topic__\":\"t\",\"__tag__:host\":\"web-1\"}\n"
        );
    }

    #[test]
    fn v2_events_become_json_lines_of_their_serde_form() {
        let metric = Metric::single(
            "cpu",
            MetricType::Gauge,
            Tags::from([("host", "h")]),
            5,
            0.5,
        );
        let group = PipelineGroupEvents::new(GroupInfo::default(), vec![metric.clone().into()]);
        let out = encoder().encode_v2(&group).unwrap();
        let text = String::from_utf8(out[0].clone()).unwrap();
        assert!(text.ends_with('\n') && text.lines().count() == 1, "{text}");
        let back: PipelineEvent = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(back, PipelineEvent::Metric(metric));
    }

    #[test]
    fn empty_groups_give_no_payload_and_batches_keep_order() {
        let e = encoder();
        assert!(e.encode_v1(&LogGroup::default()).unwrap().is_empty());
        assert!(e
            .encode_v2(&PipelineGroupEvents::default())
            .unwrap()
            .is_empty());
        let g = |t: u32| LogGroup {
            logs: vec![Log::new(t, [("k", "v")])],
            ..LogGroup::default()
        };
        let out = e
            .encode_batch_v1(&[g(1), LogGroup::default(), g(2)])
            .unwrap();
        assert_eq!(out.len(), 2);
        assert!(String::from_utf8_lossy(&out[1]).starts_with("{\"__time__\":2,"));
    }

    #[test]
    fn an_unsupported_format_fails_init_naming_the_supported_ones() {
        let mut h = ExtensionHarness::<ExtDefaultEncoder>::from_yaml("Format: prometheus").unwrap();
        let err = h.init().unwrap_err().to_string();
        assert!(
            err.contains("format `prometheus` is not supported (supported: json)"),
            "{err}"
        );
    }

    #[test]
    fn format_is_required() {
        let err = ExtensionHarness::<ExtDefaultEncoder>::from_yaml("")
            .unwrap_err()
            .to_string();
        assert!(err.contains("key `Format` is required"), "{err}");
    }
}
