//! `flusher_stdout`: writes events as JSON lines to standard output or a file (iLogtail's
//! `flusher_stdout`).

mod format;
mod json;
mod output;

use output::{Output, RollingFile};
use pipeplug::prelude::*;
use std::path::Path;

/// Writes every log or event as one JSON object per line, to standard output or a file.
///
/// Lines are written batch by batch; their text depends only on the events (keys in the
/// events' order), and any JSON parser reads them.
///
/// **No torn lines on standard output**: a batch goes out in pieces cut at line ends, each
/// at most 4096 bytes (`PIPE_BUF`) when its lines are shorter than that, and each piece in
/// one `write`. A pipe takes such a write whole or not at all, so when the agent exits while
/// blocked on a reader that does not read (a stop that gives up on the flusher), the reader
/// gets whole lines only. A single line longer than 4096 bytes is written on its own and
/// may be cut by such an exit.
///
/// **V1** (`flush`), one line per log, as SLS shows a log: the contents in order (a key
/// that repeats is written each time), then the group's tags as `__tag__:key`, then
/// `__time__` (Unix seconds, as text) and, when the log has nanoseconds,
/// `__time_ns_part__`:
///
/// ```json
/// {"host":"1.1.1.1","__tag__:env":"prod","__time__":"1700000000"}
/// ```
///
/// With `KeyValuePairs: false` the line is the log as a structure instead:
/// `{"time":1700000000,"contents":[{"key":"host","value":"1.1.1.1"}],"log_tags":[...]}`.
///
/// **V2** (`export`), one line per event: `eventType` (`log`, `metric`, `span`,
/// `byteArray`), `name`, `timestamp` and `observedTimestamp` (Unix nanoseconds), `tags`
/// (the event's) and `groupTags` (its group's), then by kind:
///
/// - metric: `metricType` (`Counter`, `Gauge`, ...), `value` (one number) or `values`
///   (named numbers), `typedValues` when it has any, `unit` and `description` when set;
/// - log: `level`, `traceID`, `spanID`, `offset`, and `contents` (an object; texts,
///   numbers and booleans as such, bytes as UTF-8 text);
/// - span: `traceID`, `spanID`, `parentSpanID`, `traceState`, `kind`, `status`,
///   `startTime`, `endTime`, `links`, `events`;
/// - byte array: `byteArray`, the bytes as UTF-8 text (invalid sequences replaced).
///
/// ```json
/// {"eventType":"metric","name":"cpu","timestamp":1700000000000000000,"observedTimestamp":0,"tags":{"host":"a"},"groupTags":{},"metricType":"Gauge","value":0.5}
/// ```
///
/// Numbers that JSON cannot hold (NaN, ±infinity) are written as the strings `"NaN"`,
/// `"+Inf"`, `"-Inf"`. With `Tags: true`, each group is preceded by a line describing it:
/// `{"logGroup":{"topic":..,"logstore":..,"source":..,"machineUUID":..,"tags":{..},"logCount":n}}`
/// (V1) or `{"group":{"metadata":{..},"tags":{..},"eventCount":n}}` (V2).
///
/// Where: standard output by default; the file `FileName` when set (appended to, created
/// if missing, rolled when `MaxSize` is set), unless `OnlyStdout`. A failed write is an
/// error of `flush`/`export`, naming the destination; `init` fails when the file cannot be
/// opened.
#[flusher(name = "flusher_stdout", rename_all = "PascalCase")]
#[derive(Debug)]
pub struct FlusherStdout {
    /// Write to this file instead of standard output (appending).
    file_name: String,
    /// Roll the file before it would grow past this many bytes (`FileName` becomes
    /// `FileName.1`, ...); 0, the default, never rolls. (iLogtail always rolls, at 1 MiB by
    /// default, dropping older data.)
    max_size: u64,
    /// How many rolled files to keep (at least 1).
    #[config(default = 1)]
    max_rolls: usize,
    /// V1: write each log as `"key":"value"` pairs (the default), else as a structure.
    #[config(default = true)]
    key_value_pairs: bool,
    /// Precede each group with a line describing it (topic, logstore, metadata, tags).
    tags: bool,
    /// Write to standard output even when `FileName` is set.
    only_stdout: bool,
    /// The destination, opened by `init`.
    #[state]
    output: Output,
    /// The lines of the batch being written.
    #[state]
    buffer: Vec<u8>,
}

impl FlusherStdout {
    fn write_buffer(&mut self) -> Result<(), BoxError> {
        let result = self.output.write(&self.buffer);
        self.buffer.clear();
        result.map_err(|e| format!("flusher_stdout: {e}").into())
    }
}

impl Flusher for FlusherStdout {
    fn init(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        self.output = if self.only_stdout || self.file_name.is_empty() {
            Output::Stdout
        } else {
            let file = RollingFile::open(Path::new(&self.file_name), self.max_size, self.max_rolls)
                .map_err(|e| format!("flusher_stdout: key `FileName`: {e}"))?;
            Output::File(file)
        };
        Ok(())
    }
}

impl FlusherV1 for FlusherStdout {
    fn flush(
        &mut self,
        _project: &str,
        _logstore: &str,
        _config_name: &str,
        groups: &[LogGroup],
    ) -> Result<(), BoxError> {
        for group in groups {
            format::v1_group(&mut self.buffer, group, self.tags, self.key_value_pairs);
        }
        self.write_buffer()
    }
}

impl FlusherV2 for FlusherStdout {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        for group in groups {
            format::v2_group(&mut self.buffer, group, self.tags);
        }
        self.write_buffer()
    }
}
