//! `Address` (and `Endpoint`): where to listen and which path to serve.

use std::path::PathBuf;

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Bind {
    /// A TCP `host:port` (port 0: any free port).
    Tcp(String),
    /// A Unix socket at this path.
    Unix(PathBuf),
}

/// A parsed `Address` + `Endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Listen {
    /// Where to listen.
    pub(super) bind: Bind,
    /// The only path served (others get 404); `None`: every path.
    pub(super) path: Option<String>,
}

/// Reads `address` as iLogtail does (`http://host:port`, `tcp://host:port`,
/// `unix:///path/to.sock`, or a bare `host:port`), with a path after the host (and the
/// `Endpoint` appended to it) as the one path served. The error says what is wrong.
pub(super) fn parse(address: &str, endpoint: &str) -> Result<Listen, String> {
    let address = address.trim();
    if address.is_empty() {
        return Err("`Address` is empty (e.g. `http://127.0.0.1:8080`)".to_owned());
    }
    if let Some(path) = address.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(format!(
                "`Address` `{address}` has no socket path (e.g. `unix:///tmp/in.sock`)"
            ));
        }
        return Ok(Listen {
            bind: Bind::Unix(PathBuf::from(path)),
            path: served_path("", endpoint),
        });
    }
    if address.starts_with("https://") {
        return Err(format!(
            "`Address` `{address}`: HTTPS is not supported (listen on `http://`)"
        ));
    }
    let rest = address
        .strip_prefix("http://")
        .or_else(|| address.strip_prefix("tcp://"))
        .unwrap_or(address);
    if rest.contains("://") {
        return Err(format!(
            "`Address` `{address}`: unknown scheme (use `http://`, `tcp://` or `unix://`)"
        ));
    }
    let (host_port, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    // The host may be `[::1]`; the port is after the last colon. No host (`:8080`) means
    // every interface, as Go's.
    let Some((host, port)) = host_port
        .rsplit_once(':')
        .filter(|(host, port)| !host.ends_with('[') && port.parse::<u16>().is_ok())
    else {
        return Err(format!(
            "`Address` `{address}` has no valid port (e.g. `http://127.0.0.1:8080`)"
        ));
    };
    let host_port = if host.is_empty() {
        format!("0.0.0.0:{port}")
    } else {
        host_port.to_owned()
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    Ok(Listen {
        bind: Bind::Tcp(host_port),
        path: served_path(path, endpoint),
    })
}

/// The path of the address followed by the endpoint; `None` when that is empty or `/`.
fn served_path(path: &str, endpoint: &str) -> Option<String> {
    let mut full = path.trim_end_matches('/').to_owned();
    let endpoint = endpoint.trim();
    if !endpoint.is_empty() {
        if !endpoint.starts_with('/') {
            full.push('/');
        }
        full.push_str(endpoint);
    }
    let full = full.trim_end_matches('/');
    (!full.is_empty()).then(|| {
        if full.starts_with('/') {
            full.to_owned()
        } else {
            format!("/{full}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(a: &str, e: &str) -> (String, Option<String>) {
        match parse(a, e).unwrap() {
            Listen {
                bind: Bind::Tcp(hp),
                path,
            } => (hp, path),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tcp_addresses_with_and_without_paths() {
        assert_eq!(
            tcp("http://127.0.0.1:8080", ""),
            ("127.0.0.1:8080".into(), None)
        );
        assert_eq!(tcp("127.0.0.1:0", ""), ("127.0.0.1:0".into(), None));
        assert_eq!(tcp("http://:8080", ""), ("0.0.0.0:8080".into(), None));
        assert_eq!(tcp("tcp://0.0.0.0:9/", ""), ("0.0.0.0:9".into(), None));
        assert_eq!(
            tcp("http://[::1]:8080/write?x=1", ""),
            ("[::1]:8080".into(), Some("/write".into()))
        );
        assert_eq!(
            tcp("http://h:1/api/", "v1/logs"),
            ("h:1".into(), Some("/api/v1/logs".into()))
        );
        assert_eq!(
            tcp("http://h:1", "/write"),
            ("h:1".into(), Some("/write".into()))
        );
    }

    #[test]
    fn unix_addresses() {
        let l = parse("unix:///tmp/in.sock", "/write").unwrap();
        assert_eq!(l.bind, Bind::Unix(PathBuf::from("/tmp/in.sock")));
        assert_eq!(l.path.as_deref(), Some("/write"));
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        let cases = [
            ("", "is empty"),
            ("unix://", "no socket path"),
            ("https://h:1", "HTTPS is not supported"),
            ("ftp://h:1", "unknown scheme"),
            ("http://h", "no valid port"),
            ("http://h:", "no valid port"),
            ("http://h:99999", "no valid port"),
        ];
        for (address, want) in cases {
            let err = parse(address, "").unwrap_err();
            assert!(err.contains(want), "{address}: {err}");
        }
    }
}
