//! [`TrustedHostMiddleware`]: refuses requests for hosts the app does not
//! serve, as Starlette's `TrustedHostMiddleware`.
//!
//! # How it matches Starlette
//!
//! - `allowed_hosts` holds exact names (`example.com`), domain wildcards
//!   (`*.example.com`, which admits any subdomain but not `example.com`
//!   itself) or `"*"` for any host, which is the default and lets every
//!   request through, even one without a `Host`.
//! - The `Host` header is parsed as Starlette parses it: a name of the
//!   characters a URL authority allows, or a bracketed IPv6 address, then an
//!   optional `:port` of digits. The port is ignored; names compare without
//!   regard to case. A missing or malformed header (`exa mple.com`,
//!   `example.com:`, `user@example.com`) is refused.
//! - A refused request gets `400 Invalid host header` (`text/plain;
//!   charset=utf-8`), unless `www_redirect` is on (the default) and
//!   `www.` + its host is allowed: then it gets `307 Temporary Redirect` to
//!   the same URL on `www.` + its host and port (`http://example.com:8080/p?q=1`
//!   → `http://www.example.com:8080/p?q=1`).
//! - A pattern with `*` anywhere but a leading `*.` is refused at start-up
//!   with Starlette's message, `Domain wildcard patterns must be like
//!   '*.example.com'.`, as an error from [`TrustedHostBuilder::build`]
//!   where Starlette fails an assertion.
//!
//! # Where it deliberately differs
//!
//! - A `Host` whose port is out of range (`example.com:99999`) that would
//!   be redirected to `www.` is refused with `400`, where Starlette
//!   redirects to the server's own address instead.
//! - As a class-style middleware it does not see WebSocket upgrades unless
//!   registered with [`App::streaming_middleware`](crate::App::streaming_middleware),
//!   which is how to guard WebSocket routes too (Starlette's always does);
//!   a redirected upgrade goes to `ws://`/`wss://`.
//! - With HTTP/2, the host is the request's `:authority` when there is no
//!   `Host` header.

use std::fmt;
use std::net::Ipv6Addr;

use http::StatusCode;

use crate::middleware::{Middleware, Next};
use crate::request::{Request, Scheme};
use crate::response::{IntoResponse, Redirect, Response};

/// Starlette's message for a pattern it refuses.
const ENFORCE_DOMAIN_WILDCARD: &str = "Domain wildcard patterns must be like '*.example.com'.";

/// Answers `400 Invalid host header` (or redirects to `www.`) unless the
/// request's `Host` is one the app serves, as Starlette's
/// `TrustedHostMiddleware`. Made by [`TrustedHostMiddleware::new`] and
/// [`TrustedHostBuilder::build`]; see the [module documentation](self).
///
/// ```
/// use framework::prelude::*;
/// use framework::middleware::TrustedHostMiddleware;
///
/// let hosts = TrustedHostMiddleware::new()
///     .allowed_hosts(["example.com", "*.example.com"])
///     .build()
///     .expect("valid host patterns");
/// let app = App::new().middleware(hosts);
/// ```
#[derive(Debug, Clone)]
pub struct TrustedHostMiddleware {
    /// Lowercased.
    allowed_hosts: Vec<String>,
    allow_any: bool,
    www_redirect: bool,
}

/// The configuration of a [`TrustedHostMiddleware`], checked by
/// [`build`](TrustedHostBuilder::build).
#[derive(Debug, Clone)]
#[must_use = "call `.build()` to get the middleware"]
pub struct TrustedHostBuilder {
    allowed_hosts: Vec<String>,
    www_redirect: bool,
}

/// A host pattern refused by [`TrustedHostBuilder::build`]: a `*` anywhere
/// but a leading `*.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedHostError {
    /// The pattern as given.
    pub pattern: String,
}

impl fmt::Display for TrustedHostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TrustedHostMiddleware: `{}`: {ENFORCE_DOMAIN_WILDCARD}",
            self.pattern
        )
    }
}

