//! Sending: the pool of sender threads, one pooled HTTP client (`ureq`), and the retry of
//! each request (iLogtail's `flushWithRetry`).

use crossbeam_channel::{Receiver, Sender};
use pipeplug::capability::{HttpRequest, RequestVerdict};
use pipeplug::prelude::*;
use pipeplug::{Counter, Latency};
use std::io::Read as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// How many bytes of an error response are kept for the message.
const BODY_IN_MESSAGE: u64 = 512;

/// The retry of one request (`Retry`).
#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt (0 when `Enable` is off).
    pub(crate) max_retries: u32,
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based): `initial · 2^retry`, at most `max`,
    /// then a uniformly random point of its second half, `[d/2, d]` (as iLogtail).
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        let d = self.initial.saturating_mul(factor).min(self.max);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let half = nanos / 2;
        Duration::from_nanos(half + fastrand::u64(0..=nanos - half))
    }
}

/// Why a request was not delivered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// The server answered with a status other than 2xx.
    #[error("{url}: the server answered {status}{}", body_note(body))]
    Status {
        /// The URL sent to.
        url: String,
        /// The status.
        status: u16,
        /// The start of the response's body.
        body: String,
    },
    /// No answer: the connection failed, timed out or broke.
    #[error("{url}: {error}")]
    Transport {
        /// The URL sent to.
        url: String,
        /// What went wrong.
        error: String,
        /// Whether another attempt may succeed.
        retryable: bool,
    },
    /// A request interceptor vetoed the request: it was not sent.
    #[error("request interceptor `{interceptor}` vetoed the request to {url}: {reason}")]
    Vetoed {
        /// The URL it was for.
        url: String,
        /// The interceptor's name.
        interceptor: String,
        /// Its reason.
        reason: String,
    },
    /// The authenticator could not add credentials: the request was not sent.
    #[error("authenticator `{name}` failed: {error}")]
    Auth {
        /// The authenticator's name.
        name: String,
        /// Its error.
        error: String,
    },
}

fn body_note(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(" ({body})")
    }
}

impl SendError {
    /// Whether the flusher retries it (per `Retry`): connection errors and timeouts, 5xx,
    /// 429, 401 and 403.
    pub(crate) fn retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status >= 500 || matches!(status, 429 | 401 | 403),
            Self::Transport { retryable, .. } => *retryable,
            Self::Vetoed { .. } | Self::Auth { .. } => false,
        }
    }

    /// Whether no later call can succeed either: a 4xx other than 429/401/403, or a
    /// request the client cannot send at all. Vetoes and failed authentications may pass
    /// later (a circuit breaker closes, a token server recovers): not permanent.
    pub(crate) fn permanent(&self) -> bool {
        match self {
            Self::Status { .. } => !self.retryable(),
            Self::Transport { retryable, .. } => !retryable,
            Self::Vetoed { .. } | Self::Auth { .. } => false,
        }
    }

    /// The label of `flusher_http_failures_total`.
    fn reason(&self) -> &'static str {
        match self {
            Self::Status { status, .. } if *status >= 500 => "status_5xx",
            Self::Status { .. } => "status_4xx",
            Self::Transport {
                retryable: true, ..
            } => "connection",
            Self::Transport { .. } => "request",
            Self::Vetoed { .. } => "vetoed",
            Self::Auth { .. } => "auth",
        }
    }
}

/// The self-metrics of the flusher.
#[derive(Debug, Clone)]
pub(crate) struct Metrics {
    /// Events in batches delivered whole.
    pub(crate) events: Counter,
    /// Requests answered 2xx.
    pub(crate) requests: Counter,
    /// Body bytes of the requests answered 2xx (as sent: compressed when compressing).
    pub(crate) bytes: Counter,
    /// Attempts after a failed one.
    pub(crate) retries: Counter,
    /// Events left out by the converter (`IgnoreUnExpectedData`).
    pub(crate) skipped: Counter,
    /// The time of each attempt that got an answer.
    pub(crate) latency: Latency,
    ctx: Context,
}

impl Metrics {
    pub(crate) fn new(ctx: &Context) -> Self {
        Self {
            events: ctx.counter("flusher_http_events_sent_total"),
            requests: ctx.counter("flusher_http_requests_sent_total"),
            bytes: ctx.counter("flusher_http_sent_bytes_total"),
            retries: ctx.counter("flusher_http_retries_total"),
            skipped: ctx.counter("flusher_http_skipped_events_total"),
            latency: ctx.latency("flusher_http_request_latency"),
            ctx: ctx.clone(),
        }
    }

