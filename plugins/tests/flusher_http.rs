//! `flusher_http` against a real HTTP server (`tiny_http` on 127.0.0.1): what arrives, per
//! protocol, with headers, query, gzip, extensions, retries and config errors.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::capability::{HttpRequest, RequestVerdict};
use pipeplug::models::{GroupInfo, KeyValues, Metadata, MetricType, Tags};
use pipeplug::prelude::*;
use pipeplug::protocol::LogTag;
use pipeplug::testing::{create_log, ExtensionHarness, FlusherHarness, HarnessError};
use pipeplug::PermanentError;
use pipeplug_plugins::{ExtBasicAuth, ExtDefaultEncoder, ExtGroupInfoFilter, FlusherHttp};
use std::io::Read as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pipeplug::link!(pipeplug_plugins::all);

/// One request as the server got it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A real HTTP server on 127.0.0.1 that answers the scripted statuses in order, then 200,
/// each after `delay`, from a thread per request, and records what it got.
struct Server {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    in_flight_max: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(statuses: &[u16]) -> Self {
        Self::on("127.0.0.1:0", statuses, Duration::ZERO)
    }

    fn on(addr: &str, statuses: &[u16], delay: Duration) -> Self {
        let server = tiny_http::Server::http(addr).unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let in_flight_max = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let script = Arc::new(Mutex::new(statuses.to_vec()));
        let thread = {
            let (received, stop) = (Arc::clone(&received), Arc::clone(&stop));
            let in_flight_max = Arc::clone(&in_flight_max);
            std::thread::spawn(move || {
                let mut handlers = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let Ok(Some(mut req)) = server.recv_timeout(Duration::from_millis(20)) else {
                        continue;
                    };
                    let mut body = Vec::new();
                    req.as_reader().read_to_end(&mut body).unwrap();
                    received.lock().unwrap().push(Received {
                        method: req.method().to_string(),
                        url: req.url().to_owned(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|h| (h.field.to_string(), h.value.to_string()))
                            .collect(),
                        body,
                    });
                    let status = {
                        let mut s = script.lock().unwrap();
                        if s.is_empty() {
                            200
                        } else {
                            s.remove(0)
                        }
                    };
                    let (in_flight, max) = (Arc::clone(&in_flight), Arc::clone(&in_flight_max));
                    handlers.push(std::thread::spawn(move || {
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        max.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(delay);
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        let answer = tiny_http::Response::from_string(format!("answer {status}"))
                            .with_status_code(status);
                        let _ = req.respond(answer);
                    }));
                }
                for h in handlers {
                    let _ = h.join();
                }
            })
        };
        Self {
            url: format!("http://127.0.0.1:{port}"),
            received,
            in_flight_max,
            stop,
            thread: Some(thread),
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A flusher for `server` with `extra` config keys (YAML map text, may be empty).
fn flusher(url: &str, extra: &str) -> FlusherHarness<FlusherHttp> {
    FlusherHarness::<FlusherHttp>::from_yaml(&format!("RemoteURL: \"{url}/write\"\n{extra}"))
        .unwrap()
}

fn v1_group() -> LogGroup {
    let mut a = create_log([("msg", "hello"), ("__tag__:__path__", "/var/log/a.log")]);
    a.time = 1_700_000_000;
    let mut b = create_log([("msg", "world"), ("n", "2")]);
    b.time = 1_700_000_001;
    LogGroup {
        logs: vec![a, b],
        topic: "t1".into(),
        source: "10.0.0.1".into(),
        log_tags: vec![LogTag::new("env", "prod")],
        ..LogGroup::default()
    }
}

fn metric_log(name: &str, labels: &str, value: &str, nanos: &str) -> Log {
    create_log([
        ("__name__", name),
        ("__labels__", labels),
        ("__value__", value),
        ("__time_nano__", nanos),
    ])
}

fn is_permanent(e: &HarnessError) -> bool {
    match e {
        HarnessError::Plugin { error, .. } => PermanentError::is_permanent(&**error),
        _ => false,
    }
}

fn counter(h: &FlusherHarness<FlusherHttp>, name: &str) -> u64 {
    h.mock().counter(name).unwrap_or(0)
}

#[test]
fn custom_single_v1_sends_one_request_per_log_with_query_and_headers() {
    let server = Server::start(&[]);
    let mut h = flusher(
        &server.url,
        "Query: {db: \"my db\", a: \"1&2\"}\nHeaders: {X-Token: abc}",
    );
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 2, "{got:?}");
    for r in &got {
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, "/write?a=1%262&db=my+db");
        assert_eq!(r.header("X-Token"), Some("abc"));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
    }
    let tags = serde_json::json!({"env": "prod", "host.ip": "10.0.0.1", "log.topic": "t1"});
    let mut first_tags = tags.clone();
    first_tags["log.file.path"] = "/var/log/a.log".into();
    assert_eq!(
        got[0].json(),
        serde_json::json!({"contents": {"msg": "hello"}, "tags": first_tags, "time": 1_700_000_000})
    );
    assert_eq!(
        got[1].text(),
        r#"{"contents":{"msg":"world","n":"2"},"tags":{"env":"prod","host.ip":"10.0.0.1","log.topic":"t1"},"time":1700000001}"#
    );
    assert_eq!(counter(&h, "flusher_http_events_sent_total"), 2);
    assert_eq!(counter(&h, "flusher_http_requests_sent_total"), 2);
    let bytes: usize = got.iter().map(|r| r.body.len()).sum();
    assert_eq!(counter(&h, "flusher_http_sent_bytes_total"), bytes as u64);
}

