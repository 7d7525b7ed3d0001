//! `flusher_http`: sends events to an HTTP endpoint (iLogtail's `flusher_http`).

mod convert;
mod send;

use convert::{Converter, Protocol, PROTOCOLS};
use pipeplug::capability::{Capability, HttpRequest};
use pipeplug::prelude::*;
use pipeplug::ExtensionError;
use pipeplug::PermanentError;
use send::{Failed, Metrics, Pool, RetryPolicy, Sending};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

/// Sends every batch to `RemoteURL` as HTTP `POST` requests (JSON per log, or InfluxDB line
/// protocol) and returns once the server answered 2xx to all of them; a failed request is
/// retried per `Retry`, and an answer no retry can fix (a 4xx other than 401, 403, 429)
/// drops the batch as a permanent error.
///
/// ```yaml
/// flushers:
///   - Type: flusher_http
///     RemoteURL: "http://127.0.0.1:8123/"
///     Query: {query: "INSERT INTO db.t FORMAT JSONEachRow"}
///     Headers: {X-Token: abc}
///     Convert: {Protocol: custom_single_flatten, Separator: "\n"}
///     Retry: {MaxRetryTimes: 5}
///     Compression: gzip
/// ```
///
/// **Bodies.** `Convert` picks the format (iLogtail's converters):
///
/// - `custom_single` (default), encoding `json`: per log
///   `{"contents":{..},"tags":{..},"time":1700000000}`. Tags are the log's `__tag__:x`
///   contents and the group's tags (iLogtail's renames: `__path__` → `log.file.path`,
///   `__hostname__` → `host.name`, `_pod_name_` → `k8s.pod.name`, ...), the group's source
///   as `host.ip` and its topic as `log.topic`; keys in sorted order.
/// - `custom_single_flatten`, encoding `json`: per log one flat object, the contents, then
///   the tags (a tag replaces a content of the same name), then `time`.
/// - `influxdb`, encoding `custom`: InfluxDB line protocol, one body per group, a line per
///   metric: from V1 metric logs (`__name__`, `__labels__`, `__value__`, `__time_nano__`,
///   and iLogtail's `__type__` `int`/`bool`/`string` and `__field__`) and from V2 metric
///   events (a single value is the field `value`; a multi-value metric has one field per
///   value, then one per typed value). Tags sorted, empty ones left out; commas, spaces and
///   `=` escaped as the line protocol requires. Events that are not metrics, and values the
///   line protocol cannot hold (NaN, infinities, line breaks), are skipped and counted
///   (`flusher_http_skipped_events_total`) while `Convert.IgnoreUnExpectedData` is true (the
///   default); when it is false they fail the batch for good.
///
/// V2 groups go through their V1 form for the `custom_*` protocols (`pipeplug::convert`:
/// metrics as metric logs, spans as span logs, group tags as tags). Without a `Separator`
/// each log (event) is one request, as in iLogtail; with one, the objects of a group are
/// joined by it into one request (use `"\n"` for JSON lines). `Encoding` defaults to the
/// protocol's (`json`, or `custom` for `influxdb`). `Content-Type` is `application/json`
/// for JSON and `application/octet-stream` otherwise, unless `Headers` sets it.
///
/// With `Encoder`, an extension providing the [`Encoder`] capability (such as
/// `ext_default_encoder`) makes the bodies instead, one request per payload it returns.
///
/// **Requests.** `Query` is added to the URL (URL-encoded, sorted by key), `Headers` to
/// each request. `Compression: gzip` compresses the body and sets `Content-Encoding: gzip`.
/// Before every attempt the `Authenticator` ([`ClientAuthenticator`]) adds credentials,
/// then each of `RequestInterceptors` ([`RequestInterceptor`]) in order may change the
/// request or veto it. `FlushInterceptor` ([`FlushInterceptor`], such as
/// `ext_groupinfo_filter`) filters V2 groups before conversion (V1 batches are not
/// filtered, as in iLogtail). Each of these names an extension, as a string (`ext_basicauth`
/// or `ext_basicauth/id` for one the pipeline declares) or as `{Type: ext_basicauth,
/// Options: {...}}` (an undeclared extension created with those options; for a declared
/// `type/id`, the options are ignored). A name that cannot be found, or an extension
/// without the capability, fails `init` naming the key.
///
/// **Delivery.** `flush`/`export` are synchronous: they return `Ok` once every request of
/// the batch was answered 2xx, so the engine's delivery accounting is exact and a slow
/// server holds the pipeline back. `Concurrency` requests are in flight at once (sender
/// threads started by `init`, joined by `stop`, sharing one pooled client). Each request
/// gets `Timeout` and is retried per `Retry`: up to `MaxRetryTimes` more attempts, waiting
/// `InitialDelay` doubled at each retry up to `MaxDelay`, with jitter (a random point of
/// `[d/2, d]`); retried are connection errors and timeouts and the statuses 5xx, 429, 401
/// and 403. Any other answer (a 4xx, a 3xx: redirects are not followed) is not retried:
/// the batch fails with a [`PermanentError`] and the engine drops it. Retries exhausted, a
/// veto or a failed authentication fail the batch with an ordinary error, and the engine
/// retries the whole batch per the flusher's `Delivery` settings: **requests of that batch
/// that were already delivered are sent again** (at least once; a `Separator` makes one
/// request per group, and such repeats rarer). After `set_urgent(true)` (the agent is
/// exiting) failed requests are not retried. Retry waits are in real time (they pace a
/// real server).
///
/// **Self-metrics**: `flusher_http_events_sent_total` (events of batches delivered, skipped
/// ones left out),
/// `flusher_http_requests_sent_total`, `flusher_http_sent_bytes_total` (bodies as sent),
/// `flusher_http_retries_total`, `flusher_http_failures_total` by `reason` (`status_5xx`,
/// `status_4xx`, `connection`, `request`, `vetoed`, `auth`; one per failed attempt),
/// `flusher_http_skipped_events_total`, and the latency `flusher_http_request_latency`.
#[flusher(
    name = "flusher_http",
    rename_all = "PascalCase",
    example = "RemoteURL: http://127.0.0.1:8086/write\nQuery: {db: mydb}\nConvert: {Protocol: influxdb}"
)]
#[derive(Debug)]
pub struct FlusherHttp {
    /// The URL to send to (`http://` or `https://`); required.
    #[config(rename = "RemoteURL", required)]
    remote_url: String,
    /// Headers added to each request.
    headers: BTreeMap<String, String>,
    /// Query parameters added to the URL (URL-encoded).
    query: BTreeMap<String, String>,
    /// The longest a request may take, answer included.
    #[config(default = "60s")]
    timeout: Duration,
    /// Retries of a failed request: `Enable` (true), `MaxRetryTimes` (3), `InitialDelay`
    /// (1s), `MaxDelay` (30s). The wait doubles from `InitialDelay` up to `MaxDelay`, each a
    /// random point of `[d/2, d]`. Retried: connection errors, timeouts, 5xx, 429, 401, 403.
    /// When retries run out the call fails and the engine's `Delivery` retries the whole
    /// batch (its requests already delivered are sent again).
    retry: RetryConfig,
    /// The body format: `Protocol` (`custom_single`: `{"contents","tags","time"}` per log;
    /// `custom_single_flatten`: one flat object per log; `influxdb`: line protocol, one body
    /// per group), `Encoding` (the protocol's: `json`, or `custom` for `influxdb`),
    /// `Separator` ("": one request per log; else the logs of a group joined by it in one
    /// request), `IgnoreUnExpectedData` (true: skip, and count, what the protocol cannot
    /// express; false: fail the batch for good).
    convert: ConvertConfig,
    /// An extension with the `Encoder` capability that makes the bodies instead of `Convert`
    /// (a name, `type/id`, or `{Type, Options}`, as for every extension key).
    encoder: Option<ExtensionRef>,
    /// An extension with the `ClientAuthenticator` capability.
    authenticator: Option<ExtensionRef>,
    /// Extensions with the `RequestInterceptor` capability, applied in order.
    request_interceptors: Vec<ExtensionRef>,
    /// An extension with the `FlushInterceptor` capability (V2 groups).
    flush_interceptor: Option<ExtensionRef>,
    /// Requests of a batch in flight at once (at least 1), on the flusher's sender threads.
    #[config(default = 1)]
    concurrency: usize,
    /// `none` (default) or `gzip`.
    compression: String,
    /// What `init` set up.
    #[state]
    runtime: Option<Runtime>,
}

