//! A flusher of this crate uses an authenticator extension from another crate
//! (`pipeplug-test-ext-fixture`, whose type is private) and an encoder from a third
//! (`pipeplug-plugins`), each found by the name in the flusher's config and used through
//! its capability trait: through the harnesses, and in a whole pipeline. The built-in
//! `flusher_http` does the same with the other crate's authenticator, over a real socket.

use pipeplug::capability::HttpRequest;
use pipeplug::prelude::*;
use pipeplug::testing::{ExtensionHarness, FlusherHarness};
use pipeplug_agent::testing::PipelineTest;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pipeplug::link!(pipeplug_test_ext_fixture::all);

/// Every request a `flusher_fixture_http` built, in order, across tests (each test uses
/// its own `Url` and reads back only its own).
static SENT: Mutex<Vec<HttpRequest>> = Mutex::new(Vec::new());

fn sent_to(url: &str) -> Vec<HttpRequest> {
    SENT.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|r| r.url == url)
        .cloned()
        .collect()
}

/// Builds the request it would `POST` to `Url` for each payload, passes it through its
/// authenticator, and records it instead of sending it.
#[flusher(
    name = "flusher_fixture_http",
    rename_all = "PascalCase",
    example = "Url: http://h/write",
    // Its init needs the extensions of a pipeline: tested below instead.
    conformance = false
)]
struct FlusherFixtureHttp {
    /// Where requests go.
    #[config(required)]
    url: String,
    /// The authenticator extension (`type/id`), or empty for none.
    authenticator: String,
    /// The encoder extension (`type/id`), or empty to send each log's `msg`.
    encoder: String,
    /// Found in `init`.
    #[state]
    auth: Option<Arc<dyn ClientAuthenticator>>,
    /// Found in `init`.
    #[state]
    enc: Option<Arc<dyn Encoder>>,
    /// The requests built by this instance.
    #[state]
    built: Vec<HttpRequest>,
}

impl Flusher for FlusherFixtureHttp {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        if !self.authenticator.is_empty() {
            self.auth = Some(ctx.capability::<dyn ClientAuthenticator>(&self.authenticator)?);
        }
        if !self.encoder.is_empty() {
            self.enc = Some(ctx.capability::<dyn Encoder>(&self.encoder)?);
        }
        Ok(())
    }
}

impl FlusherFixtureHttp {
    fn send(&mut self, body: Vec<u8>) -> Result<(), BoxError> {
        let mut req = HttpRequest::new("POST", self.url.clone());
        req.set_header("Content-Type", "application/x-ndjson");
        req.body = body;
        if let Some(auth) = &self.auth {
            auth.authenticate(&mut req)?;
        }
        self.built.push(req.clone());
        SENT.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(req);
        Ok(())
    }
}

impl FlusherV1 for FlusherFixtureHttp {
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
        let payloads = match &self.enc {
            Some(enc) => enc.encode_batch_v1(groups)?,
            None => groups
                .iter()
                .flat_map(|g| &g.logs)
                .map(|l| l.get("msg").unwrap_or_default().as_bytes().to_vec())
                .collect(),
        };
        for p in payloads {
            self.send(p)?;
        }
        Ok(())
    }
}

#[test]
fn through_the_harnesses_the_flusher_gets_the_other_crates_authenticator_by_name() {
    // The extension's type is private to its crate: it is built from the registry.
    let mut ext = ExtensionHarness::from_registry("ext_fixture_token", "Token: s3cret").unwrap();
    ext.register("ext_fixture_token/shared").unwrap();
    let mut h = FlusherHarness::<FlusherFixtureHttp>::from_yaml(
        "Url: http://harness/write\nAuthenticator: ext_fixture_token/shared",
    )
    .unwrap()
    .with_mock(ext.mock().clone());
    let group = LogGroup {
        logs: vec![Log::new(1, [("msg", "one")]), Log::new(2, [("msg", "two")])],
        ..LogGroup::default()
    };
    h.flush_v1(vec![group]).unwrap();
    let built = &h.plugin().built;
    assert_eq!(built.len(), 2);
    assert_eq!(built[0].header("authorization"), Some("Bearer s3cret"));
    assert_eq!(built[0].header("X-Request-Number"), Some("1"));
    assert_eq!(built[1].header("X-Request-Number"), Some("2"));
    assert_eq!(built[1].body, b"two");
    assert_eq!(
        built[1].header("content-type"),
        Some("application/x-ndjson")
    );
    h.stop().unwrap();
    ext.stop().unwrap();
}

