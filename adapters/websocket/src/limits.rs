//! Transport settings and admission: connections are counted per client address (IPv6 by
//! its /64) and in total from the moment they are accepted, before any byte is read
//! (docs/design/transport.md#limits).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use application::connection::ConnectionLimits;
use application::services::throttle::address_key;

/// Transport limits.
#[derive(Debug, Clone)]
pub struct TransportLimits {
    /// Largest accepted frame/message in bytes.
    pub max_frame_bytes: usize,
    /// Cap on open TCP connections.
    pub max_connections: usize,
    /// Cap on open connections per client address.
    pub max_connections_per_ip: usize,
    /// Proxies allowed to name the client address (IP or CIDR).
    pub trusted_proxies: Vec<String>,
    /// Allowed `Origin` headers (`None` = any).
    pub allowed_origins: Option<Vec<String>>,
    /// Deepest JSON nesting accepted.
    pub max_json_depth: usize,
    /// A connection whose HTTP request head is not complete this long after it was
    /// accepted (or after its previous response, on a kept-alive connection) is closed.
    pub request_head_timeout: Duration,
    /// The lifecycle of each WebSocket.
    pub connection: Arc<ConnectionLimits>,
    /// Server assets served at `/server-assets/<name>` (`icon`, `banner`) → file.
    pub server_assets: Vec<(String, std::path::PathBuf)>,
    /// The folder of emoji images, served at `/emojis/<file>` for the files records name.
    pub emoji_dir: std::path::PathBuf,
}

impl Default for TransportLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 1_048_576,
            max_connections: 20_000,
            max_connections_per_ip: 100,
            trusted_proxies: vec![],
            allowed_origins: None,
            max_json_depth: 32,
            request_head_timeout: Duration::from_secs(10),
            connection: Arc::new(ConnectionLimits::default()),
            server_assets: vec![],
            emoji_dir: std::path::PathBuf::from("db/serverEmojis"),
        }
    }
}

impl TransportLimits {
    /// Whether `peer` is a trusted proxy.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|entry| cidr_contains(entry, peer))
    }

    /// The client behind `peer`: for a trusted proxy, the rightmost `X-Forwarded-For` hop
    /// that is not itself a trusted proxy (or `CF-Connecting-IP`); `peer` otherwise.
    pub fn client_address(&self, peer: IpAddr, cf_connecting_ip: Option<&str>, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        if let Some(ip) = cf_connecting_ip.and_then(|v| v.trim().parse().ok()) {
            return ip;
        }
        let hops = forwarded_for.unwrap_or_default().split(',').rev().map(str::trim);
        for hop in hops {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => continue,
                Ok(ip) => return ip,
                Err(_) => break,
            }
        }
        peer
    }
}

/// Whether `entry` (an address or a CIDR block) contains `ip`. An IPv4 address a dual-stack
/// socket reports as IPv4-mapped IPv6 counts as the IPv4 address.
pub(crate) fn cidr_contains(entry: &str, ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    let (net, bits) = match entry.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (entry, None),
    };
    let Ok(net) = net.trim().parse::<IpAddr>() else { return false };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// Counts open connections, in total and per client address.
#[derive(Debug, Default)]
pub struct Admission {
    counts: Mutex<Counts>,
}

/// Holds one admitted connection; releases it when dropped.
#[derive(Debug)]
pub struct Ticket {
    admission: Arc<Admission>,
    address: Option<IpAddr>,
    counts_in_total: bool,
}

impl Admission {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a connection just accepted from `peer`: it counts in the total and, unless
    /// `peer` is a trusted proxy (whose clients are counted at the upgrade, by the address
    /// the proxy names), against its address.
    pub fn admit_accepted(self: &Arc<Self>, peer: IpAddr, limits: &TransportLimits) -> Option<Ticket> {
        let address = (!limits.trusts(peer)).then(|| address_key(peer));
        let mut counts = self.lock();
        if counts.total >= limits.max_connections {
            return None;
        }
        if let Some(a) = address {
            let mine = counts.per_address.entry(a).or_insert(0);
            if *mine >= limits.max_connections_per_ip {
                if *mine == 0 {
                    counts.per_address.remove(&a);
                }
                return None;
            }
            *mine += 1;
        }
        counts.total += 1;
        Some(Ticket { admission: self.clone(), address, counts_in_total: true })
    }