    /// Counts a failed attempt under its reason.
    fn failure(&self, e: &SendError) {
        self.ctx
            .counter_with_labels("flusher_http_failures_total", &[("reason", e.reason())])
            .add(1);
    }
}

/// What the sender threads share.
pub(crate) struct Sending {
    pub(crate) agent: ureq::Agent,
    pub(crate) retry: RetryPolicy,
    pub(crate) authenticator: Option<(String, Arc<dyn ClientAuthenticator>)>,
    pub(crate) interceptors: Vec<(String, Arc<dyn RequestInterceptor>)>,
    pub(crate) metrics: Metrics,
    /// Set by `set_urgent(true)`: no more waits between attempts.
    pub(crate) urgent: Arc<AtomicBool>,
    pub(crate) ctx: Context,
}

impl std::fmt::Debug for Sending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sending")
            .field("retry", &self.retry)
            .field("interceptors", &self.interceptors.len())
            .finish_non_exhaustive()
    }
}

/// Builds the agent: `timeout` per request, statuses as answers (not errors), no redirects
/// followed (a 3xx is an answer: `RemoteURL` should name the final address).
pub(crate) fn agent(timeout: Duration, concurrency: usize) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .max_idle_connections_per_host(concurrency + 1)
        .user_agent(concat!("pipeplug/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::new_with_config(config)
}

fn transport_error(url: &str, e: &ureq::Error) -> SendError {
    use ureq::Error as E;
    let retryable = matches!(
        e,
        E::Io(_)
            | E::Timeout(_)
            | E::HostNotFound
            | E::ConnectionFailed
            | E::Protocol(_)
            | E::BodyStalled
    );
    SendError::Transport {
        url: url.to_owned(),
        error: e.to_string(),
        retryable,
    }
}

impl Sending {
    /// One attempt: authenticator, interceptors in order, then the request.
    fn attempt(&self, prepared: &HttpRequest) -> Result<(), SendError> {
        let mut req = prepared.clone();
        if let Some((name, auth)) = &self.authenticator {
            auth.authenticate(&mut req).map_err(|e| SendError::Auth {
                name: name.clone(),
                error: pipeplug::error_chain(&*e),
            })?;
        }
        for (name, interceptor) in &self.interceptors {
            if let RequestVerdict::Veto(reason) = interceptor.intercept(&mut req) {
                return Err(SendError::Vetoed {
                    url: req.url.clone(),
                    interceptor: name.clone(),
                    reason,
                });
            }
        }
        let mut builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(req.url.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder
            .body(&req.body[..])
            .map_err(|e| SendError::Transport {
                url: req.url.clone(),
                error: format!("cannot build the request: {e}"),
                retryable: false,
            })?;
        let start = Instant::now();
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| transport_error(&req.url, &e))?;
        let status = response.status().as_u16();
        // Read the answer whole (so the connection can be reused), keeping its start.
        let mut kept = Vec::new();
        let mut reader = response.body_mut().as_reader();
        let read = (&mut reader)
            .take(BODY_IN_MESSAGE)
            .read_to_end(&mut kept)
            .and_then(|_| std::io::copy(&mut reader, &mut std::io::sink()));
        self.metrics.latency.observe(start.elapsed());
        if (200..300).contains(&status) {
            // A 2xx whose body broke off still means delivered.
            return Ok(());
        }
        if let Err(e) = read {
            self.ctx
                .logger()
                .debug(format!("flusher_http: reading an error answer: {e}"));
        }
        Err(SendError::Status {
            url: req.url,
            status,
            body: String::from_utf8_lossy(&kept).trim().to_owned(),
        })
    }

    /// Sends `req` with the retries of `Retry`; waits end early on `stop`.
    pub(crate) fn send(&self, req: &HttpRequest, stop: &StopSignal) -> Result<(), Failed> {
        let mut retry = 0;
        loop {
            match self.attempt(req) {
                Ok(()) => {
                    self.metrics.requests.add(1);
                    self.metrics.bytes.add(req.body.len() as u64);
                    return Ok(());
                }
                Err(error) => {
                    self.metrics.failure(&error);
                    let urgent = self.urgent.load(Ordering::Relaxed);
                    if !error.retryable() || retry >= self.retry.max_retries || urgent {
                        return Err(Failed {
                            error,
                            attempts: retry + 1,
                        });
                    }
                    self.ctx.logger().debug(format!(
                        "flusher_http: attempt {} failed, retrying: {error}",
                        retry + 1
                    ));
                    if stop.wait_timeout(self.retry.delay(retry)) {
                        return Err(Failed {
                            error,
                            attempts: retry + 1,
                        });
                    }
                    retry += 1;
                    self.metrics.retries.add(1);
                }
            }
        }
    }
}

/// A request not delivered: the last error, after how many attempts.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) error: SendError,
    pub(crate) attempts: u32,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (attempts: {})", self.error, self.attempts)
    }
}

