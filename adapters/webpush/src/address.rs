//! Where pushes may go (docs/design/push.md#endpoints): `https://` URLs whose host is, and
//! resolves only to, public addresses, so that a client cannot make the server post to
//! its own network (SSRF). The check runs when a client subscribes and again on every
//! connection the HTTP client makes ([`PublicResolver`]), so a name that later resolves
//! to a private address is refused too. With `push.allow_private_endpoints` (tests)
//! any address is accepted, and `http://` as well for loopback hosts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use application::ports::SubscriptionProblem;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether `ip` is a public unicast address: not unspecified, loopback, private, shared
/// (CGNAT), link-local, documentation, benchmarking, multicast or reserved; IPv6 addresses
/// that embed an IPv4 address (mapped, NAT64, 6to4) are judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let private = a == 0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 192 && b == 88 && c == 99)
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224;
    !private
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    match s {
        // NAT64 well-known prefix 64:ff9b::/96.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => is_public_v4(embedded(hi, lo)),
        // 6to4 2002::/16 carries the IPv4 address in the next 32 bits.
        [0x2002, hi, lo, ..] => is_public_v4(embedded(hi, lo)),
        // Documentation 2001:db8::/32 and 3fff::/20, IETF protocol space 2001::/23 (Teredo, …).
        [0x2001, 0xdb8, ..] => false,
        [0x2001, second, ..] if second < 0x200 => false,
        [first, ..] if first & 0xfff0 == 0x3ff0 => false,
        // Global unicast 2000::/3; everything else (::, ::1, fc00::/7, fe80::/10, ff00::/8,
        // the NAT64 local-use prefix, discard-only 100::/64, …) is not public.
        [first, ..] => first & 0xe000 == 0x2000,
    }
}

/// The host of an endpoint: an address literal or a name.
enum Host {
    Ip(IpAddr),
    Name(String),
}

fn host_of(url: &Url) -> Option<Host> {
    let host = url.host_str()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    Some(match bare.parse::<IpAddr>() {
        Ok(ip) => Host::Ip(ip),
        Err(_) => Host::Name(host.to_ascii_lowercase()),
    })
}

/// A push endpoint that passed the checks that need no network.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The URL.
    pub url: Url,
    /// Its origin (scheme, host and any non-default port): the JWT's `aud`.
    pub origin: String,
    /// The host name to resolve, when the host is not an address literal.
    name: Option<String>,
}

/// Checks the scheme and, for an address literal, the address.
pub fn parse_endpoint(raw: &str, allow_private: bool) -> Result<Endpoint, SubscriptionProblem> {
    let url = Url::parse(raw).map_err(|_| SubscriptionProblem::EndpointNotHttps)?;
    let host = host_of(&url).ok_or(SubscriptionProblem::EndpointNotHttps)?;
    let loopback = match &host {
        Host::Ip(ip) => ip.is_loopback(),
        Host::Name(name) => name == "localhost",
    };
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && allow_private && loopback);
    if !scheme_ok {
        return Err(SubscriptionProblem::EndpointNotHttps);
    }
    if let Host::Ip(ip) = host
        && !allow_private
        && !is_public(ip)
    {
        return Err(SubscriptionProblem::EndpointNotPublic);
    }
    let name = match host {
        Host::Name(n) => Some(n),
        Host::Ip(_) => None,
    };
    Ok(Endpoint { origin: url.origin().ascii_serialization(), url, name })
}

/// Resolves `name`; refuses it when any address is not public.
pub async fn resolve_public(name: &str, timeout: Duration) -> Result<Vec<SocketAddr>, SubscriptionProblem> {
    let lookup = tokio::net::lookup_host((name, 0));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(timeout, lookup).await {
        Ok(Ok(found)) => found.collect(),
        _ => return Err(SubscriptionProblem::EndpointUnresolvable),
    };
    if addrs.is_empty() {
        return Err(SubscriptionProblem::EndpointUnresolvable);
    }
    if addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(SubscriptionProblem::EndpointNotPublic);
    }
    Ok(addrs)
}

