//! Real database servers for the integration tests (`tests/integration_*.rs`): ClickHouse
//! and InfluxDB 1.x, each run as a child process of the test.
//!
//! Each server gets its own temporary data directory and configuration file (written here:
//! no system service, no system configuration), listens on 127.0.0.1 on ports free at its
//! start, and is killed when dropped. [`ClickHouse::stop`] / [`ClickHouse::start_again`]
//! (and the same on [`InfluxDb`]) stop it gracefully and start it again on the same ports
//! with the same data, as an outage of the far end.
//!
//! The servers come from Debian packages (`clickhouse-server`, `influxdb`), which
//! `scripts/integration.sh --install` installs. Where a binary is absent, `start` prints
//! `skipped: ... not installed (run scripts/integration.sh)` and returns `Ok(None)`: the
//! test then returns without failing.
//!
//! Queries go over each server's HTTP API (`ureq`), as a user's `curl` would.

use std::fs::File;
use std::io::Read as _;
use std::marker::PhantomData;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long a server may take to answer after its start.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a graceful stop may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// What went wrong with a test server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data directory, configuration or log could not be written or read.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The server exited or did not answer in time; `log` is the end of its output.
    #[error("{server} did not start: {why}\n--- its output (end) ---\n{log}")]
    NotReady {
        /// `clickhouse-server` or `influxd`.
        server: &'static str,
        /// Exited (with its status) or timed out.
        why: String,
        /// The end of the server's output.
        log: String,
    },
    /// A request failed (no connection, or an error status with the server's message).
    #[error("{server} request `{request}` failed: {why}")]
    Request {
        /// `clickhouse-server` or `influxd`.
        server: &'static str,
        /// The query or request, shortened.
        request: String,
        /// The transport error, or the status and body of the answer.
        why: String,
    },
    /// An answer was not what the API documents.
    #[error("{server}: unexpected answer to `{request}`: {answer}")]
    Answer {
        /// `clickhouse-server` or `influxd`.
        server: &'static str,
        /// The query.
        request: String,
        /// The answer, shortened.
        answer: String,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServerError {
    let what = what.into();
    move |source| ServerError::Io { what, source }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// A port free on 127.0.0.1 now (the OS picks it; another process could take it before the
/// server binds it, which the server's start then reports).
fn free_port() -> Result<u16, ServerError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(io("finding a free port"))?
        .port())
}

/// The binary `name` on `PATH`, or in the system directories Debian installs servers to
/// (which a non-root `PATH` may lack).
#[must_use]
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/usr/local/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn skip_message(binary: &str, package: &str) -> String {
    format!(
        "skipped: {binary} not installed (Debian package `{package}`; run scripts/integration.sh)"
    )
}

/// The last lines of a server's output file.
fn log_tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// A server process with its data directory; the process is killed on drop.
#[derive(Debug)]
struct Process {
    name: &'static str,
    binary: PathBuf,
    args: Vec<String>,
    dir: TempDir,
    http_port: u16,
    ready_path: &'static str,
    child: Option<Child>,
}

