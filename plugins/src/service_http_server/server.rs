//! The HTTP side: binding, the dispatcher thread, the request workers, and how each
//! request is read, uncompressed, decoded, handed on and answered.

use super::address::{Bind, Listen};
use crate::ext_default_decoder::ExtDefaultDecoder;
use flate2::read::MultiGzDecoder;
use pipeplug::capability::{Decoder, HttpRequest};
use pipeplug::models::Tags;
use pipeplug::{Clock, Collector, Context, Counter, Gauge, PipelineCollector, StopSignal};
use std::collections::HashMap;
use std::io::{ErrorKind, Read};
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tiny_http::{Header, Method, Request, Response, StatusCode};

/// The largest body length tiny_http may be left to read and discard: when a request is
/// answered without its body read, tiny_http reads the rest of a declared body (a
/// `Content-Length`) to throw it away, allocating the remaining length at once. A length
/// this large could not be allocated, so such a connection is answered and then abandoned
/// instead (see [`respond`]). `MaxBodySize` may not exceed it.
pub(super) const DRAIN_LIMIT: usize = 1 << 30;
/// How often the dispatcher looks at the stop signal while no request comes.
const POLL: Duration = Duration::from_millis(50);
/// The `Retry-After` (seconds) of a 503 answered while the input is busy.
const RETRY_AFTER_SECS: u32 = 1;
/// The least time between two log lines of the same reason.
const LOG_EVERY: Duration = Duration::from_secs(10);
/// The read buffer of a body.
const CHUNK: usize = 64 * 1024;

/// Where decoded events go.
#[derive(Clone)]
pub(super) enum Sink {
    /// A V1 pipeline: logs, one by one.
    V1(Collector),
    /// A V2 pipeline: the decoder's groups.
    V2(PipelineCollector),
}

/// The options of a running server, read from the plugin's config.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) listen: Listen,
    pub(super) unlink_unix_sock: bool,
    pub(super) max_body: usize,
    pub(super) read_timeout: Duration,
    pub(super) shutdown_timeout: Duration,
    pub(super) max_in_flight: usize,
    pub(super) disable_uncompress: bool,
    pub(super) query_params: Vec<String>,
    pub(super) query_param_prefix: String,
    pub(super) header_params: Vec<String>,
    pub(super) header_param_prefix: String,
    pub(super) tags: Tags,
    pub(super) tags_in_group: bool,
}

/// The plugin's self-metrics (all with the prefix `http_server_`).
struct Metrics {
    /// Requests received.
    requests: Counter,
    /// Requests answered 204 (their events handed on).
    accepted: Counter,
    /// Events (V1: logs) handed on.
    events: Counter,
    /// Body bytes accepted (after gzip).
    bytes: Counter,
    /// Requests being handled (held while the pipeline's queue is full).
    in_flight: Gauge,
    /// Connections answered and then abandoned (see [`DRAIN_LIMIT`]).
    abandoned: Counter,
    /// The rejected requests by reason: `http_server_rejected_requests{reason=...}`.
    ctx: Context,
}

impl Metrics {
    fn new(ctx: &Context) -> Self {
        Self {
            requests: ctx.counter("http_server_requests"),
            accepted: ctx.counter("http_server_accepted_requests"),
            events: ctx.counter("http_server_events"),
            bytes: ctx.counter("http_server_bytes"),
            in_flight: ctx.gauge("http_server_in_flight"),
            abandoned: ctx.counter("http_server_abandoned_connections"),
            ctx: ctx.clone(),
        }
    }

    fn rejected(&self, reason: &str) {
        self.ctx
            .counter_with_labels(REJECTED_METRIC, &[("reason", reason)])
            .add(1);
    }
}

/// The counter of rejected requests; its label `reason` says why (see [`Rejection`]).
pub(super) const REJECTED_METRIC: &str = "http_server_rejected_requests";

/// Warnings at most once per [`LOG_EVERY`] per reason, with the count of those skipped.
#[derive(Default)]
struct LogLimiter {
    last: Mutex<HashMap<&'static str, (Instant, u64)>>,
}

