//! The body formats of `flusher_http` (iLogtail's `pkg/protocol/converter`): `custom_single`
//! and `custom_single_flatten` as JSON, `influxdb` as line protocol.
//!
//! A converter turns one group into the bodies of its requests. For the `custom_*`
//! protocols each log (V2: each event, through its V1 form) is one JSON object; with a
//! `Separator` the objects of a group are joined into one body, without one each is a body
//! of its own (one request per event, as iLogtail). `influxdb` gives one body per group, one
//! line per point.

use pipeplug::convert::{self, TAG_PREFIX};
use pipeplug::models::MetricValue;
use pipeplug::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The protocols `Convert.Protocol` accepts.
pub(crate) const PROTOCOLS: &str = "custom_single, custom_single_flatten, influxdb";

/// A body format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// `{"contents":{..},"tags":{..},"time":n}` per log.
    CustomSingle,
    /// One flat object per log: contents, tags and `time`.
    CustomSingleFlatten,
    /// InfluxDB line protocol from metrics.
    Influxdb,
}

impl Protocol {
    /// The protocol named `name` (case and surrounding spaces ignored).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "custom_single" => Some(Self::CustomSingle),
            "custom_single_flatten" => Some(Self::CustomSingleFlatten),
            "influxdb" => Some(Self::Influxdb),
            _ => None,
        }
    }

    /// The encodings it supports, the first being its default.
    pub(crate) fn encodings(self) -> &'static [&'static str] {
        match self {
            Self::CustomSingle | Self::CustomSingleFlatten => &["json"],
            Self::Influxdb => &["custom"],
        }
    }
}

/// Data a protocol cannot express (a log without `__name__` for `influxdb`), when
/// `IgnoreUnExpectedData` is off.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ConvertError(pub(crate) String);

/// The bodies of one group, and how many of its events were left out as unexpected data.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Converted {
    /// One per request.
    pub(crate) bodies: Vec<Vec<u8>>,
    /// Events skipped (not metrics for `influxdb`, values the line protocol cannot hold).
    pub(crate) skipped: usize,
}

/// Turns groups into request bodies.
#[derive(Debug, Clone)]
pub(crate) struct Converter {
    pub(crate) protocol: Protocol,
    /// Joins the objects of a group into one body when not empty (`custom_*` only).
    pub(crate) separator: String,
    /// Skip, rather than fail on, events the protocol cannot express.
    pub(crate) ignore_unexpected: bool,
}

/// iLogtail's renames of well-known tags (`tagConversionMap`, outside Kubernetes).
fn tag_name(key: &str) -> &str {
    match key {
        "__path__" => "log.file.path",
        "__hostname__" => "host.name",
        "_node_ip_" => "k8s.node.ip",
        "_node_name_" => "k8s.node.name",
        "_namespace_" => "k8s.namespace.name",
        "_pod_name_" => "k8s.pod.name",
        "_pod_ip_" => "k8s.pod.ip",
        "_pod_uid_" => "k8s.pod.uid",
        "_container_name_" => "container.name",
        "_container_ip_" => "container.ip",
        "_image_name_" => "container.image.name",
        other => other,
    }
}

/// A log's contents and tags as iLogtail's `convertLogToMap` splits them: `__tag__:x`
/// contents and the group's tags are tags (well-known ones renamed), `__log_topic__` is the
/// tag `log.topic`, the group's source is `host.ip` and its topic `log.topic`.
fn split_log<'a>(
    log: &'a Log,
    group: &'a LogGroup,
) -> (BTreeMap<&'a str, &'a str>, BTreeMap<&'a str, &'a str>) {
    let mut contents = BTreeMap::new();
    let mut tags = BTreeMap::new();
    for c in &log.contents {
        let (key, value) = (c.key.as_str(), c.value.as_str());
        if key == "__log_topic__" {
            tags.insert("log.topic", value);
        } else if key == "__tag__:__user_defined_id__" {
            continue;
        } else if let Some(tag) = key.strip_prefix(TAG_PREFIX) {
            tags.insert(tag_name(tag), value);
        } else if tag_name(key) != key {
            tags.insert(tag_name(key), value);
        } else {
            contents.insert(key, value);
        }
    }
    for t in &group.log_tags {
        if t.key == "__user_defined_id__" || t.key == "__pack_id__" {
            continue;
        }
        tags.insert(tag_name(&t.key), t.value.as_str());
    }
    tags.insert("host.ip", group.source.as_str());
    if !group.topic.is_empty() {
        tags.insert("log.topic", group.topic.as_str());
    }
    (contents, tags)
}

