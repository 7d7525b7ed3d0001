//! `service_http_server`: receives data over HTTP (iLogtail's `service_http_server`).

mod address;
mod server;

use crate::ext_default_decoder::ExtDefaultDecoder;
use address::Bind;
use pipeplug::models::{KeyValues, Str};
use pipeplug::prelude::*;
use server::{Settings, Sink, DRAIN_LIMIT};
use std::net::SocketAddr;
use std::path::PathBuf;

/// HTTP service input: a server that decodes each request's body in `Format` and hands
/// the events on (iLogtail's `service_http_server`).
///
/// # Listening
///
/// `Address` is `http://host:port` (also `tcp://host:port` or a bare `host:port`; port 0
/// picks a free port, see [`local_addr`](Self::local_addr)) or `unix:///path/to.sock`.
/// HTTPS is not supported. A path after the host, followed by `Endpoint`, is the one path
/// served (others get 404); with neither, every path is served, as in iLogtail. With
/// `UnlinkUnixSock` (the default) a socket file already at the Unix path is removed before
/// listening (any other kind of file is an error, not removed); the socket file is
/// removed at stop. The address is bound in `start`, whose error says why it could not be.
///
/// # Requests
///
/// `POST` or `PUT` (others get 405 with `Allow`). The body is read up to `MaxBodySize`
/// bytes (a declared `Content-Length` over it is refused before reading): over it, 413.
/// `Content-Encoding: gzip` bodies are uncompressed unless `DisableUncompress` (the
/// uncompressed size is bounded by `MaxBodySize` too; a corrupt one gets 400; another
/// encoding, 415). A body whose reading takes longer than `ReadTimeoutSec` gets 408.
/// Formats that read text (all but `raw`) refuse a body that is not UTF-8 with 400, and a
/// body the decoder refuses (malformed line protocol or JSON) with 400 and the decoder's
/// message, which names the line. A request whose events were handed on gets 204. Every
/// error answer has a JSON body `{"error": "..."}`.
///
/// `Format` is decoded as [`ext_default_decoder`](crate::ExtDefaultDecoder)'s `Format`:
/// `raw`, `influx`/`influxdb` (the query's `db` and `precision` apply) or `json` (JSON
/// lines: pipeplug events, iLogtail's `custom_single` and `custom_single_flatten` lines, or
/// plain JSON objects; see that page), with `FieldsExtend` as there.
///
/// V2 only, as in iLogtail: the request's `QueryParams` and `HeaderParams` values (absent
/// or empty ones skipped) become group metadata, their keys prefixed with
/// `QueryParamPrefix` / `HeaderParamPrefix`; `Tags` (with `cluster` set to `Cluster` when
/// given) are added to each group's tags with `TagsInGroup` (the default), else to each
/// event's tags. V1 logs get neither.
///
/// # Back-pressure and bounds
///
/// At most `MaxInFlight` requests are handled at once, each on a thread of its own; a
/// request is held (not answered) while the pipeline's input queue is full, so a slow
/// pipeline slows its clients down. A request arriving while `MaxInFlight` are being
/// handled gets 503 with `Retry-After: 1` at once. Memory is so bounded by about
/// `MaxInFlight` × (`MaxBodySize`, twice for a gzip body, + its decoded events).
///
/// tiny_http gives no access to a connection's socket, so `ReadTimeoutSec` is checked
/// between reads of the body: a client that sends part of a body and then nothing holds
/// its request thread until it closes the connection. When a request is answered without
/// its body read (404, 405, 413, 503), tiny_http reads and discards the rest of a declared
/// body after the answer, into a buffer of the remaining length (memory the allocator may
/// keep for reuse per thread); a body declared larger than 1 GiB is answered and its
/// connection abandoned (counted) instead, as discarding it would allocate its whole
/// length.
///
/// Should tiny_http stop accepting connections (out of file descriptors), the address is
/// bound again, once a second until it works; a closed listener is noticed within 2 s.
///
/// # Self-metrics
///
/// `http_server_requests`, `http_server_accepted_requests`, `http_server_events`,
/// `http_server_bytes`, the gauge `http_server_in_flight`,
/// `http_server_abandoned_connections`, and [`REJECTED_METRIC`](Self::REJECTED_METRIC)
/// (`http_server_rejected_requests`) with a label `reason`: `not_found`,
/// `method_not_allowed`, `too_large`, `read_timeout`, `read_error`, `bad_gzip`,
/// `unsupported_encoding`, `invalid_utf8`, `decode_error`, `busy`, `stopping`, `panic`.
/// Each rejection is logged as a warning, at most once per 10 s per reason (with the count
/// of those not logged).
///
/// # Stop
///
/// `stop` stops accepting (the requests tiny_http accepted but not yet handed over get 503),
/// closes the listener, lets the requests being handled finish for at most
/// `ShutdownTimeoutSec`, joins the threads (warning about any still busy then, which are
/// left behind) and removes the Unix socket file.
///
/// # Differences from iLogtail
///
/// `DumpData`, `DumpDataKeepFiles` and the formats other than those of
/// `ext_default_decoder` are not supported (unknown keys; `init` fails naming the formats);
/// `MaxInFlight` is new; only the served path is answered when the address has one (Go
/// serves every path); methods other than POST and PUT get 405.
#[service_input(
    name = "service_http_server",
    rename_all = "PascalCase",
    example = "Format: json\nAddress: http://127.0.0.1:18689"
)]
#[derive(Debug)]
pub struct ServiceHttpServer {
    /// The body format: `raw`, `influx`/`influxdb` or `json`.
    #[config(required)]
    format: String,
    /// Where to listen: `http://host:port[/path]` or `unix:///path/to.sock`.
    #[config(required)]
    address: String,
    /// A path appended to the address's: the one path served.
    endpoint: String,
    /// The longest the body of a request may take to arrive, in seconds.
    #[config(default = 10)]
    read_timeout_sec: u64,
    /// The longest `stop` waits for the requests being handled, in seconds.
    #[config(default = 5)]
    shutdown_timeout_sec: u64,
    /// The largest body, in bytes, before and after gzip (at most 1 GiB).
    #[config(default = 67_108_864)]
    max_body_size: u64,
    /// Remove a socket file already at the Unix socket path before listening.
    #[config(default = true)]
    unlink_unix_sock: bool,
    /// `influxdb`, V1: keep string fields and add type, field and database (as
    /// `ext_default_decoder`).
    fields_extend: bool,
    /// Pass gzip bodies to the decoder as they are.
    disable_uncompress: bool,
    /// V2: query parameters copied into group metadata.
    query_params: Vec<String>,
    /// V2: the prefix of the metadata keys from `QueryParams`.
    query_param_prefix: String,
    /// V2: headers copied into group metadata.
    header_params: Vec<String>,
    /// V2: the prefix of the metadata keys from `HeaderParams`.
    header_param_prefix: String,
    /// V2: tags added to every group (or event, see `TagsInGroup`).
    tags: KeyValues<Str>,
    /// V2: add `Tags` to group tags (true) or to each event's tags (false).
    #[config(default = true)]
    tags_in_group: bool,
    /// V2: when set, the tag `cluster` with this value is added to `Tags`.
    cluster: String,
    /// The most requests handled at once; more get 503 (not in iLogtail).
    #[config(default = 16)]
    max_in_flight: usize,
    /// The context from `init`.
    #[state]
    ctx: Context,
    /// The decoder and settings, read by `init`.
    #[state]
    prepared: Option<(ExtDefaultDecoder, Settings)>,
    /// The address bound by `start` (TCP).
    #[state]
    local_addr: Option<SocketAddr>,
    /// The dispatcher thread; `stop` stops and joins it.
    #[state]
    worker: Worker,
}