impl LogLimiter {
    fn warn(&self, ctx: &Context, reason: &'static str, message: impl FnOnce() -> String) {
        let now = Instant::now();
        let mut last = lock(&self.last);
        let skipped = match last.get_mut(reason) {
            Some((at, skipped)) if now.duration_since(*at) < LOG_EVERY => {
                *skipped += 1;
                return;
            }
            Some((at, skipped)) => {
                *at = now;
                std::mem::take(skipped)
            }
            None => {
                last.insert(reason, (now, 0));
                0
            }
        };
        drop(last);
        let mut line = format!("service_http_server: {}", message());
        if skipped > 0 {
            line.push_str(&format!(
                " ({skipped} more `{reason}` in the last {}s not logged)",
                LOG_EVERY.as_secs()
            ));
        }
        ctx.logger().warn(line);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the dispatcher and the workers share.
struct Shared {
    settings: Settings,
    decoder: ExtDefaultDecoder,
    sink: Sink,
    ctx: Context,
    metrics: Metrics,
    limiter: LogLimiter,
    in_flight: AtomicUsize,
    /// Threads answering rejected requests for the dispatcher ([`reject_aside`]).
    rejecting: AtomicUsize,
}

/// A request answered with an error: the status, the reason (the label of
/// [`REJECTED_METRIC`]), the message (the JSON body's `error` and the log line) and whether
/// the body was left unread.
#[derive(Debug)]
struct Rejection {
    status: u16,
    reason: &'static str,
    message: String,
    unread: bool,
}

impl Rejection {
    fn new(status: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            reason,
            message: message.into(),
            unread: false,
        }
    }

    fn unread(mut self) -> Self {
        self.unread = true;
        self
    }
}

/// A bound listener, and the address it is bound to (the real port for port 0).
pub(super) struct Bound {
    pub(super) server: tiny_http::Server,
    pub(super) local_addr: Option<SocketAddr>,
}

/// Binds the address. For a Unix socket with `UnlinkUnixSock`, a socket file already at
/// the path is removed first (any other kind of file is left and is an error).
pub(super) fn bind(listen: &Listen, unlink: bool) -> Result<Bound, String> {
    match &listen.bind {
        Bind::Tcp(host_port) => {
            let listener = tcp_listener(host_port)
                .map_err(|e| format!("cannot listen on `{host_port}`: {e}"))?;
            let local_addr = listener.local_addr().ok();
            let server = tiny_http::Server::from_listener(listener, None)
                .map_err(|e| format!("cannot serve on `{host_port}`: {e}"))?;
            Ok(Bound { server, local_addr })
        }
        Bind::Unix(path) => {
            if unlink {
                use std::os::unix::fs::FileTypeExt;
                match std::fs::symlink_metadata(path) {
                    Ok(meta) if meta.file_type().is_socket() => {
                        std::fs::remove_file(path).map_err(|e| {
                            format!("cannot remove the old socket `{}`: {e}", path.display())
                        })?;
                    }
                    Ok(_) => {
                        return Err(format!(
                            "`{}` exists and is not a socket (not removed)",
                            path.display()
                        ))
                    }
                    Err(_) => {}
                }
            }
            let listener = unix_listener(path)
                .map_err(|e| format!("cannot listen on `unix://{}`: {e}", path.display()))?;
            let server = tiny_http::Server::from_listener(listener, None)
                .map_err(|e| format!("cannot serve on `unix://{}`: {e}", path.display()))?;
            Ok(Bound {
                server,
                local_addr: None,
            })
        }
    }
}

/// The listen backlog: connections the kernel completes before they are accepted. std's
/// 128 makes a burst of connections (a thousand clients at once) see resets.
const BACKLOG: i32 = 1024;

/// A TCP listener on the first address `host_port` resolves to that can be bound.
fn tcp_listener(host_port: &str) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    use std::net::ToSocketAddrs;
    let mut last = None;
    for addr in host_port.to_socket_addrs()? {
        let bound = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .and_then(|s| {
                s.set_reuse_address(true)?;
                s.bind(&addr.into())?;
                s.listen(BACKLOG)?;
                Ok(s)
            });
        match bound {
            Ok(s) => return Ok(s.into()),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(ErrorKind::InvalidInput, "the address resolves to nothing")
    }))
}

/// A Unix socket listener at `path`.
fn unix_listener(path: &std::path::Path) -> std::io::Result<std::os::unix::net::UnixListener> {
    use socket2::{Domain, SockAddr, Socket, Type};
    let s = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    s.bind(&SockAddr::unix(path)?)?;
    s.listen(BACKLOG)?;
    Ok(std::os::fd::OwnedFd::from(s).into())
}