/// `Retry` of `flusher_http` (iLogtail's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Retry failed requests at all.
    pub enable: bool,
    /// Attempts after the first.
    pub max_retry_times: u32,
    /// The wait before the first retry.
    #[serde(with = "pipeplug::config::serde_duration")]
    pub initial_delay: Duration,
    /// The longest wait between two attempts.
    #[serde(with = "pipeplug::config::serde_duration")]
    pub max_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            enable: true,
            max_retry_times: 3,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// `Convert` of `flusher_http`: the body format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields, default)]
pub struct ConvertConfig {
    /// `custom_single`, `custom_single_flatten` or `influxdb`.
    pub protocol: String,
    /// `json` for the `custom_*` protocols, `custom` for `influxdb`; empty for the
    /// protocol's.
    pub encoding: String,
    /// Joins the objects of a group into one body (`custom_*`); empty: one body each.
    pub separator: String,
    /// Skip (and count) events the protocol cannot express rather than fail the batch.
    #[serde(rename = "IgnoreUnExpectedData")]
    pub ignore_unexpected_data: bool,
}

impl Default for ConvertConfig {
    fn default() -> Self {
        Self {
            protocol: "custom_single".to_owned(),
            encoding: String::new(),
            separator: String::new(),
            ignore_unexpected_data: true,
        }
    }
}