impl ServiceHttpServer {
    /// The self-metric counting rejected requests, with a label `reason`.
    pub const REJECTED_METRIC: &'static str = server::REJECTED_METRIC;

    /// The TCP address the server listens on once started (the real port when `Address`
    /// asked for port 0); `None` before `start` and for a Unix socket.
    #[must_use]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    fn settings(&self) -> Result<Settings, String> {
        let listen = address::parse(&self.address, &self.endpoint)?;
        let max_body = usize::try_from(self.max_body_size)
            .ok()
            .filter(|m| *m > 0 && *m <= DRAIN_LIMIT)
            .ok_or_else(|| {
                format!(
                    "`MaxBodySize` {} must be between 1 and {DRAIN_LIMIT} (1 GiB)",
                    self.max_body_size
                )
            })?;
        if self.max_in_flight == 0 || self.max_in_flight > 4096 {
            return Err(format!(
                "`MaxInFlight` {} must be between 1 and 4096",
                self.max_in_flight
            ));
        }
        if self.read_timeout_sec == 0 {
            return Err("`ReadTimeoutSec` must be at least 1".to_owned());
        }
        let mut tags = self.tags.clone();
        if !self.cluster.is_empty() {
            tags.add("cluster", self.cluster.as_str());
        }
        Ok(Settings {
            listen,
            unlink_unix_sock: self.unlink_unix_sock,
            max_body,
            read_timeout: Duration::from_secs(self.read_timeout_sec),
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_sec),
            max_in_flight: self.max_in_flight,
            disable_uncompress: self.disable_uncompress,
            query_params: self.query_params.clone(),
            query_param_prefix: self.query_param_prefix.clone(),
            header_params: self.header_params.clone(),
            header_param_prefix: self.header_param_prefix.clone(),
            tags,
            tags_in_group: self.tags_in_group,
        })
    }

    fn start_with(&mut self, sink: Sink) -> Result<(), BoxError> {
        if self.worker.is_running() {
            return Err("service_http_server: already started".into());
        }
        let Some((decoder, mut settings)) = self.prepared.clone() else {
            return Err("service_http_server: `start` before `init`".into());
        };
        let bound = server::bind(&settings.listen, settings.unlink_unix_sock)
            .map_err(|e| format!("service_http_server: key `Address`: {e}"))?;
        self.local_addr = bound.local_addr;
        if let Some(addr) = bound.local_addr {
            // Bound again after a failure, the server keeps its port (even one picked for
            // port 0).
            settings.listen.bind = Bind::Tcp(addr.to_string());
        }
        let shown = match (&settings.listen.bind, bound.local_addr) {
            (_, Some(addr)) => format!("http://{addr}"),
            (Bind::Unix(path), None) => format!("unix://{}", path.display()),
            (Bind::Tcp(hp), None) => format!("http://{hp}"),
        };
        self.ctx.logger().info(format!(
            "service_http_server: listening on {shown}{} (format {})",
            settings.listen.path.as_deref().unwrap_or(""),
            self.format.trim()
        ));
        let ctx = self.ctx.clone();
        self.worker
            .spawn(&self.ctx, "http_server", move |stop| {
                server::run(settings, decoder, sink, ctx, bound, stop);
            })
            .map_err(|e| format!("service_http_server: cannot start its thread: {e}"))?;
        Ok(())
    }

    /// The Unix socket path, if the address is one.
    fn unix_path(&self) -> Option<PathBuf> {
        match &self.prepared.as_ref()?.1.listen.bind {
            Bind::Unix(path) => Some(path.clone()),
            Bind::Tcp(_) => None,
        }
    }
}

impl ServiceInput for ServiceHttpServer {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        let decoder =
            ExtDefaultDecoder::for_input(&self.format, self.fields_extend, ctx.clock().clone())
                .map_err(|e| format!("service_http_server: key `Format`: {e}"))?;
        let settings = self
            .settings()
            .map_err(|e| format!("service_http_server: {e}"))?;
        self.prepared = Some((decoder, settings));
        Ok(DEFAULT_INTERVAL)
    }

    fn stop(&mut self) -> Result<(), BoxError> {
        let was_running = self.worker.is_running();
        let result = self.worker.stop();
        if was_running {
            // tiny_http removes the socket file when the server is dropped; this covers a
            // server that could not be bound again after a failure.
            if let Some(path) = self.unix_path() {
                let _ = std::fs::remove_file(path);
            }
        }
        result
    }
}

impl ServiceInputV1 for ServiceHttpServer {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        self.start_with(Sink::V1(collector))
    }
}

impl ServiceInputV2 for ServiceHttpServer {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        self.start_with(Sink::V2(ctx.collector().clone()))
    }
}