/// Runs the server until `stop` fires: the body of the dispatcher thread.
///
/// The dispatcher takes each request from tiny_http and hands it to one of
/// `MaxInFlight` worker threads; when all are busy (typically held by a full pipeline
/// queue) it answers 503 with `Retry-After` at once. At stop it answers 503 to the
/// requests already accepted by tiny_http but not yet taken, closes the listener (tiny_http
/// removes a Unix socket file), lets the workers finish the requests they have (for at
/// most `ShutdownTimeoutSec`), and joins them; those still busy then are left behind,
/// with a warning.
pub(super) fn run(
    settings: Settings,
    decoder: ExtDefaultDecoder,
    sink: Sink,
    ctx: Context,
    bound: Bound,
    stop: StopSignal,
) {
    // This thread waits on sockets, not on the pipeline's clock.
    Clock::detach_current_thread();
    let shared = Arc::new(Shared {
        metrics: Metrics::new(&ctx),
        settings,
        decoder,
        sink,
        ctx,
        limiter: LogLimiter::default(),
        in_flight: AtomicUsize::new(0),
        rejecting: AtomicUsize::new(0),
    });
    let (tx, rx) = mpsc::channel::<Request>();
    let rx = Arc::new(Mutex::new(rx));
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for i in 0..shared.settings.max_in_flight {
        let (mine, rx) = (Arc::clone(&shared), Arc::clone(&rx));
        match std::thread::Builder::new()
            .name(format!("http_server_{i}"))
            .spawn(move || work(&mine, &rx))
        {
            Ok(handle) => workers.push(handle),
            Err(e) => shared.ctx.logger().error(format!(
                "service_http_server: cannot start a request thread: {e}"
            )),
        }
    }
    let mut server = Some(bound.server);
    let mut last_probe = Instant::now();
    while !stop.is_signalled() {
        let Some(srv) = &server else {
            // The listener failed: bind it again, once a second, until stopped.
            match bind(&shared.settings.listen, shared.settings.unlink_unix_sock) {
                Ok(b) => {
                    shared
                        .ctx
                        .logger()
                        .info("service_http_server: listening again");
                    server = Some(b.server);
                }
                Err(e) => {
                    shared.limiter.warn(&shared.ctx, "rebind", || e);
                    let _ = stop.wait_timeout(Duration::from_secs(1));
                }
            }
            continue;
        };
        match srv.recv_timeout(POLL) {
            Ok(Some(rq)) => admit(&shared, rq, &tx),
            Ok(None) => {}
            Err(e) => {
                // tiny_http's accept thread ended (say, out of file descriptors); it cannot
                // be restarted: the server is bound again.
                shared.ctx.logger().error(format!(
                    "service_http_server: accepting connections failed ({e}); listening again"
                ));
                server = None;
                continue;
            }
        }
        if last_probe.elapsed() >= PROBE_EVERY {
            last_probe = Instant::now();
            if listener_is_gone(&shared.settings.listen) {
                // tiny_http's accept thread can also die without a word (a panic when out
                // of file descriptors), closing the listener: a connection is refused.
                shared.ctx.logger().error(
                    "service_http_server: accepting connections failed (the listener is \
                     closed); listening again",
                );
                server = None;
            }
        }
    }
    if let Some(srv) = server.take() {
        while let Ok(Some(rq)) = srv.try_recv() {
            shared.metrics.requests.add(1);
            reject_aside(&shared, rq, stopping());
        }
        drop(srv);
    }
    drop(tx);
    let deadline = Instant::now() + shared.settings.shutdown_timeout;
    while (workers.iter().any(|w| !w.is_finished()) || shared.rejecting.load(Ordering::SeqCst) > 0)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let (done, busy): (Vec<_>, Vec<_>) = workers.into_iter().partition(JoinHandle::is_finished);
    for w in done {
        let _ = w.join();
    }
    if !busy.is_empty() {
        shared.ctx.logger().warn(format!(
            "service_http_server: {} request(s) still being handled after ShutdownTimeoutSec \
             ({}s); their threads are left behind",
            busy.len(),
            shared.settings.shutdown_timeout.as_secs()
        ));
    }
}

