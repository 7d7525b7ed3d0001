//! `ext_default_decoder`: decodes received bytes in a built-in format (iLogtail's
//! `ext_default_decoder`).

mod influx;

use pipeplug::capability::HttpRequest;
use pipeplug::convert;
use pipeplug::models::{ByteArray, GroupInfo};
use pipeplug::prelude::*;
use pipeplug::Clock;
use std::sync::Arc;

/// Decodes received bytes for the inputs that name it: provides the capability
/// [`Decoder`].
///
/// `Format` picks the format (required, as in iLogtail; case and surrounding spaces are
/// ignored):
///
/// - `raw`: the bytes as they are. V2: one group holding one byte-array event. V1: one log
///   whose `content` is the bytes as text (invalid UTF-8 replaced), at the current time
///   (iLogtail's V1 gives no log at all).
/// - `influx` or `influxdb`: InfluxDB line protocol. The request's query gives `db` and
///   `precision` (`ns` by default; `n`, `ns`, `u`, `us`, `ms`, `s`, `m`, `h`); a line
///   without a timestamp gets the current time. V2: one group (metadata `db` when given),
///   one untyped metric per line: named after the measurement, tagged with its tags,
///   numeric fields (floats, integers, unsigned) as values, string and boolean fields as
///   typed values. V1, as iLogtail: one metric log per field (`__name__` is the
///   measurement for the field `value`, else `measurement:field`; `__labels__` the sorted
///   tags; `__time_nano__`; `__value__`, booleans as `1`/`0`), string fields skipped; with
///   `FieldsExtend`, string fields kept and `__type__`, `__field__` and `__tag__:db`
///   added, and without it names and label keys have characters other than letters,
///   digits, `_` and `:` replaced by `_`.
/// - `json`: JSON lines, as `ext_default_encoder` with `Format: json` writes them in V2
///   (pipeplug's serde form of an event per line; blank lines skipped). V2: one group.
///   V1: the events converted as the V2-to-V1 adapter does.
///
/// A malformed input is an error naming the format and the line. iLogtail's other formats
/// (`sls`, `prometheus`, `statsd`, `otlp_*`, `pyroscope`) are not supported yet: `init`
/// fails naming the supported ones.
#[extension(
    name = "ext_default_decoder",
    rename_all = "PascalCase",
    example = "Format: influxdb"
)]
#[derive(Debug, Clone)]
pub struct ExtDefaultDecoder {
    /// The format: `raw`, `influx`/`influxdb` or `json`.
    #[config(required)]
    format: String,
    /// `influxdb`, V1: keep string fields and add the value type, the field name and the
    /// database (see above).
    fields_extend: bool,
    /// The format, read by `init`.
    #[state]
    parsed: Format,
    /// The clock from `init`: the time of raw logs and of points without one.
    #[state]
    clock: Clock,
}

/// The formats `Format` accepts.
const FORMATS: &str = "raw, influx, influxdb, json";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Format {
    #[default]
    Raw,
    Influx,
    Json,
}

impl Extension for ExtDefaultDecoder {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        self.parsed = match self.format.trim().to_ascii_lowercase().as_str() {
            "raw" => Format::Raw,
            "influx" | "influxdb" => Format::Influx,
            "json" => Format::Json,
            other => {
                return Err(format!(
                    "ext_default_decoder: key `Format`: format `{other}` is not supported \
                     (supported: {FORMATS})"
                )
                .into())
            }
        };
        self.clock = ctx.clock().clone();
        Ok(())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().with::<dyn Decoder>(Arc::new(self.clone()))
    }
}

fn json_events(data: &[u8]) -> Result<Vec<PipelineEvent>, BoxError> {
    let text = std::str::from_utf8(data)
        .map_err(|e| format!("ext_default_decoder (json): the input is not UTF-8: {e}"))?;
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event = serde_json::from_str(line)
            .map_err(|e| format!("ext_default_decoder (json): line {}: {e}", i + 1))?;
        events.push(event);
    }
    Ok(events)
}

impl Decoder for ExtDefaultDecoder {
    fn decode_v1(&self, data: &[u8], req: Option<&HttpRequest>) -> Result<Vec<Log>, BoxError> {
        match self.parsed {
            Format::Raw => {
                let mut log = Log::new(0, [("content", String::from_utf8_lossy(data))]);
                log.set_time(self.clock.now());
                Ok(vec![log])
            }
            Format::Influx => influx::decode_v1(data, req, self.fields_extend, &self.clock),
            Format::Json => Ok(json_events(data)?
                .iter()
                .flat_map(convert::event_to_v1_logs)
                .collect()),
        }
    }

    fn decode_v2(
        &self,
        data: &[u8],
        req: Option<&HttpRequest>,
    ) -> Result<Vec<PipelineGroupEvents>, BoxError> {
        match self.parsed {
            Format::Raw => Ok(vec![PipelineGroupEvents::new(
                GroupInfo::default(),
                vec![ByteArray(data.to_vec()).into()],
            )]),
            Format::Influx => influx::decode_v2(data, req, &self.clock).map(|g| vec![g]),
            Format::Json => Ok(vec![PipelineGroupEvents::new(
                GroupInfo::default(),
                json_events(data)?,
            )]),
        }
    }
}

#[cfg(test)]
mod tests;