impl Process {
    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn http(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// Starts the process and waits until its HTTP API answers `ready_path` with 2xx.
    fn start(&mut self) -> Result<(), ServerError> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(io("opening the server log"))?;
        let err = log.try_clone().map_err(io("opening the server log"))?;
        let child = Command::new(&self.binary)
            .args(&self.args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(io(format!("starting {}", self.binary.display())))?;
        self.child = Some(child);
        let agent = agent(Duration::from_secs(2));
        let url = format!("{}{}", self.http(), self.ready_path);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(ServerError::NotReady {
                        server: self.name,
                        why: format!("it exited ({status})"),
                        log: log_tail(&self.log_path()),
                    });
                }
            }
            if agent.get(&url).call().is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(ServerError::NotReady {
                    server: self.name,
                    why: format!("no answer at {url} within {READY_TIMEOUT:?}"),
                    log: log_tail(&self.log_path()),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the process with `signal` (SIGTERM: a graceful shutdown; SIGKILL: a crash),
    /// killing it after [`STOP_TIMEOUT`]; then waits until its port refuses connections.
    fn stop(&mut self, signal: libc::c_int) -> Result<(), ServerError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let pid = libc::pid_t::try_from(child.id()).unwrap_or(libc::pid_t::MAX);
        // SAFETY: `kill` has no memory effects; `pid` is our own child, not yet reaped.
        unsafe {
            libc::kill(pid, signal);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.http_port));
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            if Instant::now() > deadline {
                return Err(ServerError::NotReady {
                    server: self.name,
                    why: format!("port {} still answers after it exited", self.http_port),
                    log: String::new(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

/// Sends `request` and returns the body of a 2xx answer.
fn answer(
    server: &'static str,
    what: &str,
    request: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<String, ServerError> {
    let failed = |why: String| ServerError::Request {
        server,
        request: shorten(what),
        why,
    };
    let mut response = request.map_err(|e| failed(e.to_string()))?;
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .map_err(|e| failed(format!("reading the answer: {e}")))?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(failed(format!("{status}: {}", shorten(body.trim()))))
    }
}

// ---------------------------------------------------------------------------------------
// What the servers share

/// A server of the tests, run as a child process with its HTTP interface on a free port:
/// [`ClickHouse`] or [`InfluxDb`] (`K` says which, and what else it can do). Killed on drop.
#[derive(Debug)]
pub struct Server<K> {
    process: Process,
    agent: ureq::Agent,
    kind: PhantomData<K>,
}

impl<K> Server<K> {
    /// Starts `process` and keeps it.
    fn started(mut process: Process) -> Result<Self, ServerError> {
        process.start()?;
        Ok(Self {
            process,
            agent: agent(Duration::from_secs(60)),
            kind: PhantomData,
        })
    }

    /// Stops the server gracefully (SIGTERM) and waits until its port refuses connections.
    ///
    /// A server may then serve the connections it has (ClickHouse goes on serving a client's
    /// keep-alive connection while it drains), so a client sending steadily can see no
    /// outage: use [`Server::crash`] for one.
    ///
    /// # Errors
    /// The port still answers after the process exited.
    pub fn stop(&mut self) -> Result<(), ServerError> {
        self.process.stop(libc::SIGTERM)
    }

    /// Kills the server (SIGKILL, as a crash: the requests it is serving get no answer)
    /// and waits until its port refuses connections.
    ///
    /// # Errors
    /// The port still answers after the process exited.
    pub fn crash(&mut self) -> Result<(), ServerError> {
        self.process.stop(libc::SIGKILL)
    }

    /// Starts the server again on the same ports with the same data.
    ///
    /// # Errors
    /// As its `start`.
    pub fn start_again(&mut self) -> Result<(), ServerError> {
        self.process.start()
    }
}

// ---------------------------------------------------------------------------------------
// ClickHouse

/// Which server a [`ClickHouse`] is.
#[derive(Debug)]
pub enum ClickHouseKind {}

/// A ClickHouse server (`clickhouse-server`, tested with 18.16) with its HTTP interface on
/// a free port; user `default` without password. Killed on drop.
pub type ClickHouse = Server<ClickHouseKind>;

impl Server<ClickHouseKind> {
    /// Starts a server in a fresh data directory and waits until it answers `/ping`;
    /// `Ok(None)` (after printing why) where `clickhouse-server` is not installed.
    ///
    /// # Errors
    /// The server could not be set up, exited, or did not answer within a minute.
    pub fn start() -> Result<Option<Self>, ServerError> {
        let Some(binary) = find_binary("clickhouse-server") else {
            eprintln!("{}", skip_message("clickhouse-server", "clickhouse-server"));
            return Ok(None);
        };
        let dir = tempfile::Builder::new()
            .prefix("pipeplug-clickhouse-")
            .tempdir()
            .map_err(io("creating the data directory"))?;
        let http_port = free_port()?;
        let data = dir.path().join("data");
        let config = dir.path().join("config.xml");
        // Only the HTTP interface listens (no native TCP port); its own users file.
        let text = format!(
            r#"<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><console>1</console></logger>
    <http_port>{http_port}</http_port>
    <listen_host>127.0.0.1</listen_host>
    <path>{data}/</path>
    <tmp_path>{data}/tmp/</tmp_path>
    <user_files_path>{data}/user_files/</user_files_path>
    <format_schema_path>{data}/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>268435456</mark_cache_size>
</yandex>
"#,
            data = data.display()
        );
        std::fs::write(&config, text).map_err(io("writing config.xml"))?;
        std::fs::write(
            dir.path().join("users.xml"),
            r#"<?xml version="1.0"?>
<yandex>
    <profiles><default></default></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default></default></quotas>
</yandex>
"#,
        )
        .map_err(io("writing users.xml"))?;
        let process = Process {
            name: "clickhouse-server",
            binary,
            args: vec![format!("--config-file={}", config.display())],
            dir,
            http_port,
            ready_path: "/ping",
            child: None,
        };
        Self::started(process).map(Some)
    }

    /// The base URL of the HTTP interface, `http://127.0.0.1:PORT/`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}/", self.process.http())
    }

    /// Runs `sql` (the query in the body, as `clickhouse-client` would send it) and returns
    /// the answer's text.
    ///
    /// # Errors
    /// No connection, or ClickHouse answered with an error (its message is in the error).
    pub fn query(&self, sql: &str) -> Result<String, ServerError> {
        answer(
            "clickhouse-server",
            sql,
            self.agent.post(&self.url()).send(sql),
        )
    }

    /// Inserts `rows`: a body in the format that the `INSERT ... FORMAT` query of `params`
    /// (`("query", "INSERT ...")`) names, with the other `params` as settings
    /// (`("input_format_skip_unknown_fields", "1")`), all in the URL as `flusher_http`'s
    /// `Query` puts them (ClickHouse 18 takes no `SETTINGS` clause in an `INSERT`).
    ///
    /// # Errors
    /// As [`ClickHouse::query`].
    pub fn insert(&self, params: &[(&str, &str)], rows: &str) -> Result<(), ServerError> {
        let request = self
            .agent
            .post(&self.url())
            .query_pairs(params.iter().copied());
        let what = params
            .iter()
            .find(|(k, _)| *k == "query")
            .map_or("INSERT", |(_, v)| v);
        answer("clickhouse-server", what, request.send(rows)).map(drop)
    }

    /// The numbers of the one row `sql` answers (`SELECT count(), uniqExact(n) ...`), in
    /// order.
    ///
    /// # Errors
    /// As [`ClickHouse::query`]; an answer that is not one row of unsigned integers.
    pub fn numbers(&self, sql: &str) -> Result<Vec<u64>, ServerError> {
        let text = self.query(&format!("{sql} FORMAT TabSeparated"))?;
        let bad = || ServerError::Answer {
            server: "clickhouse-server",
            request: shorten(sql),
            answer: shorten(&text),
        };
        let row = text.trim_end_matches('\n');
        if row.contains('\n') {
            return Err(bad());
        }
        row.split('\t')
            .map(|v| v.parse::<u64>().map_err(|_| bad()))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// InfluxDB

/// Which server an [`InfluxDb`] is.
#[derive(Debug)]
pub enum InfluxDbKind {}

/// An InfluxDB 1.x server (`influxd`, tested with 1.6) with its HTTP API on a free port,
/// authentication off. Killed on drop.
pub type InfluxDb = Server<InfluxDbKind>;

impl Server<InfluxDbKind> {
    /// Starts a server in a fresh data directory and waits until it answers `/ping`;
    /// `Ok(None)` (after printing why) where `influxd` is not installed.
    ///
    /// # Errors
    /// The server could not be set up, exited, or did not answer within a minute.
    pub fn start() -> Result<Option<Self>, ServerError> {
        let Some(binary) = find_binary("influxd") else {
            eprintln!("{}", skip_message("influxd", "influxdb"));
            return Ok(None);
        };
        let dir = tempfile::Builder::new()
            .prefix("pipeplug-influxdb-")
            .tempdir()
            .map_err(io("creating the data directory"))?;
        let http_port = free_port()?;
        let rpc_port = free_port()?;
        let d = dir.path().display();
        // The backup/restore RPC port must be free too; no usage reports, no self-monitoring
        // database, no continuous queries.
        let text = format!(
            r#"reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{d}/meta"
[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
"#
        );
        let config = dir.path().join("influxdb.conf");
        std::fs::write(&config, text).map_err(io("writing influxdb.conf"))?;
        let process = Process {
            name: "influxd",
            binary,
            args: vec!["-config".to_owned(), config.display().to_string()],
            dir,
            http_port,
            ready_path: "/ping",
            child: None,
        };
        Self::started(process).map(Some)
    }

    /// The base URL of the HTTP API, `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        self.process.http()
    }

    /// The `/write` URL for database `db` (nanosecond timestamps).
    #[must_use]
    pub fn write_url(&self, db: &str) -> String {
        format!("{}/write?db={db}&precision=ns", self.url())
    }

    /// Runs the InfluxQL `q` (in database `db` when given) through `POST /query` and
    /// returns the JSON answer.
    ///
    /// # Errors
    /// No connection, an error status, or an `"error"` in the answer.
    pub fn query(&self, db: Option<&str>, q: &str) -> Result<serde_json::Value, ServerError> {
        let mut request = self.agent.post(format!("{}/query", self.url()));
        if let Some(db) = db {
            request = request.query("db", db);
        }
        let text = answer("influxd", q, request.send_form([("q", q)]))?;
        let bad = |answer: &str| ServerError::Answer {
            server: "influxd",
            request: shorten(q),
            answer: shorten(answer),
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad(&text))?;
        let error = value["error"]
            .as_str()
            .or_else(|| value["results"][0]["error"].as_str());
        match error {
            Some(e) => Err(bad(e)),
            None => Ok(value),
        }
    }

    /// Writes line-protocol `lines` to database `db`.
    ///
    /// # Errors
    /// No connection, or an error status (InfluxDB's message is in the error).
    pub fn write(&self, db: &str, lines: &str) -> Result<(), ServerError> {
        answer(
            "influxd",
            "write",
            self.agent.post(self.write_url(db)).send(lines),
        )
        .map(drop)
    }

    /// The numbers of the one row `q` answers in `db` (`SELECT count(value), sum(value)
    /// ...`), without its time column; all zero when the measurement holds no points.
    ///
    /// # Errors
    /// As [`InfluxDb::query`]; an answer that is not one row of numbers.
    pub fn numbers(&self, db: &str, q: &str) -> Result<Vec<f64>, ServerError> {
        let value = self.query(Some(db), q)?;
        let result = &value["results"][0];
        let Some(series) = result["series"].as_array() else {
            // No points: InfluxDB answers without a series.
            return Ok(Vec::new());
        };
        let bad = || ServerError::Answer {
            server: "influxd",
            request: shorten(q),
            answer: shorten(&value.to_string()),
        };
        let [series] = series.as_slice() else {
            return Err(bad());
        };
        let Some([row]) = series["values"].as_array().map(Vec::as_slice) else {
            return Err(bad());
        };
        let row = row.as_array().ok_or_else(bad)?;
        row.iter()
            .skip(1)
            .map(|v| v.as_f64().ok_or_else(bad))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// The agent

/// A `pipeplug run` of one pipeline file, as a child process with its metrics served on a
/// free port (`--metrics-listen`); its output goes to a file. Killed on drop.
#[derive(Debug)]
pub struct Agent {
    child: Option<Child>,
    dir: TempDir,
    metrics_port: u16,
    agent: ureq::Agent,
}

impl Agent {
    /// Runs `binary run --metrics-listen 127.0.0.1:PORT --data-dir DIR pipeline.yaml`, the
    /// pipeline file holding `pipeline`, and waits until its `/health` answers 200 (every
    /// pipeline started).
    ///
    /// # Errors
    /// The agent could not be started, exited, or its pipelines did not start within a
    /// minute (its output is in the error).
    pub fn run(binary: &Path, pipeline: &str) -> Result<Self, ServerError> {
        let dir = tempfile::Builder::new()
            .prefix("pipeplug-agent-")
            .tempdir()
            .map_err(io("creating the agent's directory"))?;
        let file = dir.path().join("pipeline.yaml");
        std::fs::write(&file, pipeline).map_err(io("writing pipeline.yaml"))?;
        let metrics_port = free_port()?;
        let log = File::create(dir.path().join("agent.log")).map_err(io("creating agent.log"))?;
        let err = log.try_clone().map_err(io("creating agent.log"))?;
        let child = Command::new(binary)
            .arg("run")
            .arg("--metrics-listen")
            .arg(format!("127.0.0.1:{metrics_port}"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg(&file)
            .env("RUST_LOG", "info,pipeplug::plugin=debug")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(io(format!("starting {}", binary.display())))?;
        let mut me = Self {
            child: Some(child),
            dir,
            metrics_port,
            agent: agent(Duration::from_secs(10)),
        };
        let url = format!("http://127.0.0.1:{metrics_port}/health");
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let exited = me.child.as_mut().map(Child::try_wait);
            if let Some(Ok(Some(status))) = exited {
                me.child = None;
                return Err(ServerError::NotReady {
                    server: "pipeplug",
                    why: format!("it exited ({status})"),
                    log: me.output(),
                });
            }
            if let Ok(r) = me.agent.get(&url).call() {
                if r.status().is_success() {
                    return Ok(me);
                }
            }
            if Instant::now() > deadline {
                return Err(ServerError::NotReady {
                    server: "pipeplug",
                    why: format!("{url} did not answer 200 within {READY_TIMEOUT:?}"),
                    log: me.output(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the agent wrote so far (stdout and stderr).
    #[must_use]
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("agent.log")).unwrap_or_default()
    }

    /// The agent's `/metrics` (the Prometheus text format).
    ///
    /// # Errors
    /// The scrape failed.
    pub fn metrics(&self) -> Result<String, ServerError> {
        let url = format!("http://127.0.0.1:{}/metrics", self.metrics_port);
        answer("pipeplug", &url, self.agent.get(&url).call())
    }

    /// The sum of the samples of metric `name` (all label sets) in the agent's `/metrics`;
    /// `None` when no sample has that name.
    ///
    /// # Errors
    /// The scrape failed.
    pub fn metric(&self, name: &str) -> Result<Option<f64>, ServerError> {
        let text = self.metrics()?;
        let mut sum = None;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((series, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let metric = series.split('{').next().unwrap_or(series);
            if metric == name {
                if let Ok(v) = value.parse::<f64>() {
                    *sum.get_or_insert(0.0) += v;
                }
            }
        }
        Ok(sum)
    }

    /// Stops the agent with SIGTERM, as a service manager would, and returns its exit code
    /// (`None`: killed by a signal, or killed after a minute) and its output.
    #[must_use]
    pub fn terminate(mut self) -> (Option<i32>, String) {
        let Some(mut child) = self.child.take() else {
            return (None, self.output());
        };
        let pid = libc::pid_t::try_from(child.id()).unwrap_or(libc::pid_t::MAX);
        // SAFETY: `kill` has no memory effects; `pid` is our own child, not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let code = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status.code(),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        (code, self.output())
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `current` until it returns `target` or more, for at most `timeout`; returns the
/// last value seen.
///
/// # Errors
/// The first error of `current`.
pub fn wait_for<T: PartialOrd + Copy>(
    timeout: Duration,
    target: T,
    mut current: impl FnMut() -> Result<T, ServerError>,
) -> Result<T, ServerError> {
    let deadline = Instant::now() + timeout;
    loop {
        let now = current()?;
        if now >= target || Instant::now() > deadline {
            return Ok(now);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_server_binary_is_found_absent_and_the_skip_says_how_to_install_it() {
        assert_eq!(find_binary("pipeplug-no-such-server"), None);
        assert!(find_binary("sh").is_some_and(|p| p.is_file()));
        assert_eq!(
            skip_message("influxd", "influxdb"),
            "skipped: influxd not installed (Debian package `influxdb`; run scripts/integration.sh)"
        );
    }

    #[test]
    fn long_requests_and_answers_are_shortened_on_a_char_boundary() {
        let long = "é".repeat(400);
        let short = shorten(&long);
        assert!(short.ends_with("..."), "{short}");
        assert_eq!(short.len(), 300 + 3);
        assert_eq!(shorten("SELECT 1"), "SELECT 1");
    }
}