/// How often the dispatcher checks that the listener still accepts connections.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// Whether connecting to the listener is refused (nobody listens any more). Any other
/// outcome, a timeout included, counts as listening.
fn listener_is_gone(listen: &Listen) -> bool {
    let refused =
        |e: std::io::Error| matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::NotFound);
    match &listen.bind {
        Bind::Tcp(host_port) => {
            let Ok(addr) = host_port.parse::<SocketAddr>() else {
                return false;
            };
            // A listener on every interface answers on loopback.
            let addr = match addr.ip() {
                std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
                    SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, addr.port()))
                }
                std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
                    SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
                }
                _ => addr,
            };
            std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .err()
                .is_some_and(refused)
        }
        Bind::Unix(path) => std::os::unix::net::UnixStream::connect(path)
            .err()
            .is_some_and(refused),
    }
}

fn stopping() -> Rejection {
    Rejection::new(503, "stopping", "the input is stopping").unread()
}

/// Hands `rq` to a worker, or answers 503 when `MaxInFlight` requests are being handled.
fn admit(shared: &Arc<Shared>, rq: Request, tx: &mpsc::Sender<Request>) {
    shared.metrics.requests.add(1);
    let max = shared.settings.max_in_flight;
    let taken = shared
        .in_flight
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < max).then_some(n + 1)
        });
    if taken.is_err() {
        let busy = Rejection::new(
            503,
            "busy",
            format!(
                "{max} requests are being handled (MaxInFlight); retry after \
                 {RETRY_AFTER_SECS}s"
            ),
        )
        .unread();
        reject_aside(shared, rq, busy);
        return;
    }
    set_gauge(shared);
    if let Err(mpsc::SendError(rq)) = tx.send(rq) {
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        set_gauge(shared);
        reject_aside(shared, rq, stopping());
    }
}

/// The largest body tiny_http reads with the request (without `Expect: 100-continue`):
/// answering a request whose body is no larger never waits for the client.
const PRE_READ: usize = 1024;

/// Rejects `rq` for the dispatcher without letting a client stall it: a request whose
/// unread body tiny_http would read to discard it (a declared length over [`PRE_READ`], or
/// `Expect: 100-continue`) is answered on a thread of its own, at most `MaxInFlight` such
/// threads at once (beyond, the dispatcher answers and waits).
fn reject_aside(shared: &Arc<Shared>, rq: Request, r: Rejection) {
    let may_wait = rq.body_length().is_some_and(|l| l > PRE_READ)
        || rq.headers().iter().any(|h| h.field.equiv("Expect"));
    let max = shared.settings.max_in_flight;
    let aside = may_wait
        && shared
            .rejecting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok();
    if !aside {
        reject(shared, rq, r);
        return;
    }
    let mine = Arc::clone(shared);
    let spawned = std::thread::Builder::new()
        .name("http_server_reject".to_owned())
        .spawn(move || {
            reject(&mine, rq, r);
            mine.rejecting.fetch_sub(1, Ordering::SeqCst);
        });
    if let Err(e) = spawned {
        // The request went with the closure: tiny_http answers it 500.
        shared.rejecting.fetch_sub(1, Ordering::SeqCst);
        shared.ctx.logger().error(format!(
            "service_http_server: cannot start a thread to answer a request: {e}"
        ));
    }
}

#[allow(clippy::cast_precision_loss)] // a count of requests
fn set_gauge(shared: &Shared) {
    shared
        .metrics
        .in_flight
        .set(shared.in_flight.load(Ordering::SeqCst) as f64);
}

/// A worker: handles requests until the dispatcher closes the channel.
fn work(shared: &Shared, rx: &Mutex<mpsc::Receiver<Request>>) {
    loop {
        let next = lock(rx).recv();
        let Ok(rq) = next else { return };
        // A panic (a bug) loses this request (tiny_http answers 500), not the thread.
        if catch_unwind(AssertUnwindSafe(|| handle(shared, rq))).is_err() {
            shared.metrics.rejected("panic");
            shared.limiter.warn(&shared.ctx, "panic", || {
                "handling a request panicked".to_owned()
            });
        }
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        set_gauge(shared);
    }
}

