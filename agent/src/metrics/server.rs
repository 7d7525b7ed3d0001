//! The HTTP endpoint: `GET /metrics` and `GET /health`, answered on a thread of its own.

use super::encode::encode;
use crate::engine::MetricsHub;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The `Content-Type` of the Prometheus text format.
const METRICS_CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The metrics endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound (in use, not local, not allowed).
    #[error("cannot listen for metrics on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS's error.
        source: std::io::Error,
    },
    /// The HTTP server could not be set up on the bound socket.
    #[error("cannot serve metrics on {addr}: {message}")]
    Server {
        /// The address.
        addr: SocketAddr,
        /// What the HTTP server said.
        message: String,
    },
    /// No thread for the server.
    #[error("cannot start the metrics thread")]
    Thread(#[source] std::io::Error),
}

/// An HTTP server on a thread of its own, answering `GET /metrics` with what its
/// [`MetricsHub`] holds (Prometheus text format) and `GET /health` with 200 when every
/// pipeline runs, 503 otherwise; anything else is a 404. Stops when dropped.
pub struct MetricsServer {
    server: Arc<tiny_http::Server>,
    addr: SocketAddr,
    hub: Arc<MetricsHub>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Listens on `addr` (port 0: a free port, see [`Self::local_addr`]) and serves a new
    /// hub.
    ///
    /// # Errors
    /// The address cannot be bound (already in use, say), or no thread could start.
    pub fn start(addr: SocketAddr) -> Result<Self, ServeError> {
        let listener =
            TcpListener::bind(addr).map_err(|source| ServeError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr, source })?;
        let server =
            tiny_http::Server::from_listener(listener, None).map_err(|e| ServeError::Server {
                addr,
                message: e.to_string(),
            })?;
        let server = Arc::new(server);
        let hub = Arc::new(MetricsHub::new());
        let (s, h) = (Arc::clone(&server), Arc::clone(&hub));
        let thread = std::thread::Builder::new()
            .name("pipeplug-metrics".to_owned())
            .spawn(move || serve(&s, &h))
            .map_err(ServeError::Thread)?;
        Ok(Self {
            server,
            addr: local,
            hub,
            thread: Some(thread),
        })
    }

    /// The address it listens on (with the port chosen when port 0 was asked for).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The hub it serves: pipelines started with it in
    /// [`EngineOptions::metrics`](crate::engine::EngineOptions::metrics) show.
    #[must_use]
    pub fn hub(&self) -> Arc<MetricsHub> {
        Arc::clone(&self.hub)
    }
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn header(name: &str, value: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

/// Answers requests until the server is unblocked (dropped).
fn serve(server: &tiny_http::Server, hub: &MetricsHub) {
    for request in server.incoming_requests() {
        let path = request.url().split('?').next().unwrap_or("").to_owned();
        let get = matches!(
            request.method(),
            tiny_http::Method::Get | tiny_http::Method::Head
        );
        let (status, body, content_type) = match (get, path.as_str()) {
            (true, "/metrics") => (200, encode(hub), METRICS_CONTENT_TYPE),
            (true, "/health") => {
                let (ok, text) = hub.health();
                (
                    if ok { 200 } else { 503 },
                    text,
                    "text/plain; charset=utf-8",
                )
            }
            (false, "/metrics" | "/health") => {
                (405, "only GET\n".to_owned(), "text/plain; charset=utf-8")
            }
            _ => (
                404,
                "not found: try /metrics or /health\n".to_owned(),
                "text/plain; charset=utf-8",
            ),
        };
        let mut response = tiny_http::Response::from_string(body).with_status_code(status);
        if let Some(h) = header("Content-Type", content_type) {
            response = response.with_header(h);
        }
        if let Err(e) = request.respond(response) {
            tracing::debug!("metrics: cannot answer a request for {path}: {e}");
        }
    }
}
