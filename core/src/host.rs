//! [`HostIdentity`]: the host name and IP address a pipeline reports (iLogtail's
//! `util.GetHostName` / `util.GetIPAddress`).

use crate::GlobalConfig;
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::sync::OnceLock;

/// The host name and IPv4 address of the machine, as plugins tag data with them.
///
/// A [`Context`](crate::Context) carries one: `global.Hostname` and `global.HostIP` when the
/// pipeline config gives them, otherwise what the system says ([`HostIdentity::system`]).
///
/// ```
/// use pipeplug::{Context, GlobalConfig, HostIdentity};
///
/// let global = GlobalConfig { hostname: "web-1".into(), ..GlobalConfig::default() };
/// let ctx = Context::builder()
///     .host(HostIdentity::new("ignored", "10.0.0.7"))
///     .global(global)
///     .build();
/// assert_eq!(ctx.host_name(), "web-1"); // from `global`
/// assert_eq!(ctx.host_ip(), "10.0.0.7"); // from the builder: `global` has no `HostIP`
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostIdentity {
    host_name: String,
    host_ip: String,
}

impl HostIdentity {
    /// A fixed identity.
    #[must_use]
    pub fn new(host_name: impl Into<String>, host_ip: impl Into<String>) -> Self {
        Self {
            host_name: host_name.into(),
            host_ip: host_ip.into(),
        }
    }

    /// The machine's identity, found once per process: the host name from the kernel
    /// (`/proc/sys/kernel/hostname`, else `/etc/hostname`, else the `HOSTNAME` variable,
    /// else `localhost`), and the first non-loopback IPv4 address (the address the system
    /// would send from to reach a public address, found without sending anything; else
    /// the first local address in `/proc/net/fib_trie`; else `127.0.0.1`).
    #[must_use]
    pub fn system() -> &'static HostIdentity {
        static SYSTEM: OnceLock<HostIdentity> = OnceLock::new();
        SYSTEM.get_or_init(|| HostIdentity::new(system_host_name(), system_host_ip()))
    }

    /// This identity with `global.Hostname` and `global.HostIP` in place of its own, where
    /// the config gives them (`SetNetworkIdentification`).
    #[must_use]
    pub fn with_global(mut self, global: &GlobalConfig) -> Self {
        if !global.hostname.is_empty() {
            self.host_name.clone_from(&global.hostname);
        }
        if !global.host_ip.is_empty() {
            self.host_ip.clone_from(&global.host_ip);
        }
        self
    }

    /// The host name (`GetHostName`).
    #[must_use]
    pub fn host_name(&self) -> &str {
        &self.host_name
    }

    /// The IP address, as text (`GetIPAddress`).
    #[must_use]
    pub fn host_ip(&self) -> &str {
        &self.host_ip
    }
}

fn system_host_name() -> String {
    let from_file = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}

fn system_host_ip() -> String {
    routed_ipv4()
        .or_else(|| {
            std::fs::read_to_string("/proc/net/fib_trie")
                .ok()
                .and_then(|text| first_local_ipv4(&text))
        })
        .unwrap_or(Ipv4Addr::LOCALHOST)
        .to_string()
}

/// The source address of the route to a public address: connecting a UDP socket sends
/// nothing, it only picks the route.
fn routed_ipv4() -> Option<Ipv4Addr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(8, 8, 8, 8), 53)).ok()?;
    match socket.local_addr().ok()?.ip() {
        IpAddr::V4(ip) if usable(ip) => Some(ip),
        _ => None,
    }
}

/// The first `/32 host LOCAL` address of a `/proc/net/fib_trie` text that is not a
/// loopback address: the kernel lists each local address so, under the line naming it.
fn first_local_ipv4(fib_trie: &str) -> Option<Ipv4Addr> {
    let mut last: Option<Ipv4Addr> = None;
    for line in fib_trie.lines() {
        let line = line.trim();
        if let Some(addr) = line.strip_prefix("|-- ") {
            last = addr.trim().parse().ok();
        } else if line.contains("/32 host LOCAL") {
            if let Some(ip) = last.filter(|ip| usable(*ip)) {
                return Some(ip);
            }
        }
    }
    None
}

fn usable(ip: Ipv4Addr) -> bool {
    !ip.is_loopback() && !ip.is_unspecified()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fib_trie_gives_the_first_local_non_loopback_address() {
        let text =
            "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     \
                    +-- 127.0.0.0/8 2 0 2\n        |-- 127.0.0.1\n           /32 host LOCAL\n     \
                    |-- 172.17.0.0\n        /16 link UNICAST\n     |-- 172.17.0.2\n        \
                    /32 host LOCAL\n     |-- 10.1.2.3\n        /32 host LOCAL\n";
        assert_eq!(first_local_ipv4(text), Some(Ipv4Addr::new(172, 17, 0, 2)));
        assert_eq!(
            first_local_ipv4("|-- 127.0.0.1\n /32 host LOCAL\n"),
            None,
            "loopback only"
        );
        assert_eq!(first_local_ipv4(""), None);
    }

    #[test]
    fn the_system_identity_is_found_once_and_is_never_empty() {
        let a = HostIdentity::system();
        assert!(!a.host_name().is_empty());
        let ip: Ipv4Addr = a.host_ip().parse().expect("an IPv4 address");
        // Either a real address or the documented fallback.
        assert!(!ip.is_unspecified(), "{ip}");
        assert!(std::ptr::eq(a, HostIdentity::system()));
        if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
            assert_eq!(a.host_name(), name.trim());
        }
    }

    #[test]
    fn global_values_replace_only_what_they_give() {
        let base = HostIdentity::new("h", "10.0.0.1");
        let g = GlobalConfig {
            host_ip: "192.168.1.9".into(),
            ..GlobalConfig::default()
        };
        assert_eq!(
            base.clone().with_global(&g),
            HostIdentity::new("h", "192.168.1.9")
        );
        assert_eq!(base.clone().with_global(&GlobalConfig::default()), base);
    }
}