#[test]
fn flatten_with_a_separator_sends_one_request_per_group() {
    let server = Server::start(&[]);
    let mut h = flusher(
        &server.url,
        "Convert: {Protocol: custom_single_flatten, Separator: \"\\n\"}",
    );
    h.flush_v1(vec![v1_group(), v1_group()]).unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 2, "one request per group: {got:?}");
    assert_eq!(
        got[0].text(),
        "{\"env\":\"prod\",\"host.ip\":\"10.0.0.1\",\"log.file.path\":\"/var/log/a.log\",\"log.topic\":\"t1\",\"msg\":\"hello\",\"time\":1700000000}\n\
         {\"env\":\"prod\",\"host.ip\":\"10.0.0.1\",\"log.topic\":\"t1\",\"msg\":\"world\",\"n\":\"2\",\"time\":1700000001}"
    );
    assert_eq!(counter(&h, "flusher_http_events_sent_total"), 4);
}

#[test]
fn custom_single_v2_goes_through_the_v1_form() {
    let server = Server::start(&[]);
    let mut h = flusher(&server.url, "Convert: {Separator: \"\\n\"}");
    let mut log = pipeplug::models::Log::default();
    log.contents.add("msg", "hi");
    log.tags.add("level", "info");
    log.timestamp = 1_700_000_000_123_456_789;
    let metric = Metric::single(
        "cpu",
        MetricType::Gauge,
        Tags::from_iter([("host", "a")]),
        1_700_000_001_000_000_000,
        0.5,
    );
    let mut meta = Metadata::new();
    meta.add("source", "10.0.0.2");
    let group = PipelineGroupEvents::new(
        GroupInfo::new(meta, Tags::from_iter([("env", "dev")])),
        vec![PipelineEvent::Log(log), PipelineEvent::Metric(metric)],
    );
    h.export_v2(vec![group]).unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let lines: Vec<serde_json::Value> = got[0]
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        serde_json::json!({"contents": {"msg": "hi"},
            "tags": {"env": "dev", "host.ip": "10.0.0.2", "level": "info"}, "time": 1_700_000_000})
    );
    assert_eq!(
        lines[1],
        serde_json::json!({"contents": {"__name__": "cpu", "__labels__": "host#$#a",
            "__time_nano__": "1700000001000000000", "__value__": "0.5"},
            "tags": {"env": "dev", "host.ip": "10.0.0.2"}, "time": 1_700_000_001})
    );
    assert_eq!(counter(&h, "flusher_http_events_sent_total"), 2);
}

#[test]
fn influxdb_v1_writes_escaped_line_protocol_and_skips_non_metrics() {
    let server = Server::start(&[]);
    let mut h = flusher(
        &server.url,
        "Query: {db: mydb}\nConvert: {Protocol: influxdb}",
    );
    let mut int = metric_log("disk free", "path#$#/a b|dev#$#x,y", "42", "5");
    int.push("__type__", "int");
    let group = LogGroup {
        logs: vec![
            metric_log("cpu", "host#$#a|empty#$#", "0.5", "1700000000000000000"),
            int,
            create_log([("msg", "not a metric")]),
            metric_log("bad", "", "NaN", ""),
        ],
        ..LogGroup::default()
    };
    h.flush_v1(vec![group]).unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].url, "/write?db=mydb");
    assert_eq!(
        got[0].header("Content-Type"),
        Some("application/octet-stream")
    );
    assert_eq!(
        got[0].text(),
        "cpu,host=a value=0.5 1700000000000000000\ndisk\\ free,dev=x\\,y,path=/a\\ b value=42i 5\n"
    );
    assert_eq!(counter(&h, "flusher_http_skipped_events_total"), 2);
    assert_eq!(counter(&h, "flusher_http_events_sent_total"), 2);
}

