//! Failed logins per address (docs/design/authentication.md#failed-logins): an address
//! (an IPv6 /64, an IPv4 address) that failed too often in the last minute is refused
//! without asking Rotur. Successful logins are never limited, since thousands of users may
//! share one address behind a NAT.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use domain::UnixSeconds;

/// The window failures are counted in, in seconds.
pub const WINDOW_SECONDS: f64 = 60.0;

/// Most addresses remembered at once; the oldest are forgotten first.
const MAX_ADDRESSES: usize = 65_536;

/// The address a limit counts by: IPv6 addresses by their /64, IPv4 addresses as they are.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        },
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: UnixSeconds,
}

/// Counts failed logins per address.
#[derive(Debug)]
pub struct AuthThrottle {
    max_failures: u32,
    failures: Mutex<HashMap<IpAddr, Failures>>,
}

impl AuthThrottle {
    /// At most `max_failures` failed logins per address and minute.
    pub fn new(max_failures: u32) -> Self {
        Self { max_failures, failures: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Failures>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether logins from `ip` are refused now.
    pub fn blocked(&self, ip: IpAddr, now: UnixSeconds) -> bool {
        let map = self.lock();
        map.get(&address_key(ip)).is_some_and(|f| now - f.since < WINDOW_SECONDS && f.count >= self.max_failures)
    }

    /// Records a failed login from `ip`.
    pub fn failed(&self, ip: IpAddr, now: UnixSeconds) {
        let mut map = self.lock();
        if map.len() >= MAX_ADDRESSES {
            map.retain(|_, f| now - f.since < WINDOW_SECONDS);
            if map.len() >= MAX_ADDRESSES {
                // Forget the oldest sixteenth at once, so a flood costs one sort per 4,096.
                let mut since: Vec<UnixSeconds> = map.values().map(|f| f.since).collect();
                since.sort_by(f64::total_cmp);
                let cut = since[MAX_ADDRESSES / 16];
                map.retain(|_, f| f.since > cut);
            }
        }
        let entry = map.entry(address_key(ip)).or_insert(Failures { count: 0, since: now });
        if now - entry.since >= WINDOW_SECONDS {
            *entry = Failures { count: 0, since: now };
        }
        entry.count = entry.count.saturating_add(1);
    }

    /// Addresses remembered (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_its_failures_for_a_minute() {
        let t = AuthThrottle::new(3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(!t.blocked(ip, 100.0));
            t.failed(ip, 100.0);
        }
        assert!(t.blocked(ip, 100.0));
        assert!(t.blocked(ip, 159.0));
        assert!(!t.blocked(ip, 160.0), "the window passed");
        assert!(!t.blocked("10.0.0.2".parse().unwrap(), 100.0), "other addresses are not");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let t = AuthThrottle::new(1);
        t.failed("2001:db8:1:2::1".parse().unwrap(), 0.0);
        assert!(t.blocked("2001:db8:1:2:ffff::9".parse().unwrap(), 1.0), "same /64");
        assert!(!t.blocked("2001:db8:1:3::1".parse().unwrap(), 1.0), "another /64");
        assert_eq!(address_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn memory_stays_bounded_under_many_addresses() {
        let t = AuthThrottle::new(5);
        for i in 0..(MAX_ADDRESSES as u32 + 1000) {
            t.failed(IpAddr::from(i.to_be_bytes()), f64::from(i) * 1e-6);
        }
        assert!(t.tracked() <= MAX_ADDRESSES);
    }
}