fn handle(shared: &Shared, mut rq: Request) {
    match process(shared, &mut rq) {
        Ok(()) => {
            shared.metrics.accepted.add(1);
            respond(shared, rq, Response::empty(204).boxed(), false);
        }
        Err(rejection) => reject(shared, rq, rejection),
    }
}

/// Answers `rq` with the rejection's status and `{"error": message}`, counts and logs it.
fn reject(shared: &Shared, rq: Request, r: Rejection) {
    shared.metrics.rejected(r.reason);
    let what = format!("{} {}", rq.method(), rq.url());
    shared.limiter.warn(&shared.ctx, r.reason, || {
        format!("{what}: {} {} ({})", r.status, r.message, r.reason)
    });
    let body = serde_json::json!({ "error": r.message }).to_string();
    let mut response = Response::from_string(body).with_status_code(StatusCode(r.status));
    let extra = match r.status {
        405 => header("Allow", "POST, PUT"),
        503 => header("Retry-After", &RETRY_AFTER_SECS.to_string()),
        _ => None,
    };
    for h in [header("Content-Type", "application/json"), extra]
        .into_iter()
        .flatten()
    {
        response.add_header(h);
    }
    respond(shared, rq, response.boxed(), r.unread);
}

/// A response header; `None` (and the header left out) only if `value` were not valid
/// header text, which the values used here always are.
fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

/// Writes `response`. When the body was left unread and its declared length is over
/// [`DRAIN_LIMIT`], the connection is answered and then abandoned: tiny_http would read
/// and discard the rest by allocating its whole length, which could abort the process.
/// Such a connection is counted (`http_server_abandoned_connections`) and logged; tiny_http
/// writes that answer without a `Content-Length` (as a protocol switch), so a client reads
/// its status and headers; the connection stays open on this side until the process ends.
///
/// A smaller unread body is discarded by tiny_http after the answer is written (so that a
/// client waiting for the answer is not held), reading it into a buffer of the remaining
/// length, which the allocator may keep per thread for reuse (measured: RSS +78 MiB after
/// 80 bodies of 8 MiB refused with the default 16 request threads).
fn respond(shared: &Shared, rq: Request, response: tiny_http::ResponseBox, unread: bool) {
    let declared = rq.body_length().unwrap_or(0);
    if unread && declared > DRAIN_LIMIT {
        shared.metrics.abandoned.add(1);
        shared.limiter.warn(&shared.ctx, "abandoned", || {
            format!(
                "a request declared a {declared}-byte body; answered and the connection \
                 abandoned (not read again)"
            )
        });
        let stream = rq.upgrade("close", response);
        std::mem::forget(stream);
        return;
    }
    // The client may be gone: nothing to do about it.
    let _ = rq.respond(response);
}

/// Checks, reads, uncompresses, decodes and hands on one request.
fn process(shared: &Shared, rq: &mut Request) -> Result<(), Rejection> {
    let s = &shared.settings;
    let url = rq.url().to_owned();
    let path = url.split(['?', '#']).next().unwrap_or_default();
    if let Some(served) = &s.listen.path {
        if path != served {
            return Err(Rejection::new(
                404,
                "not_found",
                format!("no such path `{path}` (this input serves `{served}`)"),
            )
            .unread());
        }
    }
    if !matches!(rq.method(), Method::Post | Method::Put) {
        return Err(Rejection::new(
            405,
            "method_not_allowed",
            format!("method {} is not allowed (use POST or PUT)", rq.method()),
        )
        .unread());
    }
    let body = read_body(s, rq)?;
    let body = uncompress(s, rq, body)?;
    if shared.decoder.needs_text() {
        if let Err(e) = std::str::from_utf8(&body) {
            return Err(Rejection::new(
                400,
                "invalid_utf8",
                format!(
                    "the body is not UTF-8 text (invalid bytes at offset {})",
                    e.valid_up_to()
                ),
            ));
        }
    }
    let http = HttpRequest {
        method: rq.method().to_string(),
        url: url.clone(),
        headers: rq
            .headers()
            .iter()
            .map(|h| (h.field.to_string(), h.value.to_string()))
            .collect(),
        body: Vec::new(),
    };
    let decode_error = |e: pipeplug::BoxError| Rejection::new(400, "decode_error", e.to_string());
    let events = match &shared.sink {
        Sink::V1(collector) => {
            let logs = shared
                .decoder
                .decode_v1(&body, Some(&http))
                .map_err(decode_error)?;
            let n = logs.len();
            for log in logs {
                // Blocks while the pipeline's queue is full: the request is held.
                collector.add_raw_log(log);
            }
            n
        }
        Sink::V2(collector) => {
            let mut groups = shared
                .decoder
                .decode_v2(&body, Some(&http))
                .map_err(decode_error)?;
            let params = request_params(s, &http);
            let mut n = 0;
            for g in &mut groups {
                for (k, v) in &params {
                    g.group.metadata.add(k.as_str(), v.as_str());
                }
                if s.tags_in_group {
                    g.group.tags.merge(&s.tags);
                } else {
                    for e in &mut g.events {
                        if let Some(tags) = e.tags_mut() {
                            tags.merge(&s.tags);
                        }
                    }
                }
                n += g.events.len();
            }
            // Blocks while the pipeline's queue is full: the request is held.
            collector.collect_list(groups);
            n
        }
    };
    shared.metrics.events.add(events as u64);
    shared.metrics.bytes.add(body.len() as u64);
    Ok(())
}