/// An extension named in a config (iLogtail's `ExtensionConfig`): `ext_basicauth`,
/// `ext_basicauth/id`, or `{Type: ext_basicauth, Options: {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ExtensionRef {
    /// A declared `type/id`, or a bare type (created with no options if not declared).
    Name(String),
    /// A type with the options to create it with when the pipeline does not declare it.
    Inline {
        /// `type` or `type/id`.
        #[serde(rename = "Type")]
        kind: String,
        /// Its config.
        #[serde(rename = "Options")]
        options: serde_json::Value,
    },
}

impl<'de> Deserialize<'de> for ExtensionRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        const EXPECTED: &str = "an extension: a name (`ext_basicauth`, `ext_basicauth/id`) \
                                or {Type: name, Options: {...}}";
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => {
                Ok(Self::Name(s.trim().to_owned()))
            }
            serde_json::Value::Object(map) => {
                let mut kind = None;
                let mut options = serde_json::Value::Null;
                for (k, v) in map {
                    match (k.to_ascii_lowercase().as_str(), v) {
                        ("type", serde_json::Value::String(s)) if !s.trim().is_empty() => {
                            kind = Some(s.trim().to_owned());
                        }
                        ("options", v) => options = v,
                        _ => {
                            return Err(D::Error::custom(format!("key `{k}`: expected {EXPECTED}")))
                        }
                    }
                }
                let kind = kind.ok_or_else(|| {
                    D::Error::custom(format!("`Type` is missing: expected {EXPECTED}"))
                })?;
                Ok(Self::Inline { kind, options })
            }
            other => Err(D::Error::custom(format!(
                "got {other}, expected {EXPECTED}"
            ))),
        }
    }
}

impl ExtensionRef {
    /// The extension's name as written.
    fn name(&self) -> &str {
        match self {
            Self::Name(n) | Self::Inline { kind: n, .. } => n,
        }
    }

    /// The extension as the capability `T`.
    fn resolve<T: ?Sized + Capability>(
        &self,
        ctx: &Context,
        key: &str,
    ) -> Result<Arc<T>, BoxError> {
        let found = match self {
            Self::Name(name) => ctx.capability::<T>(name),
            Self::Inline { kind, options } => ctx.get_extension(kind, options).and_then(|ext| {
                let caps = ext
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .capabilities();
                caps.get::<T>()
                    .ok_or_else(|| ExtensionError::MissingCapability {
                        name: kind.clone(),
                        capability: T::NAME,
                        provided: if caps.is_empty() {
                            "nothing".to_owned()
                        } else {
                            caps.names().join(", ")
                        },
                    })
            }),
        };
        found
            .map_err(|e| format!("flusher_http: key `{key}`: {}", pipeplug::error_chain(&e)).into())
    }
}

/// What `init` set up.
struct Runtime {
    /// `RemoteURL` with `Query`.
    url: String,
    /// `Headers`, `Content-Type` and `Content-Encoding`.
    headers: Vec<(String, String)>,
    converter: Converter,
    encoder: Option<Arc<dyn Encoder>>,
    flush_interceptor: Option<Arc<dyn FlushInterceptor>>,
    gzip: bool,
    pool: Pool,
    metrics: Metrics,
    urgent: Arc<AtomicBool>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("url", &self.url)
            .field("converter", &self.converter)
            .field("encoder", &self.encoder.is_some())
            .field("flush_interceptor", &self.flush_interceptor.is_some())
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

/// The values `Compression` accepts.
const COMPRESSIONS: &str = "none, gzip";

/// `RemoteURL` with `Query` appended.
fn full_url(remote: &str, query: &BTreeMap<String, String>) -> Result<String, BoxError> {
    let remote = remote.trim();
    if remote.is_empty() {
        return Err("flusher_http: key `RemoteURL` is empty: give the URL to send to".into());
    }
    let uri: ureq::http::Uri = remote.parse().map_err(|e| {
        format!("flusher_http: key `RemoteURL`: `{remote}` is not a valid URL: {e}")
    })?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some_and(|h| !h.is_empty()) => {}
        _ => {
            return Err(format!(
                "flusher_http: key `RemoteURL`: `{remote}` is not an http:// or https:// URL \
                 with a host"
            )
            .into())
        }
    }
    if query.is_empty() {
        return Ok(remote.to_owned());
    }
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let sep = if uri.query().is_some() { '&' } else { '?' };
    Ok(format!("{remote}{sep}{encoded}"))
}

