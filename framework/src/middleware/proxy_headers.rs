//! [`ProxyHeaders`]: the real client address and scheme from
//! `X-Forwarded-For` and `X-Forwarded-Proto`, believed only when a trusted
//! proxy sent them.

use std::net::{IpAddr, SocketAddr};

use http::{HeaderMap, HeaderName};

use crate::request::{Request, Scheme};

/// How the app reads `X-Forwarded-For` and `X-Forwarded-Proto`, as
/// uvicorn's `--proxy-headers` and `--forwarded-allow-ips` do.
///
/// It is applied to every request before the first middleware runs, so
/// that [`Request::client`] and [`Request::scheme`] (and with them logs,
/// rate limits, `request.url()` and HTTPS redirects) see the real client
/// behind nginx or a load balancer, while a client that talks to the app
/// directly cannot pretend to be someone else.
///
/// The defaults are uvicorn's: on, trusting `127.0.0.1` and `::1` (a proxy
/// on the same host). Set it in [`Config`](crate::app::Config), or on the
/// command line of [`App::run`](crate::App::run) as uvicorn does:
/// `--no-proxy-headers`, `--forwarded-allow-ips "10.0.0.0/8,127.0.0.1"`, or
/// the `FORWARDED_ALLOW_IPS` variable.
///
/// The rules, uvicorn's `ProxyHeadersMiddleware`'s:
///
/// - Nothing changes unless the peer (the address that opened the
///   connection) is trusted.
/// - `X-Forwarded-Proto`: its last occurrence, trimmed; `http`, `https`,
///   `ws` or `wss` (exactly, lowercase) sets the scheme; anything else is
///   ignored.
/// - `X-Forwarded-For`: all occurrences joined, split on commas, trimmed.
///   Each proxy appends the address it saw, so the list is read from the
///   right and the client is the first address that is not trusted: the
///   one the nearest trusted proxy saw. Entries to its left were written by
///   the client and are ignored. If every entry is trusted, the client is
///   the leftmost. With `*`, every address is trusted and the client is the
///   leftmost entry.
/// - An entry may carry a port (`203.0.113.7:4711`, `[2001:db8::1]:4711`);
///   without one the port is 0.
///
/// Trusted hosts are IP addresses (`127.0.0.1`, `::1`), networks
/// (`10.0.0.0/8`, `fd00::/8`), `*` for every address, or other literals,
/// which can only match an `X-Forwarded-For` entry spelled the same
/// (uvicorn uses them for UNIX socket paths).
///
/// Where this departs from uvicorn, on purpose:
///
/// - An IPv4 address seen through a dual-stack socket (`::ffff:127.0.0.1`)
///   is the IPv4 address it carries, so `127.0.0.1` trusts it.
/// - A network with host bits set (`10.0.0.1/8`) means its network
///   (`10.0.0.0/8`), where Python's `ip_network` rejects it and uvicorn
///   then silently treats it as a literal that matches nothing.
/// - `*` inside a list (`127.0.0.1,*`) trusts every address too, where
///   uvicorn honours only a lone `*`.
/// - A client entry that is not an IP address (`unknown`, a typo) leaves the
///   client as the peer: uvicorn stores the text as the client's host,
///   which a socket address cannot hold.
///
/// ```
/// use framework::App;
/// use framework::middleware::ProxyHeaders;
///
/// // Behind a load balancer in the 10.0.0.0/8 network.
/// let app = App::new().config(|c| c.proxy_headers = ProxyHeaders::new().trust("10.0.0.0/8"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyHeaders {
    enabled: bool,
    trusted: TrustedHosts,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct TrustedHosts {
    all: bool,
    addresses: Vec<IpAddr>,
    networks: Vec<(IpAddr, u8)>,
    literals: Vec<Box<str>>,
}

/// uvicorn's default for `--forwarded-allow-ips`.
const DEFAULT_TRUSTED: &str = "127.0.0.1,::1";

impl ProxyHeaders {
    /// On, trusting `127.0.0.1` and `::1`: uvicorn's defaults.
    pub fn new() -> Self {
        ProxyHeaders {
            enabled: true,
            trusted: TrustedHosts::parse(DEFAULT_TRUSTED),
        }
    }

    /// Off: the client and scheme are always what the socket saw
    /// (`--no-proxy-headers`).
    pub fn disabled() -> Self {
        ProxyHeaders {
            enabled: false,
            ..ProxyHeaders::new()
        }
    }