#[test]
fn influxdb_v2_writes_metrics_with_every_value() {
    let server = Server::start(&[]);
    let mut h = flusher(
        &server.url,
        "Convert: {Protocol: influxdb, Encoding: custom}",
    );
    let mut values = KeyValues::new();
    values.add("used", 3.0);
    values.add("free", 1.5);
    let mut typed = KeyValues::new();
    typed.add("state", serde_json::json!("ok \"x\""));
    let multi = Metric::multi(
        "mem",
        MetricType::Gauge,
        Tags::from_iter([("zone", "b"), ("host", "h=1")]),
        7,
        values,
    )
    .with_typed_values(typed);
    let single = Metric::single("up", MetricType::Gauge, Tags::new(), 0, 1.0);
    let group = PipelineGroupEvents::new(
        GroupInfo::default(),
        vec![PipelineEvent::Metric(multi), PipelineEvent::Metric(single)],
    );
    h.export_v2(vec![group]).unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].text(),
        "mem,host=h\\=1,zone=b free=1.5,used=3,state=\"ok \\\"x\\\"\" 7\nup value=1\n"
    );
}

#[test]
fn influxdb_with_ignore_unexpected_data_off_refuses_the_batch_for_good() {
    let server = Server::start(&[]);
    let mut h = flusher(
        &server.url,
        "Convert: {Protocol: influxdb, IgnoreUnExpectedData: false}",
    );
    let group = LogGroup {
        logs: vec![create_log([("msg", "not a metric")])],
        ..LogGroup::default()
    };
    let err = h.flush_v1(vec![group]).unwrap_err();
    assert!(is_permanent(&err), "{err}");
    assert!(
        err.to_string()
            .contains("log 0: metrics data must contain the keys __name__ and __value__"),
        "{err}"
    );
    h.stop().unwrap();
    assert!(server.received().is_empty());
}

#[test]
fn gzip_bodies_decode_to_the_same_text() {
    let server = Server::start(&[]);
    let mut h = flusher(
        &server.url,
        "Compression: gzip\nConvert: {Separator: \"\\n\"}",
    );
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("Content-Encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&got[0].body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.starts_with(r#"{"contents":{"msg":"hello"}"#), "{text}");
    assert_eq!(
        counter(&h, "flusher_http_sent_bytes_total"),
        got[0].body.len() as u64,
        "bytes are counted as sent (compressed)"
    );
}

#[test]
fn basic_auth_comes_from_ext_basicauth_by_capability() {
    let server = Server::start(&[]);
    let mut ext =
        ExtensionHarness::<ExtBasicAuth>::from_yaml("Username: Aladdin\nPassword: open sesame")
            .unwrap();
    ext.register("ext_basicauth/main").unwrap();
    let mut h =
        flusher(&server.url, "Authenticator: ext_basicauth/main").with_mock(ext.mock().clone());
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(
            r.header("Authorization"),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
    }
}

#[test]
fn an_inline_extension_is_created_with_its_options() {
    let server = Server::start(&[]);
    // The mock context creates undeclared extensions from the registry, as the agent does.
    let mut h = flusher(
        &server.url,
        "Authenticator: {Type: ext_basicauth, Options: {Username: u, Password: p}}",
    );
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    assert_eq!(
        server.received()[0].header("authorization"),
        Some("Basic dTpw")
    );
}

/// Vetoes requests whose body mentions "secret"; marks the others.
#[derive(Clone)]
struct NoSecrets;
impl Plugin for NoSecrets {
    fn description(&self) -> &str {
        "vetoes secrets"
    }
}
impl Extension for NoSecrets {
    fn capabilities(&self) -> Capabilities {
        Capabilities::new().with::<dyn RequestInterceptor>(Arc::new(self.clone()))
    }
}
impl RequestInterceptor for NoSecrets {
    fn intercept(&self, req: &mut HttpRequest) -> RequestVerdict {
        if String::from_utf8_lossy(&req.body).contains("secret") {
            RequestVerdict::Veto("no secrets leave".into())
        } else {
            req.set_header("X-Checked", "yes");
            RequestVerdict::Proceed
        }
    }
}

#[test]
fn a_request_interceptor_changes_requests_and_a_veto_is_not_sent() {
    let server = Server::start(&[]);
    let mut ext = ExtensionHarness::new(NoSecrets);
    ext.register("ext_nosecrets/a").unwrap();
    let mut h = flusher(
        &server.url,
        "RequestInterceptors: [ext_nosecrets/a]\nRetry: {InitialDelay: 1ms, MaxDelay: 2ms}",
    )
    .with_mock(ext.mock().clone());
    h.flush_v1(vec![v1_group()]).unwrap();
    let secret = LogGroup {
        logs: vec![create_log([("password", "secret")])],
        ..LogGroup::default()
    };
    let err = h.flush_v1(vec![secret]).unwrap_err();
    assert!(!is_permanent(&err), "a veto may pass later: {err}");
    assert!(
        err.to_string()
            .contains("request interceptor `ext_nosecrets/a` vetoed the request to"),
        "{err}"
    );
    assert!(err.to_string().contains("no secrets leave"), "{err}");
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 2, "the vetoed request was not sent: {got:?}");
    assert!(got.iter().all(|r| r.header("X-Checked") == Some("yes")));
    assert_eq!(counter(&h, "flusher_http_failures_total"), 1);
    assert_eq!(
        counter(&h, "flusher_http_retries_total"),
        0,
        "a veto is not retried"
    );
}

#[test]
fn an_encoder_extension_makes_the_bodies() {
    let server = Server::start(&[]);
    let mut ext = ExtensionHarness::<ExtDefaultEncoder>::from_yaml("Format: json").unwrap();
    ext.register("ext_default_encoder/j").unwrap();
    let mut h =
        flusher(&server.url, "Encoder: ext_default_encoder/j").with_mock(ext.mock().clone());
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 1, "one payload per group from this encoder");
    assert_eq!(
        got[0].header("Content-Type"),
        Some("application/octet-stream")
    );
    let first: serde_json::Value =
        serde_json::from_str(got[0].text().lines().next().unwrap()).unwrap();
    assert_eq!(first["msg"], "hello");
    assert_eq!(first["__tag__:env"], "prod");
}