fn check_headers(headers: &BTreeMap<String, String>) -> Result<(), BoxError> {
    for (k, v) in headers {
        ureq::http::HeaderName::from_bytes(k.as_bytes())
            .map_err(|e| format!("flusher_http: key `Headers`: `{k}` is not a header name: {e}"))?;
        ureq::http::HeaderValue::from_str(v).map_err(|e| {
            format!("flusher_http: key `Headers.{k}`: {v:?} is not a header value: {e}")
        })?;
    }
    Ok(())
}

impl FlusherHttp {
    fn converter(&self) -> Result<Converter, BoxError> {
        let c = &self.convert;
        let protocol = Protocol::parse(&c.protocol).ok_or_else(|| {
            format!(
                "flusher_http: key `Convert.Protocol`: protocol `{}` is not supported \
                 (supported: {PROTOCOLS})",
                c.protocol
            )
        })?;
        let encoding = c.encoding.trim().to_ascii_lowercase();
        if !encoding.is_empty() && !protocol.encodings().contains(&encoding.as_str()) {
            return Err(format!(
                "flusher_http: key `Convert.Encoding`: encoding `{}` is not supported with \
                 protocol `{}` (supported: {})",
                c.encoding,
                c.protocol.trim(),
                protocol.encodings().join(", ")
            )
            .into());
        }
        Ok(Converter {
            protocol,
            separator: c.separator.clone(),
            ignore_unexpected: c.ignore_unexpected_data,
        })
    }

    fn runtime(&self) -> Result<&Runtime, BoxError> {
        self.runtime
            .as_ref()
            .ok_or_else(|| "flusher_http: not initialised (init failed or did not run)".into())
    }
}

impl Flusher for FlusherHttp {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let url = full_url(&self.remote_url, &self.query)?;
        if self.concurrency == 0 {
            return Err("flusher_http: key `Concurrency` must be at least 1 (got 0)".into());
        }
        check_headers(&self.headers)?;
        let gzip = match self.compression.trim().to_ascii_lowercase().as_str() {
            "" | "none" => false,
            "gzip" => true,
            other => {
                return Err(format!(
                    "flusher_http: key `Compression`: `{other}` is not supported \
                     (supported: {COMPRESSIONS})"
                )
                .into())
            }
        };
        let converter = self.converter()?;
        if self.retry.initial_delay > self.retry.max_delay {
            return Err(format!(
                "flusher_http: key `Retry.InitialDelay` ({:?}) is above `Retry.MaxDelay` ({:?})",
                self.retry.initial_delay, self.retry.max_delay
            )
            .into());
        }
        let encoder = self
            .encoder
            .as_ref()
            .map(|r| r.resolve::<dyn Encoder>(ctx, "Encoder"))
            .transpose()?;
        let authenticator = self
            .authenticator
            .as_ref()
            .map(|r| Ok::<_, BoxError>((r.name().to_owned(), r.resolve(ctx, "Authenticator")?)))
            .transpose()?;
        let interceptors = self
            .request_interceptors
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Ok::<_, BoxError>((
                    r.name().to_owned(),
                    r.resolve(ctx, &format!("RequestInterceptors[{i}]"))?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let flush_interceptor = self
            .flush_interceptor
            .as_ref()
            .map(|r| r.resolve::<dyn FlushInterceptor>(ctx, "FlushInterceptor"))
            .transpose()?;

        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !self
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"))
        {
            let ct = if encoder.is_some() {
                "application/octet-stream"
            } else {
                converter.content_type()
            };
            headers.push(("Content-Type".to_owned(), ct.to_owned()));
        }
        if gzip {
            headers.push(("Content-Encoding".to_owned(), "gzip".to_owned()));
        }

        let metrics = Metrics::new(ctx);
        let urgent = Arc::new(AtomicBool::new(false));
        let sending = Arc::new(Sending {
            agent: send::agent(self.timeout, self.concurrency),
            retry: RetryPolicy {
                max_retries: if self.retry.enable {
                    self.retry.max_retry_times
                } else {
                    0
                },
                initial: self.retry.initial_delay,
                max: self.retry.max_delay,
            },
            authenticator,
            interceptors,
            metrics: metrics.clone(),
            urgent: Arc::clone(&urgent),
            ctx: ctx.clone(),
        });
        let pool = Pool::start(ctx, self.concurrency, sending)?;
        ctx.logger().info(format!(
            "flusher_http: sending to {url} ({} at a time)",
            self.concurrency
        ));
        self.runtime = Some(Runtime {
            url,
            headers,
            converter,
            encoder,
            flush_interceptor,
            gzip,
            pool,
            metrics,
            urgent,
        });
        Ok(())
    }

    fn set_urgent(&mut self, urgent: bool) {
        if let Some(rt) = &self.runtime {
            rt.urgent.store(urgent, Ordering::Relaxed);
        }
    }

    fn stop(&mut self) -> Result<(), BoxError> {
        match &mut self.runtime {
            Some(rt) => rt.pool.stop(),
            None => Ok(()),
        }
    }
}

/// A batch made into requests.
#[derive(Default)]
struct Batch {
    requests: Vec<HttpRequest>,
    events: u64,
}

impl Runtime {
    fn request(&self, body: Vec<u8>) -> Result<HttpRequest, BoxError> {
        let mut req = HttpRequest::new("POST", self.url.clone());
        req.headers.clone_from(&self.headers);
        req.body = if self.gzip {
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::default(),
            );
            enc.write_all(&body)
                .and_then(|()| enc.finish())
                .map_err(|e| format!("flusher_http: gzip: {e}"))?
        } else {
            body
        };
        Ok(req)
    }