impl std::error::Error for TrustedHostError {}

impl TrustedHostMiddleware {
    /// Starts a configuration with Starlette's defaults: any host
    /// (`["*"]`), `www_redirect` on.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> TrustedHostBuilder {
        TrustedHostBuilder {
            allowed_hosts: vec!["*".to_owned()],
            www_redirect: true,
        }
    }

    fn is_allowed(&self, host: &str) -> bool {
        self.allowed_hosts.iter().any(|pattern| {
            host == pattern || (pattern.starts_with('*') && host.ends_with(&pattern[1..]))
        })
    }
}

impl TrustedHostBuilder {
    /// The hosts served: `example.com`, `*.example.com` (any subdomain) or
    /// `"*"` (any host). Replaces the default `["*"]`.
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// Whether a request for `example.com` is redirected to
    /// `www.example.com` when only the latter is allowed (default `true`).
    pub fn www_redirect(mut self, redirect: bool) -> Self {
        self.www_redirect = redirect;
        self
    }

    /// Checks the patterns and makes the middleware.
    ///
    /// # Errors
    /// A pattern with a `*` anywhere but a leading `*.` (`example.*`,
    /// `*example.com`, `a.*.example.com`), or `"*"` with more after it.
    pub fn build(self) -> Result<TrustedHostMiddleware, TrustedHostError> {
        for pattern in &self.allowed_hosts {
            let misplaced = pattern.get(1..).is_some_and(|rest| rest.contains('*'));
            let bare_wildcard =
                pattern.starts_with('*') && pattern != "*" && !pattern.starts_with("*.");
            if misplaced || bare_wildcard {
                return Err(TrustedHostError {
                    pattern: pattern.clone(),
                });
            }
        }
        Ok(TrustedHostMiddleware {
            allow_any: self.allowed_hosts.iter().any(|p| p == "*"),
            allowed_hosts: self
                .allowed_hosts
                .iter()
                .map(|p| p.to_ascii_lowercase())
                .collect(),
            www_redirect: self.www_redirect,
        })
    }
}

impl Middleware for TrustedHostMiddleware {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        if self.allow_any {
            return call_next.run(request).await;
        }
        let Some(parsed) = request.host().and_then(parse_host) else {
            return invalid_host_header();
        };
        let host = parsed.host.to_ascii_lowercase();
        if self.is_allowed(&host) {
            return call_next.run(request).await;
        }
        let www = format!("www.{host}");
        if self.www_redirect && parsed.has_valid_port() && self.allowed_hosts.contains(&www) {
            let location = format!(
                "{}://www.{}{}",
                url_scheme(&request),
                parsed.authority(),
                path_and_query(&request)
            );
            return Redirect::to(location).into_response();
        }
        invalid_host_header()
    }
}

/// Starlette's answer to a host it will not serve.
pub(crate) fn invalid_host_header() -> Response {
    let mut response = Response::text("Invalid host header");
    response.set_status(StatusCode::BAD_REQUEST);
    response
}

/// The scheme of the URL the client asked for, as Starlette's `url.scheme`:
/// a WebSocket upgrade is `ws`/`wss`.
pub(crate) fn url_scheme(request: &Request) -> &'static str {
    let websocket = request
        .headers()
        .get(http::header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    match (request.scheme(), websocket) {
        (Scheme::Http, false) => "http",
        (Scheme::Https, false) => "https",
        (Scheme::Http, true) => "ws",
        (Scheme::Https, true) => "wss",
    }
}

/// The path and query as sent, percent-encoding untouched.
pub(crate) fn path_and_query(request: &Request) -> String {
    match request.query_string() {
        Some(query) => format!("{}?{query}", request.path()),
        None => request.path().to_owned(),
    }
}

