//! The built-in plugins of pipeplug: enough to run real pipelines, with iLogtail's names and
//! options, written with the same attribute macros as any plugin crate.
//!
//! A binary links them with one line, which registers every one before `main` (see
//! [`all`]):
//!
//! ```
//! pipeplug::link!(pipeplug_plugins::all);
//! # fn main() {
//! # let registry = pipeplug::registry::global().unwrap();
//! # assert!(registry.get(pipeplug::registry::PluginKind::Flusher, "flusher_stdout").is_some());
//! # }
//! ```
//!
//! # The plugins
//!
//! Every plugin implements both V1 and V2 itself (no adapter). Config keys are iLogtail's
//! (PascalCase; matched case-insensitively, as Go does); an unknown key is an error that
//! suggests the closest one.
//!
//! | plugin | kind | options (default) | what it does |
//! |---|---|---|---|
//! | [`metric_mock`](MetricMock) | metric input | `Tags` ({}), `Fields` ({}, any JSON values), `Index` (0), `OpenPrometheusPattern` (false), `GroupMeta` ({}), `GroupTags` ({}), `IntervalMs` (pipeline's) | one record per collection, counting up from `Index`: V1 a log (or the metric `metrics_mock`), V2 a group of two metrics |
//! | [`service_mock`](ServiceMock) | service input | `Tags` ({}), `Fields` ({}), `File` (""), `Index` (0), `LogsPerSecond` (1), `MaxLogCount` (0: no limit), `Interval` ("1s") | `LogsPerSecond` logs at start and every `Interval` |
//! | [`service_http_server`](ServiceHttpServer) | service input | `Format` (required), `Address` (required), `Endpoint` (""), `ReadTimeoutSec` (10), `ShutdownTimeoutSec` (5), `MaxBodySize` (64 MiB), `UnlinkUnixSock` (true), `FieldsExtend`, `DisableUncompress` (false), `QueryParams`, `HeaderParams` ([]), `QueryParamPrefix`, `HeaderParamPrefix` (""), `Tags` ({}), `TagsInGroup` (true), `Cluster` (""), `MaxInFlight` (16) | an HTTP server decoding request bodies (`raw`, `influxdb`, `json` lines, gzip) |
//! | [`processor_add_fields`](ProcessorAddFields) | processor | `Fields` ({}), `IgnoreIfExist` (false) | adds fixed fields to every event |
//! | [`processor_drop`](ProcessorDrop) | processor | `DropKeys` ([]) | removes keys from every event |
//! | [`processor_rename`](ProcessorRename) | processor | `SourceKeys` ([]), `DestKeys` ([]), `NoKeyError` (false) | renames keys; the two lists must pair up (`init` says which does not) |
//! | [`aggregator_default`](AggregatorDefault) | aggregator | `MaxLogCount` (1024), `MaxLogGroupCount` (4), `PackFlag` (false), `Topic` ("") | batches events into groups of at most `MaxLogCount`; added by the engine to pipelines without an aggregator |
//! | [`ext_basicauth`](ExtBasicAuth) | extension | `Username` (""), `Password` ("") | provides a [`ClientAuthenticator`](pipeplug::capability::ClientAuthenticator): `Authorization: Basic base64(user:password)` |
//! | [`ext_default_encoder`](ExtDefaultEncoder) | extension | `Format` (required: `json`) | provides an [`Encoder`](pipeplug::capability::Encoder): JSON lines of logs (V1) or events (V2) |
//! | [`ext_default_decoder`](ExtDefaultDecoder) | extension | `Format` (required: `raw`, `influx`/`influxdb`, `json`), `FieldsExtend` (false) | provides a [`Decoder`](pipeplug::capability::Decoder): raw bytes, InfluxDB line protocol, JSON lines of events |
//! | [`ext_groupinfo_filter`](ExtGroupInfoFilter) | extension | `Tags` ({}), `Metas` ({}), each key → `{Pattern, Reverse}` | provides a [`FlushInterceptor`](pipeplug::capability::FlushInterceptor): keeps the groups whose tags and metadata match |
//! | [`flusher_http`](FlusherHttp) | flusher | `RemoteURL` (required), `Query` ({}), `Headers` ({}), `Timeout` (60s), `Retry` ({Enable: true, MaxRetryTimes: 3, InitialDelay: 1s, MaxDelay: 30s}), `Convert` ({Protocol: custom_single, Encoding, Separator, IgnoreUnExpectedData: true}), `Encoder`, `Authenticator`, `RequestInterceptors` ([]), `FlushInterceptor` (extensions by name or `{Type, Options}`), `Concurrency` (1), `Compression` (none/gzip) | POSTs each batch to an HTTP endpoint (JSON per log, or InfluxDB line protocol), with retries; returns once every request was answered 2xx |
//! | [`flusher_stdout`](FlusherStdout) | flusher | `FileName` (""), `OnlyStdout` (false), `Tags` (false), `KeyValuePairs` (true), `MaxSize` (0: never roll), `MaxRolls` (1) | one JSON object per log or event, to standard output or a file |
//!
//! Each plugin's page has the details: what each option does, the exact V1 and V2
//! behaviour, the output format of `flusher_stdout`.
//!
//! # Keys in V1 and V2
//!
//! The processors read a key the same way in both pipelines. In V1 every key is a
//! content key, and a log's tags are contents named `__tag__:name`. In V2:
//!
//! | event | `name` | `__tag__:name` |
//! |---|---|---|
//! | log | the content `name` | the tag `name` |
//! | metric, span | the tag (label) `name` | the tag `name` |
//! | byte array | passed on unchanged | passed on unchanged |
//!
//! So a config written for V1 means the same in V2, and no processor drops an event kind it
//! does not handle (iLogtail's V2 pain point: processors that silently lost metrics and
//! spans). Applying keys to metric labels follows iLogtail's `processor_rename`, which
//! renames the tags of non-log events.
//!
//! # Differences from iLogtail
//!
//! Deliberate, each to avoid a silent failure or a surprise:
//!
//! - **Empty key lists** (`Fields`, `DropKeys`, `SourceKeys`) are accepted with a warning
//!   instead of failing `init`: the plugin then does nothing. (Every plugin must start from
//!   its defaults.)
//! - **`processor_rename`**: a source key listed twice fails `init` (Go keeps the last); a
//!   destination key the event already has is replaced, in V1 too (Go's V1 keeps both);
//!   `NoKeyError` warns once per batch with counts, not once per log.
//! - **`processor_add_fields` in V2** adds to every log's contents (Go's V2 adds to event
//!   tags, and only with `IgnoreIfExist` and more than one field).
//! - **`aggregator_default`**: `PackFlag` is off by default (pack IDs serve SLS and make
//!   output differ from run to run); groups get the logstore as category (Go leaves it
//!   empty); V2 batches groups until `get_result` with the same bounds as V1 (Go's V2 passes
//!   each group on at once).
//! - **`flusher_stdout`** writes JSON lines to standard output by default (Go writes to the
//!   agent's log unless `OnlyStdout` or `FileName`); V1 lines carry the group's tags and V2
//!   lines every field of every event kind (Go's V2 output is not valid JSON for logs and
//!   byte arrays, and empty for spans); the file is rolled only when `MaxSize` is set (Go
//!   rolls at 1 MiB by default, keeping one old file).
//! - **`service_mock`**: `LogsPerSecond` defaults to 1 (Go's 0 emits nothing), `Interval`
//!   is new, `MaxLogCount` is exact (Go stops after the round that reaches it), an unreadable
//!   `File` fails `init`, and it has a native V2 form (log events).
//! - **`ext_default_encoder`** supports `json` (JSON lines, pipeplug's), not iLogtail's
//!   `prometheus`; **`ext_default_decoder`** supports `raw`, `influx`/`influxdb` and `json`
//!   (pipeplug's events, iLogtail's `custom_single` and `custom_single_flatten` lines and
//!   plain JSON objects), not `sls`, `prometheus`, `statsd`, `otlp_*` or `pyroscope`; its `raw` V1
//!   form gives one `content` log (Go's gives none). Options other than `Format` and
//!   `FieldsExtend` are unknown keys (Go ignores the options its format does not use).
//! - **`service_http_server`** decodes the formats of `ext_default_decoder` only (not
//!   `DumpData`); with a path in `Address`/`Endpoint` only that path is answered (Go
//!   answers every path); methods other than POST and PUT get 405; `MaxInFlight` bounds the
//!   requests handled at once (more get 503 with `Retry-After`).
//! - **`metric_mock`**: `IntervalMs` is a declared key, so that the pipeline's
//!   per-plugin interval passes the strict key check.

mod aggregator_default;
pub mod all;
mod ext_basicauth;
mod ext_default_decoder;
mod ext_default_encoder;
mod ext_groupinfo_filter;
mod flusher_http;
mod flusher_stdout;
mod keys;
mod metric_mock;
mod processor_add_fields;
mod processor_drop;
mod processor_rename;
mod service_http_server;
mod service_mock;

pub use aggregator_default::AggregatorDefault;
pub use ext_basicauth::ExtBasicAuth;
pub use ext_default_decoder::ExtDefaultDecoder;
pub use ext_default_encoder::ExtDefaultEncoder;
pub use ext_groupinfo_filter::{Condition, ExtGroupInfoFilter};
pub use flusher_http::{ConvertConfig, ExtensionRef, FlusherHttp, RetryConfig};
pub use flusher_stdout::FlusherStdout;
pub use metric_mock::MetricMock;
pub use processor_add_fields::ProcessorAddFields;
pub use processor_drop::ProcessorDrop;
pub use processor_rename::ProcessorRename;
pub use service_http_server::ServiceHttpServer;
pub use service_mock::ServiceMock;