    fn add(&self, batch: &mut Batch, bodies: Vec<Vec<u8>>) -> Result<(), BoxError> {
        for body in bodies {
            batch.requests.push(self.request(body)?);
        }
        Ok(())
    }

    /// Sends the batch and says how it went (see the type's docs for the errors).
    fn deliver(&self, batch: Batch) -> Result<(), BoxError> {
        let total = batch.requests.len();
        let failed: Vec<Failed> = self
            .pool
            .send_all(batch.requests)
            .into_iter()
            .filter_map(Result::err)
            .collect();
        let Some(first) = failed.first() else {
            self.metrics.events.add(batch.events);
            return Ok(());
        };
        let message = format!(
            "flusher_http: {} of {total} request(s) failed; first: {first}",
            failed.len()
        );
        if failed.iter().all(|f| f.error.permanent()) {
            Err(PermanentError::new(message).into())
        } else {
            Err(message.into())
        }
    }

    fn convert_error(e: impl std::fmt::Display) -> BoxError {
        PermanentError::new(format!("flusher_http: cannot convert the batch: {e}")).into()
    }
}

impl FlusherV1 for FlusherHttp {
    fn flush(
        &mut self,
        _project: &str,
        _logstore: &str,
        _config_name: &str,
        groups: &[LogGroup],
    ) -> Result<(), BoxError> {
        let rt = self.runtime()?;
        let mut batch = Batch::default();
        for group in groups {
            batch.events += group.logs.len() as u64;
            let bodies = match &rt.encoder {
                Some(enc) => enc
                    .encode_v1(group)
                    .map_err(|e| Runtime::convert_error(&*e))?,
                None => {
                    let c = rt.converter.v1(group).map_err(Runtime::convert_error)?;
                    rt.metrics.skipped.add(c.skipped as u64);
                    batch.events -= c.skipped as u64;
                    c.bodies
                }
            };
            rt.add(&mut batch, bodies)?;
        }
        rt.deliver(batch)
    }
}

impl FlusherV2 for FlusherHttp {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        let rt = self.runtime()?;
        let mut batch = Batch::default();
        for group in groups {
            let kept;
            let group = match &rt.flush_interceptor {
                Some(i) => match i.intercept(group.clone()) {
                    Some(g) => {
                        kept = g;
                        &kept
                    }
                    None => continue,
                },
                None => group,
            };
            batch.events += group.events.len() as u64;
            let bodies = match &rt.encoder {
                Some(enc) => enc
                    .encode_v2(group)
                    .map_err(|e| Runtime::convert_error(&*e))?,
                None => {
                    let c = rt.converter.v2(group).map_err(Runtime::convert_error)?;
                    rt.metrics.skipped.add(c.skipped as u64);
                    batch.events -= c.skipped as u64;
                    c.bodies
                }
            };
            rt.add(&mut batch, bodies)?;
        }
        rt.deliver(batch)
    }
}