    /// Turns reading the headers on or off, keeping the trusted hosts.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Trusts these hosts instead, given as `--forwarded-allow-ips` takes
    /// them: comma-separated addresses, networks, `*` or literals
    /// (`"10.0.0.0/8, 127.0.0.1"`).
    pub fn trust(mut self, hosts: &str) -> Self {
        self.trusted = TrustedHosts::parse(hosts);
        self
    }

    /// Whether the headers are read.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Whether the proxy at `peer` is trusted.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.trusted.contains_ip(peer)
    }

    /// Sets the request's client and scheme from its headers, when they
    /// come from a trusted proxy.
    pub fn apply(&self, request: &mut Request) {
        let (client, scheme) = self.resolve(request.client(), request.headers());
        if let Some(scheme) = scheme {
            request.set_scheme(scheme);
        }
        if let Some(client) = client {
            request.set_client(client);
        }
    }

    /// The client and scheme the headers give, when `peer` is a trusted
    /// proxy; `None` for what stays as the socket saw it.
    pub(crate) fn resolve(
        &self,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
    ) -> (Option<SocketAddr>, Option<Scheme>) {
        let trusted = peer.is_some_and(|peer| self.trusted.contains_ip(peer.ip()));
        if !self.enabled || !trusted {
            return (None, None);
        }
        // One pass over the headers: a lookup hashes the name, and hashing
        // a name that is not a standard one costs ~200 instructions, twice
        // on every request from a trusted peer (every request, by default).
        // Values of one name come in the order they were sent.
        static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
        static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
        let mut proto = None;
        let mut forwarded_for: Option<String> = None;
        for (name, value) in headers {
            if *name == X_FORWARDED_PROTO {
                proto = Some(value);
            } else if *name == X_FORWARDED_FOR {
                let joined = forwarded_for.get_or_insert_with(String::new);
                if !joined.is_empty() {
                    joined.push_str(", ");
                }
                joined.push_str(&latin1(value.as_bytes()));
            }
        }
        let scheme = proto.and_then(|value| parse_proto(&latin1(value.as_bytes())));
        let client = forwarded_for.and_then(|list| self.trusted.client_from(&list));
        (client, scheme)
    }
}

impl Default for ProxyHeaders {
    fn default() -> Self {
        ProxyHeaders::new()
    }
}

/// Header bytes as text, each byte one character, as uvicorn decodes them.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn parse_proto(value: &str) -> Option<Scheme> {
    match value.trim() {
        "http" | "ws" => Some(Scheme::Http),
        "https" | "wss" => Some(Scheme::Https),
        _ => None,
    }
}

impl TrustedHosts {
    fn parse(hosts: &str) -> Self {
        let mut trusted = TrustedHosts::default();
        for host in hosts.split(',').map(str::trim) {
            if host == "*" {
                // uvicorn trusts everything only for a lone `*`; a `*` in a
                // list is a literal that matches nothing. Trusting all in
                // both cases is what anyone writing it means.
                trusted.all = true;
            } else if let Some(network) = parse_network(host) {
                trusted.networks.push(network);
            } else if let Ok(ip) = host.parse::<IpAddr>() {
                trusted.addresses.push(ip.to_canonical());
            } else if !host.is_empty() {
                let looks_like_ip = host
                    .split('/')
                    .next()
                    .is_some_and(|a| a.parse::<IpAddr>().is_ok())
                    || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                if looks_like_ip {
                    tracing::warn!(host, "forwarded-allow-ips: `{host}` is not an address or network; trusted only as a literal name");
                }
                trusted.literals.push(host.into());
            }
        }
        trusted
    }

    fn contains_ip(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.all
            || self.addresses.contains(&ip)
            || self
                .networks
                .iter()
                .any(|&(network, bits)| in_network(ip, network, bits))
    }

    fn contains(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => self.contains_ip(ip),
            Err(_) => self.literals.iter().any(|literal| **literal == *host),
        }
    }

    /// The client in an `X-Forwarded-For` list: the rightmost untrusted entry.
    fn client_from(&self, list: &str) -> Option<SocketAddr> {
        let entries: Vec<&str> = list.split(',').map(str::trim).collect();
        let chosen = if self.all {
            entries[0]
        } else {
            entries
                .iter()
                .rev()
                .map(|entry| (entry, parse_host_port(entry)))
                .find(|(_, (host, _))| !self.contains(host))
                .map_or(entries[0], |(entry, _)| entry)
        };
        let (host, port) = parse_host_port(chosen);
        let ip = host.parse::<IpAddr>().ok()?;
        Some(SocketAddr::new(ip.to_canonical(), port))
    }
}