#[test]
fn a_flush_interceptor_filters_v2_groups() {
    let server = Server::start(&[]);
    let mut ext =
        ExtensionHarness::<ExtGroupInfoFilter>::from_yaml("Tags: {env: {Pattern: '^prod$'}}")
            .unwrap();
    ext.register("ext_groupinfo_filter/f").unwrap();
    let mut h = flusher(&server.url, "FlushInterceptor: ext_groupinfo_filter/f")
        .with_mock(ext.mock().clone());
    let group = |env: &str, msg: &str| {
        let mut log = pipeplug::models::Log::default();
        log.contents.add("msg", msg);
        PipelineGroupEvents::new(
            GroupInfo::new(Metadata::new(), Tags::from_iter([("env", env)])),
            vec![PipelineEvent::Log(log)],
        )
    };
    h.export_v2(vec![group("dev", "dropped"), group("prod", "kept")])
        .unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].json()["contents"]["msg"], "kept");
    assert_eq!(counter(&h, "flusher_http_events_sent_total"), 1);
}

#[test]
fn a_503_twice_then_200_is_delivered_once_with_two_retries() {
    let server = Server::start(&[503, 503]);
    let mut h = flusher(
        &server.url,
        "Convert: {Separator: \"\\n\"}\nRetry: {InitialDelay: 5ms, MaxDelay: 10ms}",
    );
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    let got = server.received();
    assert_eq!(got.len(), 3, "two refused, then accepted");
    assert_eq!(got[0].body, got[2].body, "the same request each time");
    assert_eq!(counter(&h, "flusher_http_retries_total"), 2);
    assert_eq!(counter(&h, "flusher_http_requests_sent_total"), 1);
    assert_eq!(counter(&h, "flusher_http_events_sent_total"), 2);
    let m = h.mock().metrics();
    let failures: Vec<_> = m
        .iter()
        .filter(|m| m.name == "flusher_http_failures_total")
        .collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0]
        .labels
        .iter()
        .any(|(k, v)| k == "reason" && v == "status_5xx"));
}