/// One request for a sender thread, and where its outcome goes.
struct Job {
    req: HttpRequest,
    done: Sender<Result<(), Failed>>,
}

/// The sender threads: `Concurrency` of them take requests from one queue.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    jobs: Option<Sender<Job>>,
    worker: Worker,
}

impl Pool {
    /// Starts `threads` senders.
    pub(crate) fn start(
        ctx: &Context,
        threads: usize,
        sending: Arc<Sending>,
    ) -> Result<Self, BoxError> {
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        let mut worker = Worker::new();
        for i in 0..threads {
            let rx: Receiver<Job> = rx.clone();
            let sending = Arc::clone(&sending);
            worker
                .spawn(ctx, &format!("flusher_http-{i}"), move |stop| {
                    // It waits on its queue and the network, not on the clock.
                    pipeplug::Clock::detach_current_thread();
                    while let Ok(job) = rx.recv() {
                        let _ = job.done.send(sending.send(&job.req, &stop));
                    }
                })
                .map_err(|e| format!("flusher_http: cannot start a sender thread: {e}"))?;
        }
        Ok(Self {
            jobs: Some(tx),
            worker,
        })
    }

    /// Sends every request, `Concurrency` at a time, and returns each outcome, in order,
    /// once all are known.
    pub(crate) fn send_all(&self, reqs: Vec<HttpRequest>) -> Vec<Result<(), Failed>> {
        let Some(jobs) = &self.jobs else {
            return Vec::new();
        };
        let mut waits = Vec::with_capacity(reqs.len());
        for req in reqs {
            let url = req.url.clone();
            let (done, wait) = crossbeam_channel::bounded(1);
            let sent = jobs.send(Job { req, done });
            waits.push((url, sent.is_ok().then_some(wait)));
        }
        waits
            .into_iter()
            .map(|(url, wait)| {
                wait.and_then(|w| w.recv().ok()).unwrap_or_else(|| {
                    Err(Failed {
                        error: SendError::Transport {
                            url,
                            error: "the sender thread ended".to_owned(),
                            retryable: true,
                        },
                        attempts: 0,
                    })
                })
            })
            .collect()
    }

    /// Ends the senders (after their current request) and joins them.
    pub(crate) fn stop(&mut self) -> Result<(), BoxError> {
        self.jobs = None;
        self.worker.stop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_with_jitter_in_the_second_half() {
        let p = RetryPolicy {
            max_retries: 10,
            initial: Duration::from_millis(100),
            max: Duration::from_millis(350),
        };
        for _ in 0..200 {
            for (retry, full) in [(0, 100), (1, 200), (2, 350), (3, 350), (40, 350)] {
                let d = p.delay(retry);
                let full = Duration::from_millis(full);
                assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?}");
            }
        }
    }

    #[test]
    fn which_answers_are_retried_and_which_are_permanent() {
        let status = |status| SendError::Status {
            url: "u".into(),
            status,
            body: String::new(),
        };
        for s in [500, 502, 503, 429, 401, 403] {
            assert!(status(s).retryable() && !status(s).permanent(), "{s}");
        }
        for s in [400, 404, 413, 301] {
            assert!(!status(s).retryable() && status(s).permanent(), "{s}");
        }
        let veto = SendError::Vetoed {
            url: "u".into(),
            interceptor: "i".into(),
            reason: "r".into(),
        };
        assert!(!veto.retryable() && !veto.permanent());
        assert_eq!(status(503).to_string(), "u: the server answered 503");
    }
}