impl Endpoint {
    /// Resolves the host name (if any) and checks its addresses, unless `allow_private`.
    pub async fn check_addresses(&self, allow_private: bool, timeout: Duration) -> Result<(), SubscriptionProblem> {
        match &self.name {
            Some(name) if !allow_private => resolve_public(name, timeout).await.map(drop),
            _ => Ok(()),
        }
    }
}

/// The HTTP client's resolver when private endpoints are not allowed: a name that
/// resolves to any non-public address is not connected to.
#[derive(Debug, Clone)]
pub struct PublicResolver {
    /// How long a lookup may take.
    pub timeout: Duration,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (name, timeout) = (name.as_str().to_owned(), self.timeout);
        Box::pin(async move {
            match resolve_public(&name, timeout).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                Err(problem) => Err(format!("{name}: {problem:?}").into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for s in [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
            "3fff::1",
        ] {
            assert!(!public(s), "{s} must not count as public");
        }
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::",
        ] {
            assert!(public(s), "{s} is public");
        }
    }

    #[test]
    fn endpoints_must_be_https_on_a_public_host() {
        let ok = parse_endpoint("https://fcm.googleapis.com/fcm/send/abc", false).unwrap();
        assert_eq!(ok.origin, "https://fcm.googleapis.com");
        assert_eq!(parse_endpoint("https://push.example:8443/x", false).unwrap().origin, "https://push.example:8443");
        for (raw, problem) in [
            ("http://push.example/x", SubscriptionProblem::EndpointNotHttps),
            ("ftp://push.example/x", SubscriptionProblem::EndpointNotHttps),
            ("not a url", SubscriptionProblem::EndpointNotHttps),
            ("", SubscriptionProblem::EndpointNotHttps),
            ("https://127.0.0.1/x", SubscriptionProblem::EndpointNotPublic),
            ("https://[::1]:9/x", SubscriptionProblem::EndpointNotPublic),
            ("https://169.254.169.254/latest", SubscriptionProblem::EndpointNotPublic),
            ("https://[::ffff:192.168.0.1]/x", SubscriptionProblem::EndpointNotPublic),
            ("http://127.0.0.1:8080/x", SubscriptionProblem::EndpointNotHttps),
        ] {
            assert_eq!(parse_endpoint(raw, false).map(|e| e.origin), Err(problem), "{raw}");
        }
    }

    #[test]
    fn allowing_private_endpoints_admits_http_only_on_loopback() {
        assert_eq!(parse_endpoint("http://127.0.0.1:8080/x", true).unwrap().origin, "http://127.0.0.1:8080");
        assert!(parse_endpoint("http://localhost:8080/x", true).is_ok());
        assert!(parse_endpoint("https://10.0.0.1/x", true).is_ok());
        assert_eq!(
            parse_endpoint("http://10.0.0.1/x", true).map(|e| e.origin),
            Err(SubscriptionProblem::EndpointNotHttps)
        );
    }

    #[tokio::test]
    async fn names_that_resolve_to_private_addresses_are_refused() {
        let e = parse_endpoint("https://localhost/x", false).unwrap();
        assert_eq!(e.check_addresses(false, Duration::from_secs(5)).await, Err(SubscriptionProblem::EndpointNotPublic));
        assert_eq!(e.check_addresses(true, Duration::from_secs(5)).await, Ok(()));
        let missing = parse_endpoint("https://no-such-host.invalid/x", false).unwrap();
        assert_eq!(
            missing.check_addresses(false, Duration::from_secs(5)).await,
            Err(SubscriptionProblem::EndpointUnresolvable)
        );
    }

    proptest! {
        /// Every address of a private IPv4 range is refused, also inside IPv6 forms.
        #[test]
        fn private_v4_ranges_stay_private(host in any::<u32>(), range in 0usize..6) {
            let (base, bits) = [(0x0a00_0000u32, 8), (0x7f00_0000, 8), (0xac10_0000, 12), (0xc0a8_0000, 16), (0xa9fe_0000, 16), (0x6440_0000, 10)][range];
            let ip = Ipv4Addr::from(base | (host >> bits));
            prop_assert!(!is_public(IpAddr::V4(ip)));
            prop_assert!(!is_public(IpAddr::V6(ip.to_ipv6_mapped())));
        }
    }
}