#[derive(serde::Serialize)]
struct SingleLog<'a> {
    contents: BTreeMap<&'a str, &'a str>,
    tags: BTreeMap<&'a str, &'a str>,
    time: u32,
}

fn json_bytes(value: &impl serde::Serialize) -> Result<Vec<u8>, ConvertError> {
    serde_json::to_vec(value).map_err(|e| ConvertError(format!("cannot encode as JSON: {e}")))
}

impl Converter {
    /// The `Content-Type` of the bodies (iLogtail's: JSON for `json`, bytes otherwise).
    pub(crate) fn content_type(&self) -> &'static str {
        match self.protocol {
            Protocol::CustomSingle | Protocol::CustomSingleFlatten => "application/json",
            Protocol::Influxdb => "application/octet-stream",
        }
    }

    /// The bodies of a V1 group.
    pub(crate) fn v1(&self, group: &LogGroup) -> Result<Converted, ConvertError> {
        match self.protocol {
            Protocol::CustomSingle | Protocol::CustomSingleFlatten => self.custom_v1(group),
            Protocol::Influxdb => self.influx_v1(group),
        }
    }

    /// The bodies of a V2 group: `custom_*` through its V1 form (`pipeplug::convert`'s
    /// `group_to_v1`: metrics as metric logs, group metadata as source and topic),
    /// `influxdb` from its metric events.
    pub(crate) fn v2(&self, group: &PipelineGroupEvents) -> Result<Converted, ConvertError> {
        match self.protocol {
            Protocol::CustomSingle | Protocol::CustomSingleFlatten => {
                self.custom_v1(&convert::group_to_v1(group))
            }
            Protocol::Influxdb => self.influx_v2(group),
        }
    }

    fn custom_v1(&self, group: &LogGroup) -> Result<Converted, ConvertError> {
        let mut objects = Vec::with_capacity(group.logs.len());
        for log in &group.logs {
            let (contents, tags) = split_log(log, group);
            let bytes = if self.protocol == Protocol::CustomSingle {
                json_bytes(&SingleLog {
                    contents,
                    tags,
                    time: log.time,
                })?
            } else {
                let mut flat: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
                for (k, v) in contents.into_iter().chain(tags) {
                    flat.insert(k, serde_json::Value::from(v));
                }
                flat.insert("time", serde_json::Value::from(log.time));
                json_bytes(&flat)?
            };
            objects.push(bytes);
        }
        Ok(Converted {
            bodies: self.join(objects),
            skipped: 0,
        })
    }

    /// One body per object without a separator; all in one body with it.
    fn join(&self, objects: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        if self.separator.is_empty() || objects.is_empty() {
            return objects;
        }
        let sep = self.separator.as_bytes();
        let len = objects.iter().map(|o| o.len() + sep.len()).sum();
        let mut body = Vec::with_capacity(len);
        for (i, o) in objects.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(sep);
            }
            body.extend_from_slice(o);
        }
        vec![body]
    }

    /// Skips (counted) or fails on an event the protocol cannot express.
    fn unexpected(&self, skipped: &mut usize, what: String) -> Result<(), ConvertError> {
        if self.ignore_unexpected {
            *skipped += 1;
            Ok(())
        } else {
            Err(ConvertError(what))
        }
    }

    fn influx_v1(&self, group: &LogGroup) -> Result<Converted, ConvertError> {
        let mut body = String::new();
        let mut skipped = 0;
        for (i, log) in group.logs.iter().enumerate() {
            match metric_log_line(log) {
                Ok(line) => body.push_str(&line),
                Err(why) => self.unexpected(&mut skipped, format!("log {i}: {why}"))?,
            }
        }
        Ok(Converted {
            bodies: non_empty(body),
            skipped,
        })
    }

    fn influx_v2(&self, group: &PipelineGroupEvents) -> Result<Converted, ConvertError> {
        let mut body = String::new();
        let mut skipped = 0;
        for (i, event) in group.events.iter().enumerate() {
            let line = match event {
                PipelineEvent::Metric(m) => metric_line(m),
                other => Err(format!("a {:?} event is not a metric", other.event_type())),
            };
            match line {
                Ok(line) => body.push_str(&line),
                Err(why) => self.unexpected(&mut skipped, format!("event {i}: {why}"))?,
            }
        }
        Ok(Converted {
            bodies: non_empty(body),
            skipped,
        })
    }
}

fn non_empty(body: String) -> Vec<Vec<u8>> {
    if body.is_empty() {
        Vec::new()
    } else {
        vec![body.into_bytes()]
    }
}

/// A field value of the line protocol.
enum Field {
    Float(f64),
    Int(i64),
    Bool(bool),
    Str(String),
}

