//! The app's settings: limits and timeouts, with defaults close to uvicorn's.

use std::time::Duration;

use crate::middleware::ProxyHeaders;

/// Server settings, with defaults close to uvicorn's. Change them with
/// [`App::config`](crate::App::config).
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest request body read, in bytes (default 2 MiB); a larger one is a 413.
    pub body_limit: usize,
    /// The largest request head (request line and headers), in bytes
    /// (default 64 KiB); a larger one is a 431.
    pub max_header_size: usize,
    /// How long a connection may go with no request in flight (default 5 s,
    /// uvicorn's keep-alive timeout): the idle keep-alive timeout, and at
    /// once the limit for a client that sends its headers slowly. The clock
    /// restarts when a response has been sent; a slow handler or a long
    /// streaming response is never cut by it. It is read every quarter of
    /// the timeout, so a connection closes up to a quarter late.
    pub keep_alive_timeout: Duration,
    /// How long shutdown waits for requests in flight and background tasks
    /// (default 30 s).
    pub shutdown_timeout: Duration,
    /// Whether to log a line per request (default on; `--no-access-log`).
    pub access_log: bool,
    /// Whether and from which proxies to believe `X-Forwarded-For` and
    /// `X-Forwarded-Proto` (default on, trusting `127.0.0.1` and `::1`, as
    /// uvicorn; `--no-proxy-headers`, `--forwarded-allow-ips`).
    pub proxy_headers: ProxyHeaders,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            body_limit: 2 * 1024 * 1024,
            max_header_size: 64 * 1024,
            keep_alive_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(30),
            access_log: true,
            proxy_headers: ProxyHeaders::new(),
        }
    }
}
