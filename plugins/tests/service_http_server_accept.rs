//! `service_http_server` when accepting fails: out of file descriptors, tiny_http's accept
//! thread ends; the input binds its address again and serves on. A test binary of its own:
//! it lowers the process's file limit, which would upset tests running beside it.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use pipeplug::testing::ServiceInputHarness;
use pipeplug_plugins::ServiceHttpServer;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

/// This process's limit of open files, `SOFT` or `HARD`, read with `prlimit` (util-linux);
/// `None` when the tool is missing.
fn nofile(column: &str) -> Option<String> {
    let pid = std::process::id().to_string();
    let out = Command::new("prlimit")
        .args([
            "--pid",
            &pid,
            "--nofile",
            "--noheadings",
            "--output",
            column,
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Sets this process's soft limit of open files with `prlimit`.
fn set_nofile(soft: &str, hard: &str) -> bool {
    let pid = std::process::id().to_string();
    Command::new("prlimit")
        .args(["--pid", &pid, &format!("--nofile={soft}:{hard}")])
        .status()
        .is_ok_and(|s| s.success())
}

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

/// POSTs a small JSON body; the status, or `None` when the connection fails.
fn post(addr: SocketAddr) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let body = b"{\"a\":1}\n";
    let head = format!(
        "POST / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    reply.split(' ').nth(1)?.parse().ok()
}

#[test]
fn out_of_file_descriptors_the_server_binds_again_and_serves_on() {
    let mut h: ServiceInputHarness<ServiceHttpServer> =
        ServiceInputHarness::from_yaml("Format: json\nAddress: 127.0.0.1:0").unwrap();
    h.start_v2().unwrap();
    let addr = h.plugin().local_addr().unwrap();
    assert_eq!(post(addr), Some(204));

    // Room for a few more descriptors only; then connections until accepting fails.
    let (Some(soft), Some(hard)) = (nofile("SOFT"), nofile("HARD")) else {
        eprintln!("SKIPPED: `prlimit` (util-linux) is not available to lower the file limit");
        h.stop().unwrap();
        return;
    };
    let limit = (open_fds() + 8).to_string();
    assert!(set_nofile(&limit, &hard), "lowering the file limit");
    // Every descriptor taken, then one given back for a connection: the server, accepting
    // it, finds none left. (Connecting until connecting fails would race with the server,
    // which may accept each connection while descriptors remain and never meet the limit.)
    let mut held_files = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        held_files.push(f);
        assert!(held_files.len() < 10_000, "the file limit did not take");
    }
    // One given back for the connection (another if something else in this process took
    // it first): the server, accepting it, finds none left.
    let mut connection = None;
    for _ in 0..3 {
        held_files.pop();
        if let Ok(c) = TcpStream::connect(addr) {
            connection = Some(c);
            break;
        }
    }
    let held = (
        held_files,
        connection.expect("a connection on a descriptor given back"),
    );
    let failed = |h: &ServiceInputHarness<ServiceHttpServer>| {
        h.context()
            .log_records()
            .iter()
            .any(|r| r.message.contains("accepting connections failed"))
    };
    // A loaded machine may take a while to get there: at most 10 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !failed(&h) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(held);
    assert!(set_nofile(&soft, &hard), "restoring the file limit");

    // Serving again within a few seconds (the address is bound again once a second).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if post(addr) == Some(204) {
            break;
        }
        assert!(Instant::now() < deadline, "not serving again");
        std::thread::sleep(Duration::from_millis(100));
    }
    h.stop().unwrap();
    let records: Vec<String> = h
        .context()
        .log_records()
        .into_iter()
        .map(|r| r.message)
        .collect();
    assert!(
        records
            .iter()
            .any(|m| m.contains("accepting connections failed")),
        "{records:?}"
    );
    assert!(
        records.iter().any(|m| m.contains("listening again")),
        "{records:?}"
    );
    assert!(h.events().len() >= 2);
}
