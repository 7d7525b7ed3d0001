//! `ext_default_decoder`: decodes received bytes in a built-in format (iLogtail's
//! `ext_default_decoder`).

mod influx;
mod json_lines;

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
/// - `json`: JSON lines, one JSON object per line (blank lines skipped). V2: one group.
///   V1: the events converted as the V2-to-V1 adapter does. Each line is read by its shape
///   (checked in this order):
///   - an object with the key `eventType`: pipeplug's serde form of an event, as
///     `ext_default_encoder` with `Format: json` writes it in V2 (any event kind);
///   - an object whose keys are among `contents` (an object, required), `tags` (an
///     object) and `time`: a log, as iLogtail's `custom_single` protocol writes one
///     (`flusher_http` with `Convert: {Protocol: custom_single, Encoding: json}`): the
///     contents become the log's contents, the tags its tags;
///   - any other object (a plain JSON log, iLogtail's `custom_single_flatten`, or the V1
///     lines of `ext_default_encoder`): a log whose contents are the object's keys, except
///     `__time__` (the time) and keys `__tag__:name` (the tag `name`); without `__time__`,
///     a numeric `time` is the time too (and stays a content). The tags of a
///     `custom_single_flatten` line cannot be told from its contents: they are contents.
///
///   Content values: strings as they are, integers, floats and booleans typed, `null` as
///   an empty string, arrays and objects as their compact JSON text. Tag values: strings
///   as they are, anything else as its JSON text. A time (`time`, `__time__`) is a number
///   read by its size: below 10^11 Unix seconds (fractions kept), below 10^14
///   milliseconds, below 10^17 microseconds, else nanoseconds; a line without one (or with
///   0) gets the current time. A line that is not an object, or a time that is not a non-negative
///   number, is an error naming the line.
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
        let decoder = Self::for_input(&self.format, self.fields_extend, ctx.clock().clone())
            .map_err(|e| format!("ext_default_decoder: key `Format`: {e}"))?;
        *self = decoder;
        Ok(())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().with::<dyn Decoder>(Arc::new(self.clone()))
    }
}

fn json_events(data: &[u8], clock: &Clock) -> Result<Vec<PipelineEvent>, BoxError> {
    let text = std::str::from_utf8(data)
        .map_err(|e| format!("ext_default_decoder (json): the input is not UTF-8: {e}"))?;
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event = json_lines::event(line, clock)
            .map_err(|e| format!("ext_default_decoder (json): line {}: {e}", i + 1))?;
        events.push(event);
    }
    Ok(events)
}

impl ExtDefaultDecoder {
    /// A decoder of `format` (as the key `Format`) for an input that decodes by itself
    /// (`service_http_server`), timing events with `clock`.
    ///
    /// # Errors
    /// The format is not supported; the message names the supported ones.
    pub(crate) fn for_input(
        format: &str,
        fields_extend: bool,
        clock: Clock,
    ) -> Result<Self, String> {
        let parsed = match format.trim().to_ascii_lowercase().as_str() {
            "raw" => Format::Raw,
            "influx" | "influxdb" => Format::Influx,
            "json" => Format::Json,
            other => {
                return Err(format!(
                    "format `{other}` is not supported (supported: {FORMATS})"
                ))
            }
        };
        Ok(Self {
            format: format.to_owned(),
            fields_extend,
            parsed,
            clock,
        })
    }

    /// Whether the format reads text (UTF-8): every one but `raw`.
    pub(crate) fn needs_text(&self) -> bool {
        self.parsed != Format::Raw
    }
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
            Format::Json => Ok(json_events(data, &self.clock)?
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
                json_events(data, &self.clock)?,
            )]),
        }
    }
}

#[cfg(test)]
mod tests;