    /// Admits a WebSocket of `client`, named by a trusted proxy: it counts against that
    /// client's address (the proxy's connection already counts in the total).
    pub fn admit_forwarded(self: &Arc<Self>, client: IpAddr, limits: &TransportLimits) -> Option<Ticket> {
        let address = address_key(client);
        let mut counts = self.lock();
        let mine = counts.per_address.entry(address).or_insert(0);
        if *mine >= limits.max_connections_per_ip {
            if *mine == 0 {
                counts.per_address.remove(&address);
            }
            return None;
        }
        *mine += 1;
        Some(Ticket { admission: self.clone(), address: Some(address), counts_in_total: false })
    }

    /// Open connections in total.
    pub fn total(&self) -> usize {
        self.lock().total
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = self.admission.lock();
        if self.counts_in_total {
            counts.total -= 1;
        }
        if let Some(a) = self.address
            && let Some(n) = counts.per_address.get_mut(&a)
        {
            *n -= 1;
            if *n == 0 {
                counts.per_address.remove(&a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidrs() {
        assert!(cidr_contains("10.0.0.0/8", ip("10.1.2.3")));
        assert!(!cidr_contains("10.0.0.0/8", ip("11.1.2.3")));
        assert!(cidr_contains("127.0.0.1", ip("127.0.0.1")));
        assert!(cidr_contains("::1/128", ip("::1")));
        assert!(!cidr_contains("garbage", ip("::1")));
        assert!(cidr_contains("127.0.0.0/8", ip("::ffff:127.0.0.1")), "IPv4-mapped counts as IPv4");
    }

    #[test]
    fn admission_caps_per_address_and_in_total_and_releases() {
        let limits = TransportLimits { max_connections_per_ip: 1, max_connections: 2, ..Default::default() };
        let a = Arc::new(Admission::default());
        let t = a.admit_accepted(ip("127.0.0.1"), &limits).unwrap();
        assert!(a.admit_accepted(ip("127.0.0.1"), &limits).is_none());
        let other = a.admit_accepted(ip("127.0.0.2"), &limits).unwrap();
        assert!(a.admit_accepted(ip("127.0.0.3"), &limits).is_none(), "two in total");
        drop(t);
        assert!(a.admit_accepted(ip("127.0.0.1"), &limits).is_some());
        drop(other);
        assert_eq!(a.total(), 0);
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let limits = TransportLimits { max_connections_per_ip: 2, ..Default::default() };
        let a = Arc::new(Admission::default());
        let _one = a.admit_accepted(ip("2001:db8::1"), &limits).unwrap();
        let _two = a.admit_accepted(ip("2001:db8::ffff:2"), &limits).unwrap();
        assert!(a.admit_accepted(ip("2001:db8::3"), &limits).is_none(), "same /64");
        assert!(a.admit_accepted(ip("2001:db8:0:1::3"), &limits).is_some(), "another /64");
    }

    #[test]
    fn trusted_proxies_count_their_clients_not_themselves() {
        let limits = TransportLimits {
            max_connections_per_ip: 1,
            trusted_proxies: vec!["10.0.0.1".into()],
            ..Default::default()
        };
        let a = Arc::new(Admission::default());
        let proxy = ip("10.0.0.1");
        let _p1 = a.admit_accepted(proxy, &limits).unwrap();
        let _p2 = a.admit_accepted(proxy, &limits).unwrap();
        let _c = a.admit_forwarded(ip("203.0.113.9"), &limits).unwrap();
        assert!(a.admit_forwarded(ip("203.0.113.9"), &limits).is_none());
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let limits =
            TransportLimits { trusted_proxies: vec!["10.0.0.0/8".into(), "192.168.1.1".into()], ..Default::default() };
        let proxy = ip("10.0.0.1");
        let forwarded = Some("1.1.1.1, 203.0.113.9, 192.168.1.1, 10.2.3.4");
        assert_eq!(limits.client_address(proxy, None, forwarded), ip("203.0.113.9"), "a client cannot name itself");
        assert_eq!(limits.client_address(proxy, Some("198.51.100.7"), forwarded), ip("198.51.100.7"));
        assert_eq!(
            limits.client_address(ip("8.8.8.8"), None, forwarded),
            ip("8.8.8.8"),
            "untrusted peers are themselves"
        );
        assert_eq!(limits.client_address(proxy, None, Some("garbage")), proxy);
        assert_eq!(limits.client_address(proxy, None, Some("10.9.9.9")), proxy, "only proxies");
    }
}
