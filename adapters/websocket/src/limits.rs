//! Transport settings and connection admission (global and per-IP caps).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Transport limits (docs/design/transport.md#limits).
#[derive(Debug, Clone)]
pub struct TransportLimits {
    /// Largest accepted frame/message in bytes.
    pub max_frame_bytes: usize,
    /// Close sockets that have not authenticated in this time.
    pub auth_deadline: Duration,
    /// Cap on open WebSockets.
    pub max_connections: usize,
    /// Cap on open WebSockets per client address.
    pub max_connections_per_ip: usize,
    /// Proxies allowed to name the client address (IP or CIDR).
    pub trusted_proxies: Vec<String>,
    /// Allowed `Origin` headers (`None` = any).
    pub allowed_origins: Option<Vec<String>>,
    /// Deepest JSON nesting accepted.
    pub max_json_depth: usize,
    /// WebSocket Ping interval.
    pub ws_ping_interval: Duration,
    /// Close when nothing was heard for this long.
    pub ws_ping_timeout: Duration,
    /// Outbound queue length, in packets.
    pub outbound_queue: usize,
    /// Application `{"cmd":"ping"}` interval.
    pub heartbeat_interval: Duration,
    /// Server assets served at `/server-assets/<name>` (`icon`, `banner`) → file.
    pub server_assets: Vec<(String, std::path::PathBuf)>,
}

impl Default for TransportLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 1_048_576,
            auth_deadline: Duration::from_secs(60),
            max_connections: 20_000,
            max_connections_per_ip: 100,
            trusted_proxies: vec![],
            allowed_origins: None,
            max_json_depth: 32,
            ws_ping_interval: Duration::from_secs(30),
            ws_ping_timeout: Duration::from_secs(90),
            outbound_queue: 1024,
            heartbeat_interval: Duration::from_secs(30),
            server_assets: vec![],
        }
    }
}

impl TransportLimits {
    /// Whether `peer` is a trusted proxy.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|entry| cidr_contains(entry, peer))
    }
}

fn cidr_contains(entry: &str, ip: IpAddr) -> bool {
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

/// Counts open WebSockets, globally and per address.
#[derive(Debug, Default)]
pub struct Admission {
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// Holds one admitted connection; releases it when dropped.
pub struct Ticket {
    admission: Arc<Admission>,
    ip: IpAddr,
}

impl Admission {
    /// Admits a connection from `ip` if both caps allow it.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, limits: &TransportLimits) -> Option<Ticket> {
        let mut map = self.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = map.values().sum();
        let mine = map.get(&ip).copied().unwrap_or(0);
        if total >= limits.max_connections || mine >= limits.max_connections_per_ip {
            return None;
        }
        *map.entry(ip).or_insert(0) += 1;
        Some(Ticket { admission: self.clone(), ip })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut map = self.admission.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(cidr_contains("10.0.0.0/8", ip("10.1.2.3")));
        assert!(!cidr_contains("10.0.0.0/8", ip("11.1.2.3")));
        assert!(cidr_contains("127.0.0.1", ip("127.0.0.1")));
        assert!(cidr_contains("::1/128", ip("::1")));
        assert!(!cidr_contains("garbage", ip("::1")));
    }

    #[test]
    fn admission_caps_per_ip_and_releases() {
        let limits = TransportLimits { max_connections_per_ip: 1, ..Default::default() };
        let a = Arc::new(Admission::default());
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let t = a.admit(ip, &limits).unwrap();
        assert!(a.admit(ip, &limits).is_none());
        drop(t);
        assert!(a.admit(ip, &limits).is_some());
    }
}