#[test]
fn retries_exhausted_is_an_ordinary_error_for_the_engine_to_retry() {
    let server = Server::start(&[503, 503, 503]);
    let mut h = flusher(
        &server.url,
        "Convert: {Separator: \"\\n\"}\nRetry: {MaxRetryTimes: 1, InitialDelay: 1ms, MaxDelay: 1ms}",
    );
    let err = h.flush_v1(vec![v1_group()]).unwrap_err();
    assert!(!is_permanent(&err), "{err}");
    assert!(
        err.to_string()
            .contains("answered 503 (answer 503) (attempts: 2)"),
        "{err}"
    );
    assert!(
        err.to_string().contains("answer 503"),
        "the server's words: {err}"
    );
    assert_eq!(
        server.received().len(),
        2,
        "the first attempt and one retry"
    );
    assert_eq!(counter(&h, "flusher_http_events_sent_total"), 0);
    // The engine calls again: the server now accepts.
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    assert_eq!(counter(&h, "flusher_http_events_sent_total"), 2);
}

#[test]
fn a_400_is_a_permanent_error_and_not_retried() {
    let server = Server::start(&[400]);
    let mut h = flusher(&server.url, "Convert: {Separator: \"\\n\"}");
    let err = h.flush_v1(vec![v1_group()]).unwrap_err();
    assert!(is_permanent(&err), "{err}");
    assert!(err.to_string().contains("answered 400"), "{err}");
    h.stop().unwrap();
    assert_eq!(server.received().len(), 1);
    assert_eq!(counter(&h, "flusher_http_retries_total"), 0);
}

#[test]
fn a_server_down_then_up_within_the_retry_window_gets_the_batch_once() {
    // A free port, with nothing listening on it yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut h = flusher(
        &url,
        "Convert: {Separator: \"\\n\"}\nRetry: {MaxRetryTimes: 20, InitialDelay: 50ms, MaxDelay: 100ms}",
    );
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        Server::on(&format!("127.0.0.1:{port}"), &[], Duration::ZERO)
    });
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    let server = starter.join().unwrap();
    assert_eq!(server.received().len(), 1, "delivered once");
    assert!(counter(&h, "flusher_http_retries_total") >= 1);
    let m = h.mock().metrics();
    assert!(
        m.iter().any(|m| m.name == "flusher_http_failures_total"
            && m.labels
                .iter()
                .any(|(k, v)| k == "reason" && v == "connection")),
        "{m:?}"
    );
}

#[test]
fn concurrency_bounds_the_requests_in_flight() {
    let server = Server::on("127.0.0.1:0", &[], Duration::from_millis(150));
    let mut h = flusher(&server.url, "Concurrency: 3");
    let logs = (0..9).map(|i| create_log([("i", i.to_string())])).collect();
    h.flush_v1(vec![LogGroup {
        logs,
        ..LogGroup::default()
    }])
    .unwrap();
    h.stop().unwrap();
    assert_eq!(server.received().len(), 9);
    let max = server.in_flight_max.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "in flight at once: {max}");
}

fn init_error(yaml: &str) -> String {
    let mut h = match FlusherHarness::<FlusherHttp>::from_yaml(yaml) {
        Ok(h) => h,
        Err(e) => return e.to_string(),
    };
    h.init().unwrap_err().to_string()
}

#[test]
fn config_errors_say_which_key_and_what() {
    let cases: &[(&str, &str)] = &[
        ("Concurrency: 1", "RemoteURL"),
        ("RemoteURL: \"\"", "key `RemoteURL` is empty"),
        ("RemoteURL: \"not a url\"", "key `RemoteURL`: `not a url` is not a valid URL"),
        ("RemoteURL: \"ftp://h/x\"", "is not an http:// or https:// URL with a host"),
        ("RemoteURL: http://h/\nConcurrency: 0", "key `Concurrency` must be at least 1"),
        (
            "RemoteURL: http://h/\nConvert: {Protocol: otlp_v1}",
            "key `Convert.Protocol`: protocol `otlp_v1` is not supported (supported: custom_single, custom_single_flatten, influxdb)",
        ),
        (
            "RemoteURL: http://h/\nConvert: {Protocol: influxdb, Encoding: json}",
            "key `Convert.Encoding`: encoding `json` is not supported with protocol `influxdb` (supported: custom)",
        ),
        (
            "RemoteURL: http://h/\nConvert: {Encoding: protobuf}",
            "encoding `protobuf` is not supported with protocol `custom_single` (supported: json)",
        ),
        (
            "RemoteURL: http://h/\nCompression: snappy",
            "key `Compression`: `snappy` is not supported (supported: none, gzip)",
        ),
        (
            "RemoteURL: http://h/\nHeaders: {\"bad header\": x}",
            "key `Headers`: `bad header` is not a header name",
        ),
        (
            "RemoteURL: http://h/\nAuthenticator: ext_nothing/x",
            "key `Authenticator`: extension `ext_nothing/x`, wanted for the capability `ClientAuthenticator`, is not available",
        ),
        (
            "RemoteURL: http://h/\nAuthenticator: {Type: ext_default_encoder, Options: {Format: json}}",
            "key `Authenticator`: extension `ext_default_encoder` does not provide the capability `ClientAuthenticator` (it provides: Encoder)",
        ),
        (
            "RemoteURL: http://h/\nRequestInterceptors: [ext_basicauth]",
            "key `RequestInterceptors[0]`: extension `ext_basicauth` does not provide the capability `RequestInterceptor` (it provides: ClientAuthenticator)",
        ),
        (
            "RemoteURL: http://h/\nEncoder: {Options: {}}",
            "`Type` is missing",
        ),
        (
            "RemoteURL: http://h/\nRetry: {InitialDelay: 2s, MaxDelay: 1s}",
            "key `Retry.InitialDelay` (2s) is above `Retry.MaxDelay` (1s)",
        ),
        ("RemoteURL: http://h/\nRetry: {Enabled: true}", "Enabled"),
    ];
    for (yaml, want) in cases {
        let err = init_error(yaml);
        assert!(
            err.contains(want),
            "config {yaml:?}: got {err:?}, want {want:?}"
        );
    }
}

