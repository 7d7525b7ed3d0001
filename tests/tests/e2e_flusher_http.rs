//! `flusher_http` in a whole pipeline on the real engine (`PipelineTest`), sending to a real
//! HTTP server on 127.0.0.1: what arrives, and what the stop report counts when the server
//! refuses for good.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug_agent::testing::PipelineTest;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server that answers every request `status` and keeps the bodies; stops when dropped.
struct Server {
    url: String,
    bodies: Arc<Mutex<Vec<String>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(status: u16) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (server, bodies) = (Arc::clone(&server), Arc::clone(&bodies));
            std::thread::spawn(move || {
                for mut req in server.incoming_requests() {
                    let mut body = String::new();
                    req.as_reader().read_to_string(&mut body).unwrap();
                    bodies.lock().unwrap().push(body);
                    let _ = req.respond(tiny_http::Response::empty(status));
                }
            })
        };
        Self {
            url: format!("http://127.0.0.1:{port}"),
            bodies,
            server,
            thread: Some(thread),
        }
    }

    fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn pipeline(url: &str, structure: &str) -> String {
    format!(
        r#"
global:
  StructureType: {structure}
inputs:
  - Type: service_mock
    Fields: {{msg: hello}}
    LogsPerSecond: 3
    MaxLogCount: 3
flushers:
  - Type: flusher_http
    RemoteURL: "{url}/ingest"
    Convert: {{Protocol: custom_single_flatten, Separator: "\n"}}
    Delivery: {{MaxRetries: 0}}
"#
    )
}

#[test]
fn a_v1_pipeline_delivers_every_log_to_the_server() {
    let server = Server::start(200);
    let mut test = PipelineTest::from_yaml(&pipeline(&server.url, "v1")).unwrap();
    test.advance(Duration::from_secs(5));
    let report = test.stop();
    assert!(report.is_lossless(), "{report:?}");
    assert_eq!(report.flushers[0].flushed, 3, "{report:?}");
    let lines: Vec<serde_json::Value> = server
        .bodies()
        .iter()
        .flat_map(|b| {
            b.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let indexes: Vec<&str> = lines.iter().map(|l| l["Index"].as_str().unwrap()).collect();
    assert_eq!(indexes, ["1", "2", "3"]);
    assert!(lines.iter().all(|l| l["msg"] == "hello"));
}

#[test]
fn a_v2_pipeline_delivers_every_event_to_the_server() {
    let server = Server::start(200);
    let mut test = PipelineTest::from_yaml(&pipeline(&server.url, "v2")).unwrap();
    test.advance(Duration::from_secs(5));
    let report = test.stop();
    assert!(report.is_lossless(), "{report:?}");
    let text = server.bodies().concat();
    assert_eq!(text.matches("\"msg\":\"hello\"").count(), 3, "{text}");
}

#[test]
fn a_server_that_refuses_for_good_is_counted_as_permanent_drops() {
    let server = Server::start(400);
    let mut test = PipelineTest::from_yaml(&pipeline(&server.url, "v1")).unwrap();
    test.advance(Duration::from_secs(5));
    let report = test.stop();
    let f = &report.flushers[0];
    assert_eq!(f.flushed, 0, "{report:?}");
    assert_eq!(f.drops.permanent, 3, "{report:?}");
    assert_eq!(server.bodies().len(), 1, "a 400 is not retried");
}