/// The `QueryParams` and `HeaderParams` of the request, with their prefixes (V2 group
/// metadata); absent or empty values are skipped, as Go's.
fn request_params(s: &Settings, http: &HttpRequest) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in &s.query_params {
        if let Some(v) = http.query_param(key).filter(|v| !v.is_empty()) {
            out.push((format!("{}{key}", s.query_param_prefix), v));
        }
    }
    for key in &s.header_params {
        if let Some(v) = http.header(key).filter(|v| !v.is_empty()) {
            out.push((format!("{}{key}", s.header_param_prefix), v.to_owned()));
        }
    }
    out
}

/// The body, at most `MaxBodySize` bytes, within `ReadTimeoutSec`.
fn read_body(s: &Settings, rq: &mut Request) -> Result<Vec<u8>, Rejection> {
    let max = s.max_body;
    let too_large = || {
        Rejection::new(
            413,
            "too_large",
            format!("the body is over MaxBodySize ({max} bytes)"),
        )
        .unread()
    };
    if rq.body_length().is_some_and(|len| len > max) {
        return Err(too_large());
    }
    let deadline = Instant::now() + s.read_timeout;
    let mut body = Vec::with_capacity(rq.body_length().unwrap_or(0).min(CHUNK * 16));
    let mut chunk = vec![0u8; CHUNK];
    let reader = rq.as_reader();
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => {
                if body.len() + n > max {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Rejection::new(
                    400,
                    "read_error",
                    format!("cannot read the body: {e}"),
                ))
            }
        }
        if Instant::now() > deadline {
            return Err(Rejection::new(
                408,
                "read_timeout",
                format!(
                    "the body took longer than ReadTimeoutSec ({}s) to arrive",
                    s.read_timeout.as_secs()
                ),
            )
            .unread());
        }
    }
}

/// The body uncompressed as its `Content-Encoding` says (gzip), unless
/// `DisableUncompress`; the result is bounded by `MaxBodySize` too.
fn uncompress(s: &Settings, rq: &Request, body: Vec<u8>) -> Result<Vec<u8>, Rejection> {
    if s.disable_uncompress {
        return Ok(body);
    }
    let encoding = rq
        .headers()
        .iter()
        .find(|h| h.field.equiv("Content-Encoding"))
        .map(|h| h.value.as_str().trim().to_ascii_lowercase())
        .unwrap_or_default();
    match encoding.as_str() {
        "" | "identity" => Ok(body),
        "gzip" | "x-gzip" => {
            let max = s.max_body;
            let mut out = Vec::new();
            let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
            MultiGzDecoder::new(body.as_slice())
                .take(limit)
                .read_to_end(&mut out)
                .map_err(|e| {
                    Rejection::new(400, "bad_gzip", format!("the gzip body is invalid: {e}"))
                })?;
            if out.len() > max {
                return Err(Rejection::new(
                    413,
                    "too_large",
                    format!("the uncompressed body is over MaxBodySize ({max} bytes)"),
                ));
            }
            Ok(out)
        }
        other => Err(Rejection::new(
            415,
            "unsupported_encoding",
            format!("Content-Encoding `{other}` is not supported (gzip is)"),
        )),
    }
}