#[test]
fn an_extension_without_the_capability_fails_init_naming_what_it_provides() {
    let mut ext = ExtensionHarness::<ExtBasicAuth>::from_yaml("Username: u").unwrap();
    ext.register("ext_basicauth/a").unwrap();
    let mut h = FlusherHarness::<FlusherHttp>::from_yaml(
        "RemoteURL: http://127.0.0.1:1/\nFlushInterceptor: ext_basicauth/a",
    )
    .unwrap()
    .with_mock(ext.mock().clone());
    let err = h.init().unwrap_err().to_string();
    assert!(
        err.contains("key `FlushInterceptor`: extension `ext_basicauth/a` does not provide the capability `FlushInterceptor` (it provides: ClientAuthenticator)"),
        "{err}"
    );
}

#[test]
fn a_timeout_is_retried_then_an_ordinary_error() {
    let server = Server::on("127.0.0.1:0", &[], Duration::from_millis(400));
    let mut h = flusher(
        &server.url,
        "Timeout: 50ms\nConvert: {Separator: \"\\n\"}\nRetry: {MaxRetryTimes: 1, InitialDelay: 1ms, MaxDelay: 1ms}",
    );
    let err = h.flush_v1(vec![v1_group()]).unwrap_err();
    assert!(!is_permanent(&err), "{err}");
    assert!(err.to_string().contains("(attempts: 2)"), "{err}");
    assert!(err.to_string().to_lowercase().contains("timeout"), "{err}");
    h.stop().unwrap();
    assert_eq!(counter(&h, "flusher_http_retries_total"), 1);
}

#[test]
fn after_set_urgent_a_failed_request_is_not_retried() {
    let server = Server::start(&[503, 503]);
    let mut h = flusher(
        &server.url,
        "Convert: {Separator: \"\\n\"}\nRetry: {InitialDelay: 1ms, MaxDelay: 1ms}",
    );
    h.set_urgent(true).unwrap();
    let err = h.flush_v1(vec![v1_group()]).unwrap_err();
    assert!(err.to_string().contains("(attempts: 1)"), "{err}");
    h.stop().unwrap();
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_redirect_is_not_followed_and_is_permanent() {
    let server = Server::start(&[307]);
    let mut h = flusher(&server.url, "Convert: {Separator: \"\\n\"}");
    let err = h.flush_v1(vec![v1_group()]).unwrap_err();
    assert!(is_permanent(&err), "{err}");
    assert!(err.to_string().contains("answered 307"), "{err}");
    h.stop().unwrap();
}

#[test]
fn a_url_with_a_query_gets_the_query_keys_appended() {
    let server = Server::start(&[]);
    let mut h = FlusherHarness::<FlusherHttp>::from_yaml(&format!(
        "RemoteURL: \"{}/w?precision=s\"\nQuery: {{db: d}}\nConvert: {{Separator: \"\\n\"}}",
        server.url
    ))
    .unwrap();
    h.flush_v1(vec![v1_group()]).unwrap();
    h.stop().unwrap();
    assert_eq!(server.received()[0].url, "/w?precision=s&db=d");
}