/// Escapes `s` for the line protocol: `chars` get a backslash. Newlines cannot be written.
fn escape(out: &mut String, s: &str, chars: &[char]) -> Result<(), String> {
    if s.contains(['\n', '\r']) {
        return Err(format!(
            "{s:?} has a line break, which the line protocol cannot hold"
        ));
    }
    for c in s.chars() {
        if chars.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(())
}

/// Escapes a measurement: commas and spaces.
fn measurement(out: &mut String, s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("the metric has no name".to_owned());
    }
    escape(out, s, &[',', ' '])
}

/// Escapes a tag key or value, or a field key: commas, equal signs and spaces.
fn key(out: &mut String, s: &str) -> Result<(), String> {
    escape(out, s, &[',', '=', ' '])
}

fn field_value(out: &mut String, v: &Field) -> Result<(), String> {
    match v {
        Field::Float(f) if !f.is_finite() => {
            return Err(format!(
                "the value {f} cannot be written in the line protocol"
            ));
        }
        Field::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Field::Int(i) => {
            let _ = write!(out, "{i}i");
        }
        Field::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Field::Str(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
    }
    Ok(())
}

/// One line: `measurement,tags fields timestamp\n`; tags sorted by key, empty ones left
/// out (the line protocol has no empty tag values).
fn line(
    name: &str,
    tags: &mut [(&str, &str)],
    fields: &[(&str, Field)],
    time_nanos: Option<u64>,
) -> Result<String, String> {
    if fields.is_empty() {
        return Err("the metric has no value".to_owned());
    }
    let mut out = String::with_capacity(64);
    measurement(&mut out, name)?;
    tags.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in tags.iter() {
        if k.is_empty() || v.is_empty() {
            continue;
        }
        out.push(',');
        key(&mut out, k)?;
        out.push('=');
        key(&mut out, v)?;
    }
    for (i, (k, v)) in fields.iter().enumerate() {
        out.push(if i == 0 { ' ' } else { ',' });
        key(&mut out, k)?;
        out.push('=');
        field_value(&mut out, v)?;
    }
    if let Some(t) = time_nanos {
        let _ = write!(out, " {t}");
    }
    out.push('\n');
    Ok(out)
}

/// A V1 metric log (`__name__`, `__labels__`, `__value__`, `__time_nano__`, and iLogtail's
/// optional `__type__` and `__field__`) as a line.
fn metric_log_line(log: &Log) -> Result<String, String> {
    let get = |k: &str| log.get(k).unwrap_or_default();
    let (name, labels, value) = (get("__name__"), get("__labels__"), get("__value__"));
    let (value_type, field, time) = (get("__type__"), get("__field__"), get("__time_nano__"));
    if name.is_empty() || value.is_empty() && value_type != "string" {
        return Err("metrics data must contain the keys __name__ and __value__".to_owned());
    }
    // `name:field` with `__field__: field` is the measurement `name` with that field.
    let (name, field) = if field.is_empty() || field == "value" {
        (name, "value")
    } else {
        (
            name.strip_suffix(&format!(":{field}")).unwrap_or(name),
            field,
        )
    };
    let bad = |e: &dyn std::fmt::Display| format!("__value__ {value:?} ({value_type}): {e}");
    let value = match value_type {
        "bool" => Field::Bool(value.parse().map_err(|e| bad(&e))?),
        "string" => Field::Str(value.to_owned()),
        "int" => Field::Int(value.parse().map_err(|e| bad(&e))?),
        _ => Field::Float(convert::parse_value(value).ok_or_else(|| bad(&"not a number"))?),
    };
    let time = if time.is_empty() {
        None
    } else {
        Some(
            time.parse::<u64>()
                .map_err(|e| format!("__time_nano__ {time:?}: {e}"))?,
        )
    };
    let parsed = convert::parse_labels(labels);
    let mut tags: Vec<(&str, &str)> = parsed.iter().map(|(k, v)| (k, v.as_str())).collect();
    line(name, &mut tags, &[(field, value)], time)
}

/// A V2 metric as a line: its tags, `value` for a single value or one field per value
/// (then per typed value), its timestamp when set.
fn metric_line(m: &Metric) -> Result<String, String> {
    let mut fields: Vec<(&str, Field)> = Vec::new();
    match &m.value {
        MetricValue::Single(v) => fields.push(("value", Field::Float(*v))),
        MetricValue::Multi(values) => {
            for (k, v) in values.sorted() {
                fields.push((k, Field::Float(*v)));
            }
        }
    }
    for (k, v) in m.typed_values.iter() {
        let f = match v {
            serde_json::Value::Bool(b) => Field::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Field::Int(i),
                None => Field::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Field::Str(s.clone()),
            other => Field::Str(other.to_string()),
        };
        fields.push((k, f));
    }
    let mut tags: Vec<(&str, &str)> = m.tags.iter().map(|(k, v)| (k, v.as_str())).collect();
    let time = (m.timestamp != 0).then_some(m.timestamp);
    line(&m.name, &mut tags, &fields, time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeplug::models::{GroupInfo, Span};
    use pipeplug::testing::create_log;

    fn influx(ignore: bool) -> Converter {
        Converter {
            protocol: Protocol::Influxdb,
            separator: String::new(),
            ignore_unexpected: ignore,
        }
    }

    fn text(c: &Converted) -> String {
        c.bodies
            .iter()
            .map(|b| String::from_utf8(b.clone()).unwrap())
            .collect()
    }

    #[test]
    fn protocols_parse_without_regard_to_case_and_know_their_encodings() {
        assert_eq!(
            Protocol::parse(" Custom_Single "),
            Some(Protocol::CustomSingle)
        );
        assert_eq!(Protocol::parse("influxdb"), Some(Protocol::Influxdb));
        assert_eq!(Protocol::parse("otlp_v1"), None);
        assert_eq!(Protocol::Influxdb.encodings(), ["custom"]);
        assert_eq!(Protocol::CustomSingleFlatten.encodings(), ["json"]);
    }

    #[test]
    fn v1_metric_types_and_fields_follow_ilogtail() {
        let mut b = create_log([
            ("__name__", "up"),
            ("__value__", "true"),
            ("__type__", "bool"),
        ]);
        b.push("__time_nano__", "9");
        let s = create_log([
            ("__name__", "state"),
            ("__value__", "a \"q\" \\ b"),
            ("__type__", "string"),
        ]);
        let f = create_log([
            ("__name__", "cpu:idle"),
            ("__field__", "idle"),
            ("__value__", "1e+06"),
            ("__labels__", "a=b#$#c d"),
        ]);
        let group = LogGroup {
            logs: vec![b, s, f],
            ..LogGroup::default()
        };
        let c = influx(false).v1(&group).unwrap();
        assert_eq!(
            text(&c),
            "up value=true 9\nstate value=\"a \\\"q\\\" \\\\ b\"\ncpu,a\\=b=c\\ d idle=1000000\n"
        );
    }

    #[test]
    fn a_bad_value_or_time_is_unexpected_data() {
        let bad = [
            create_log([("__name__", "x"), ("__value__", "abc")]),
            create_log([("__name__", "x"), ("__value__", "1.5"), ("__type__", "int")]),
            create_log([
                ("__name__", "x"),
                ("__value__", "1"),
                ("__time_nano__", "-1"),
            ]),
            create_log([("__name__", "x\ny"), ("__value__", "1")]),
            create_log([("__value__", "1")]),
        ];
        for log in bad {
            let group = LogGroup {
                logs: vec![log.clone()],
                ..LogGroup::default()
            };
            let err = influx(false).v1(&group).unwrap_err();
            assert!(err.0.starts_with("log 0: "), "{err}");
            let skipped = influx(true).v1(&group).unwrap();
            assert_eq!(
                skipped,
                Converted {
                    bodies: vec![],
                    skipped: 1
                },
                "{log:?}"
            );
        }
    }

    #[test]
    fn v2_events_that_are_not_metrics_are_skipped_or_refused() {
        let group = PipelineGroupEvents::new(
            GroupInfo::default(),
            vec![PipelineEvent::Span(Span::default())],
        );
        assert_eq!(influx(true).v2(&group).unwrap().skipped, 1);
        let err = influx(false).v2(&group).unwrap_err();
        assert_eq!(err.0, "event 0: a Span event is not a metric");
    }

    #[test]
    fn without_a_separator_each_log_is_a_body_and_empty_groups_give_none() {
        let c = Converter {
            protocol: Protocol::CustomSingleFlatten,
            separator: String::new(),
            ignore_unexpected: true,
        };
        let group = LogGroup {
            logs: vec![create_log([("a", "1")]), create_log([("a", "2")])],
            ..LogGroup::default()
        };
        let out = c.v1(&group).unwrap();
        assert_eq!(out.bodies.len(), 2);
        assert_eq!(
            text(&Converted {
                bodies: vec![out.bodies[1].clone()],
                skipped: 0
            }),
            r#"{"a":"2","host.ip":"","time":0}"#
        );
        assert!(c.v1(&LogGroup::default()).unwrap().bodies.is_empty());
        let joined = Converter {
            separator: "|".into(),
            ..c
        };
        assert!(joined.v1(&LogGroup::default()).unwrap().bodies.is_empty());
        assert_eq!(joined.v1(&group).unwrap().bodies.len(), 1);
    }
}