#[test]
fn in_a_pipeline_two_flushers_share_the_declared_authenticator_and_the_encoder() {
    let mut test = PipelineTest::from_yaml(
        r#"
inputs:
  - Type: service_mock
    Fields: {msg: hello}
    MaxLogCount: 1
extensions:
  - Type: ext_fixture_token/shared
    Token: pipe-token
  - Type: ext_default_encoder/lines
    Format: json
flushers:
  - Type: flusher_fixture_http/a
    Url: http://pipeline-a/write
    Authenticator: ext_fixture_token/shared
    Encoder: ext_default_encoder/lines
  - Type: flusher_fixture_http/b
    Url: http://pipeline-b/write
    Authenticator: ext_fixture_token/shared
"#,
    )
    .unwrap();
    test.advance(Duration::from_secs(5));
    let report = test.stop();
    assert!(report.is_lossless(), "{report:?}");

    let a = sent_to("http://pipeline-a/write");
    let b = sent_to("http://pipeline-b/write");
    assert_eq!((a.len(), b.len()), (1, 1), "{a:?} {b:?}");
    assert_eq!(a[0].header("Authorization"), Some("Bearer pipe-token"));
    assert_eq!(b[0].header("Authorization"), Some("Bearer pipe-token"));
    // One extension instance: the two flushers' requests share its count.
    let mut numbers = [
        a[0].header("X-Request-Number").unwrap(),
        b[0].header("X-Request-Number").unwrap(),
    ];
    numbers.sort_unstable();
    assert_eq!(numbers, ["1", "2"]);
    // Flusher `a` encoded with `ext_default_encoder` (a third crate): a JSON line.
    let line: serde_json::Value = serde_json::from_slice(&a[0].body).unwrap();
    assert_eq!(line["msg"], "hello");
    assert_eq!(b[0].body, b"hello");
}

#[test]
fn the_built_in_basicauth_works_the_same_way() {
    let mut test = PipelineTest::from_yaml(
        r#"
inputs:
  - Type: service_mock
    Fields: {msg: x}
    MaxLogCount: 1
extensions:
  - Type: ext_basicauth/shared
    Username: Aladdin
    Password: open sesame
flushers:
  - Type: flusher_fixture_http
    Url: http://basic/write
    Authenticator: ext_basicauth/shared
"#,
    )
    .unwrap();
    test.advance(Duration::from_secs(5));
    test.stop();
    let sent = sent_to("http://basic/write");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].header("authorization"),
        Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    );
}

#[test]
fn a_pipeline_naming_a_missing_or_wrong_extension_does_not_start_and_says_which() {
    let err = PipelineTest::from_yaml(
        r#"
inputs:
  - Type: service_mock
    Fields: {msg: x}
    MaxLogCount: 1
flushers:
  - Type: flusher_fixture_http
    Url: http://missing/write
    Authenticator: ext_fixture_token/nope
"#,
    )
    .err()
    .unwrap();
    let text = pipeplug::error_chain(&err);
    assert!(
        text.contains(
            "extension `ext_fixture_token/nope`, wanted for the capability \
             `ClientAuthenticator`, is not available"
        ) && text.contains("`ext_fixture_token/nope` is not declared in the pipeline"),
        "{text}"
    );

    let err = PipelineTest::from_yaml(
        r#"
inputs:
  - Type: service_mock
    Fields: {msg: x}
    MaxLogCount: 1
extensions:
  - Type: ext_default_encoder/lines
    Format: json
flushers:
  - Type: flusher_fixture_http
    Url: http://wrong/write
    Authenticator: ext_default_encoder/lines
"#,
    )
    .err()
    .unwrap();
    let text = pipeplug::error_chain(&err);
    assert!(
        text.contains(
            "extension `ext_default_encoder/lines` does not provide the capability \
             `ClientAuthenticator` (it provides: Encoder)"
        ),
        "{text}"
    );
    assert!(sent_to("http://missing/write").is_empty() && sent_to("http://wrong/write").is_empty());
}

/// The built-in `flusher_http` (crate `pipeplug-plugins`) with the authenticator of
/// `pipeplug-test-ext-fixture`: the requests a real server receives carry its token.
#[test]
fn flusher_http_sends_with_the_other_crates_authenticator_to_a_real_server() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let mut test = PipelineTest::from_yaml(&format!(
        r#"
inputs:
  - Type: service_mock
    Fields: {{msg: hello}}
    LogsPerSecond: 3
    MaxLogCount: 3
extensions:
  - Type: ext_fixture_token/http
    Token: real-token
flushers:
  - Type: flusher_http
    RemoteURL: http://127.0.0.1:{port}/in
    Authenticator: ext_fixture_token/http
    Convert: {{Protocol: custom_single, Separator: "\n"}}
"#
    ))
    .unwrap();
    let received = std::thread::spawn(move || {
        let mut got = Vec::new();
        while let Ok(Some(mut req)) = server.recv_timeout(Duration::from_secs(30)) {
            let auth = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("Authorization"))
                .map(|h| h.value.to_string());
            let mut body = String::new();
            std::io::Read::read_to_string(req.as_reader(), &mut body).unwrap();
            req.respond(tiny_http::Response::empty(200)).unwrap();
            let lines = body.lines().count();
            got.push((auth, lines));
            if got.iter().map(|(_, n)| n).sum::<usize>() >= 3 {
                break;
            }
        }
        got
    });
    test.advance(Duration::from_secs(5));
    let report = test.stop();
    assert!(report.is_lossless(), "{report:?}");
    let got = received.join().unwrap();
    assert_eq!(got.iter().map(|(_, n)| n).sum::<usize>(), 3, "{got:?}");
    for (auth, _) in &got {
        assert_eq!(auth.as_deref(), Some("Bearer real-token"), "{got:?}");
    }
}