/// Splits `host:port`, `[v6]:port`, `[v6]` or a bare host, as uvicorn's
/// `_parse_host_port` does: anything malformed is all host, port 0.
fn parse_host_port(value: &str) -> (&str, u16) {
    if let Some(rest) = value.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return (value, 0);
        };
        let host = &rest[..end];
        let remainder = &rest[end + 1..];
        if remainder.is_empty() {
            return (host, 0);
        }
        let Some(port) = remainder.strip_prefix(':') else {
            return (value, 0);
        };
        return (host, port.parse().unwrap_or(0));
    }
    if value.matches(':').count() == 1 {
        if let Some((host, port)) = value.rsplit_once(':') {
            return match port.parse() {
                Ok(port) => (host, port),
                Err(_) => (value, 0),
            };
        }
    }
    (value, 0)
}

fn parse_network(host: &str) -> Option<(IpAddr, u8)> {
    let (address, bits) = host.split_once('/')?;
    let address = address.trim().parse::<IpAddr>().ok()?.to_canonical();
    let bits: u8 = bits.trim().parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((address, bits))
}

fn in_network(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, SocketAddr};

    use super::{parse_host_port, TrustedHosts};

    #[test]
    fn host_and_port_split_as_uvicorn_splits_them() {
        let cases: &[(&str, (&str, u16))] = &[
            ("1.2.3.4", ("1.2.3.4", 0)),
            ("1.2.3.4:8080", ("1.2.3.4", 8080)),
            ("1.2.3.4:x", ("1.2.3.4:x", 0)),
            ("::1", ("::1", 0)),
            ("[::1]", ("::1", 0)),
            ("[::1]:443", ("::1", 443)),
            ("[::1]x", ("[::1]x", 0)),
            ("[::1", ("[::1", 0)),
            ("unknown", ("unknown", 0)),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_host_port(value), *expected, "{value}");
        }
    }

    #[test]
    fn trust_covers_addresses_networks_literals_and_star() {
        let trusted = TrustedHosts::parse(
            "127.0.0.1, ::1, 10.0.0.0/8, fd00::/8, 192.168.1.7/24, unix:/tmp/s",
        );
        let cases: &[(&str, bool)] = &[
            ("127.0.0.1", true),
            ("::1", true),
            ("::ffff:127.0.0.1", true),
            ("10.200.3.4", true),
            ("11.0.0.1", false),
            ("fd12::5", true),
            ("fe80::1", false),
            ("192.168.1.200", true),
            ("192.168.2.1", false),
            ("unix:/tmp/s", true),
            ("unknown", false),
            ("", false),
        ];
        for (host, expected) in cases {
            assert_eq!(trusted.contains(host), *expected, "{host}");
        }
        assert!(TrustedHosts::parse("*").contains("203.0.113.9"));
        assert!(TrustedHosts::parse("0.0.0.0/0").contains("203.0.113.9"));
        assert!(!TrustedHosts::parse("").contains("127.0.0.1"));
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_entry() {
        let trusted = TrustedHosts::parse("127.0.0.1, 10.0.0.0/8");
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        let cases: &[(&str, Option<SocketAddr>)] = &[
            ("203.0.113.7", Some(addr("203.0.113.7:0"))),
            ("1.1.1.1, 203.0.113.7", Some(addr("203.0.113.7:0"))),
            ("203.0.113.7, 10.0.0.2", Some(addr("203.0.113.7:0"))),
            (
                "spoofed, 203.0.113.7, 10.0.0.2, 10.0.0.3",
                Some(addr("203.0.113.7:0")),
            ),
            ("10.0.0.2, 127.0.0.1", Some(addr("10.0.0.2:0"))),
            ("203.0.113.7:4711", Some(addr("203.0.113.7:4711"))),
            ("[2001:db8::1]:4711", Some(addr("[2001:db8::1]:4711"))),
            ("2001:db8::1", Some(addr("[2001:db8::1]:0"))),
            ("unknown", None),
            ("", None),
        ];
        for (list, expected) in cases {
            assert_eq!(trusted.client_from(list), *expected, "{list}");
        }
        let all = TrustedHosts::parse("*");
        assert_eq!(all.client_from("1.1.1.1, 2.2.2.2"), Some(addr("1.1.1.1:0")));
        assert!(all.contains_ip(IpAddr::from([8, 8, 8, 8])));
    }
}
