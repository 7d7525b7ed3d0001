//! InfluxDB line protocol, parsed by `influxdb-line-protocol`, as iLogtail's influxdb
//! decoder maps it onto events.

use influxdb_line_protocol::{parse_lines, split_lines, FieldValue, ParsedLine};
use pipeplug::capability::HttpRequest;
use pipeplug::convert;
use pipeplug::models::{GroupInfo, KeyValues, Metadata, Metric, MetricType, Tags};
use pipeplug::prelude::*;
use pipeplug::protocol::LogContent;
use pipeplug::{BoxError, Clock};

/// Nanoseconds per unit of the request's `precision` (ns when absent).
fn precision(req: Option<&HttpRequest>) -> Result<i64, BoxError> {
    let p = req
        .and_then(|r| r.query_param("precision"))
        .unwrap_or_default();
    Ok(match p.as_str() {
        "" | "n" | "ns" => 1,
        "u" | "us" | "µ" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        other => {
            return Err(format!(
                "ext_default_decoder (influxdb): precision `{other}` is not one of \
                 n, ns, u, us, ms, s, m, h"
            )
            .into())
        }
    })
}

/// Each line, parsed, with its time in Unix nanoseconds.
fn points<'a>(
    data: &'a [u8],
    req: Option<&HttpRequest>,
    clock: &Clock,
) -> Result<Vec<(ParsedLine<'a>, u64)>, BoxError> {
    let text = std::str::from_utf8(data)
        .map_err(|e| format!("ext_default_decoder (influxdb): the input is not UTF-8: {e}"))?;
    let unit = precision(req)?;
    let mut out = Vec::new();
    for (i, line) in split_lines(text).enumerate() {
        for parsed in parse_lines(line) {
            let parsed = parsed
                .map_err(|e| format!("ext_default_decoder (influxdb): line {}: {e}", i + 1))?;
            let nanos = match parsed.timestamp {
                None => clock.now_nanos(),
                Some(t) => t
                    .checked_mul(unit)
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| {
                        format!(
                            "ext_default_decoder (influxdb): line {}: timestamp {t} is out of \
                             range (before 1970 or too far ahead)",
                            i + 1
                        )
                    })?,
            };
            out.push((parsed, nanos));
        }
    }
    Ok(out)
}

fn tags_of(line: &ParsedLine<'_>) -> Tags {
    let mut tags = Tags::new();
    for (k, v) in line.series.tag_set.iter().flatten() {
        tags.add(k.as_str(), v.as_str());
    }
    tags
}

/// One group, one untyped metric per line.
pub(super) fn decode_v2(
    data: &[u8],
    req: Option<&HttpRequest>,
    clock: &Clock,
) -> Result<PipelineGroupEvents, BoxError> {
    let mut metadata = Metadata::new();
    if let Some(db) = req
        .and_then(|r| r.query_param("db"))
        .filter(|d| !d.is_empty())
    {
        metadata.add("db", db);
    }
    let mut events = Vec::new();
    for (line, nanos) in points(data, req, clock)? {
        let mut values = KeyValues::<f64>::new();
        let mut typed = KeyValues::<serde_json::Value>::new();
        for (k, v) in &line.field_set {
            #[allow(clippy::cast_precision_loss)] // as Go's float64(v)
            match v {
                FieldValue::F64(x) => values.add(k.as_str(), *x),
                FieldValue::I64(x) => values.add(k.as_str(), *x as f64),
                FieldValue::U64(x) => values.add(k.as_str(), *x as f64),
                FieldValue::String(s) => typed.add(k.as_str(), s.as_str()),
                FieldValue::Boolean(b) => typed.add(k.as_str(), *b),
            }
        }
        let metric = Metric::multi(
            line.series.measurement.as_str(),
            MetricType::Untyped,
            tags_of(&line),
            nanos,
            values,
        )
        .with_typed_values(typed);
        events.push(metric.into());
    }
    Ok(PipelineGroupEvents::new(
        GroupInfo::new(metadata, Tags::new()),
        events,
    ))
}

/// `s` with every character but letters, digits, `_` and `:` replaced by `_`.
fn valid_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One metric log per field, as iLogtail's V1 influxdb decoder.
pub(super) fn decode_v1(
    data: &[u8],
    req: Option<&HttpRequest>,
    fields_extend: bool,
    clock: &Clock,
) -> Result<Vec<Log>, BoxError> {
    let db = req.and_then(|r| r.query_param("db")).unwrap_or_default();
    let mut logs = Vec::new();
    for (line, nanos) in points(data, req, clock)? {
        let mut tags = Tags::new();
        for (k, v) in tags_of(&line).iter() {
            let k = if fields_extend {
                k.to_owned()
            } else {
                valid_name(k)
            };
            tags.add(k, v.clone());
        }
        let labels = convert::format_labels(&tags);
        for (field, v) in &line.field_set {
            let (value, value_type) = match v {
                FieldValue::F64(x) => (convert::format_value(*x), "float"),
                FieldValue::I64(x) => (x.to_string(), "int"),
                FieldValue::U64(x) => (x.to_string(), "int"),
                FieldValue::Boolean(b) => (if *b { "1" } else { "0" }.to_owned(), "bool"),
                FieldValue::String(s) if fields_extend => (s.as_str().to_owned(), "string"),
                FieldValue::String(_) => continue,
            };
            let measurement = line.series.measurement.as_str();
            let mut name = if field.as_str() == "value" {
                measurement.to_owned()
            } else {
                format!("{measurement}:{}", field.as_str())
            };
            if !fields_extend {
                name = valid_name(&name);
            }
            let mut log = Log::new(
                0,
                [
                    ("__name__", name),
                    ("__labels__", labels.clone()),
                    ("__time_nano__", nanos.to_string()),
                    ("__value__", value),
                ],
            );
            if fields_extend {
                log.contents.push(LogContent::new("__type__", value_type));
                log.contents
                    .push(LogContent::new("__field__", field.as_str()));
                if !db.is_empty() {
                    log.contents
                        .push(LogContent::new("__tag__:db", db.as_str()));
                }
            }
            log.set_time_nanos(nanos);
            logs.push(log);
        }
    }
    Ok(logs)
}
