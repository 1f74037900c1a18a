//! [`HttpsRedirectMiddleware`]: sends plain-HTTP clients to HTTPS, as
//! Starlette's `HTTPSRedirectMiddleware`.
//!
//! # How it matches Starlette
//!
//! - A request whose [scheme](crate::Request::scheme) is `http` gets
//!   `307 Temporary Redirect` (so the method and body are kept) to the same
//!   URL on `https`: host, path and query unchanged, an explicit port 80 or
//!   443 dropped (the host then written in lower case, as Starlette's
//!   `url.hostname` writes it), any other port kept.
//!   `http://example.com:80/a?b=1` → `https://example.com/a?b=1`;
//!   `http://example.com:8080/` → `https://example.com:8080/`.
//! - A WebSocket upgrade on `ws` goes to `wss` the same way.
//! - An `https` request passes through untouched. Behind a TLS-terminating
//!   proxy, put the proxy-headers middleware outside this one so that the
//!   scheme is the client's.
//! - A request without a `Host` gets `400 Invalid host header`.
//!
//! # Where it deliberately differs
//!
//! - A malformed `Host` (`user@example.com`, a port over 65535) gets
//!   `400 Invalid host header`, where Starlette falls back to the server's
//!   own address; this server does not guess a name for itself.
//! - An IPv6 host keeps its brackets when its port is dropped
//!   (`https://[::1]/`; Starlette writes `https://::1/`, which is not a URL).
//! - As a class-style middleware it sees WebSocket upgrades only when
//!   registered with [`App::streaming_middleware`](crate::App::streaming_middleware).

use crate::middleware::trusted_host::{
    invalid_host_header, parse_host, path_and_query, url_scheme,
};
use crate::middleware::{Middleware, Next};
use crate::request::{Request, Scheme};
use crate::response::{IntoResponse, Redirect, Response};

/// Redirects every `http`/`ws` request to `https`/`wss` with a `307`, as
/// Starlette's `HTTPSRedirectMiddleware`; see the [module documentation](self).
///
/// ```
/// use framework::prelude::*;
/// use framework::middleware::HttpsRedirectMiddleware;
///
/// let app = App::new().middleware(HttpsRedirectMiddleware::new());
/// ```
#[derive(Debug, Clone, Default)]
pub struct HttpsRedirectMiddleware {
    // Room for options without breaking `HttpsRedirectMiddleware::new()`.
    _private: (),
}

impl HttpsRedirectMiddleware {
    /// The middleware; it has no options.
    pub fn new() -> Self {
        HttpsRedirectMiddleware::default()
    }
}

impl Middleware for HttpsRedirectMiddleware {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        if request.scheme() == Scheme::Https {
            return call_next.run(request).await;
        }
        let Some(parsed) = request.host().and_then(parse_host) else {
            return invalid_host_header();
        };
        let netloc = match (parsed.port, parsed.port_number()) {
            (None, _) => parsed.host.to_owned(),
            (Some(_), Some(80 | 443)) => parsed.host.to_ascii_lowercase(),
            (Some(_), Some(_)) => parsed.authority(),
            (Some(_), None) => return invalid_host_header(),
        };
        let scheme = match url_scheme(&request) {
            "ws" => "wss",
            _ => "https",
        };
        Redirect::to(format!("{scheme}://{netloc}{}", path_and_query(&request))).into_response()
    }
}