/// A `Host` header split into its host and port, both as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParsedHost<'a> {
    /// The name, or an IPv6 address with its brackets.
    pub(crate) host: &'a str,
    /// The digits after the `:`, if any.
    pub(crate) port: Option<&'a str>,
}

impl ParsedHost<'_> {
    /// The port as a number, if it is one a URL may carry (leading zeros
    /// allowed, as Starlette allows them).
    pub(crate) fn port_number(&self) -> Option<u16> {
        let digits = self.port?.trim_start_matches('0');
        if digits.len() > 5 {
            return None;
        }
        if digits.is_empty() {
            return Some(0);
        }
        digits.parse::<u16>().ok()
    }

    pub(crate) fn has_valid_port(&self) -> bool {
        self.port.is_none() || self.port_number().is_some()
    }

    /// `host:port` as written.
    pub(crate) fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.to_owned(),
        }
    }
}

/// Parses a `Host` header as Starlette does, refusing anything that could
/// change a URL's authority or path when put in one: a name of unreserved,
/// sub-delimiter and `%` characters, or a bracketed IPv6 (or IPvFuture)
/// address, then optionally `:` and digits.
pub(crate) fn parse_host(value: &str) -> Option<ParsedHost<'_>> {
    let (host, rest) = if let Some(inner) = value.strip_prefix('[') {
        let close = inner.find(']')?;
        let literal = &inner[..close];
        if !is_ip_literal(literal) {
            return None;
        }
        value.split_at(close + 2)
    } else {
        let end = value.find(':').unwrap_or(value.len());
        let (host, rest) = value.split_at(end);
        if host.is_empty() || !host.bytes().all(is_name_byte) {
            return None;
        }
        (host, rest)
    };
    let port = match rest.strip_prefix(':') {
        None if rest.is_empty() => None,
        None => return None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits)
        }
        Some(_) => return None,
    };
    Some(ParsedHost { host, port })
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._~%!$&'()*+,;=-".contains(&b)
}

fn is_ip_literal(literal: &str) -> bool {
    if let Some(future) = literal.strip_prefix('v') {
        // IPvFuture: "v" hex "." then unreserved, sub-delims or ":".
        let Some((version, address)) = future.split_once('.') else {
            return false;
        };
        return !version.is_empty()
            && version.bytes().all(|b| b.is_ascii_hexdigit())
            && !address.is_empty()
            && address
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._~!$&'()*+,;=:-".contains(&b));
    }
    literal.contains(':')
        && literal
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        && literal.parse::<Ipv6Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::{parse_host, ParsedHost};

    #[test]
    fn host_headers_parse_as_starlettes() {
        type Parts = Option<(&'static str, Option<&'static str>)>;
        let cases: &[(&str, Parts)] = &[
            ("example.com", Some(("example.com", None))),
            ("Example.COM:8080", Some(("Example.COM", Some("8080")))),
            ("[::1]", Some(("[::1]", None))),
            ("[::1]:80", Some(("[::1]", Some("80")))),
            ("[v1.fe]:80", Some(("[v1.fe]", Some("80")))),
            ("example.com:", None),
            ("example.com:abc", None),
            ("exa mple.com", None),
            ("user@example.com", None),
            ("example.com/path", None),
            ("[::1", None),
            ("[nope]", None),
            ("[::1]x", None),
            ("", None),
            (":80", None),
        ];
        for (value, expected) in cases {
            let parsed = parse_host(value).map(|ParsedHost { host, port }| (host, port));
            assert_eq!(parsed, *expected, "{value}");
        }
    }

    #[test]
    fn ports_are_numbers_up_to_65535() {
        let port = |value: &str| parse_host(value).and_then(|p| p.port_number());
        assert_eq!(port("a:0080"), Some(80));
        assert_eq!(port("a:65535"), Some(65535));
        assert_eq!(port("a:65536"), None);
        assert_eq!(port("a:99999999"), None);
        assert_eq!(port("a:0000000443"), Some(443));
    }
}
