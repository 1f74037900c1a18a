//! [`RateLimitMiddleware`]: at most N requests per client per window, with
//! the counts in memory ([`MemoryStore`]) or, behind the `redis` feature,
//! in Redis (`RedisStore`) shared by every instance of the app.
//!
//! # The algorithm: a fixed window per key
//!
//! A client's first request opens a window of the configured length; each
//! request in it counts one; past `limit` the answer is `429` until the
//! window ends, and the next request opens a new one. Both stores do
//! exactly this, so moving from one to the other changes nothing a client
//! sees.
//!
//! Why not a sliding window or a token bucket: a fixed window is one
//! counter per key, updated in Redis by a single atomic `INCR` +
//! `PEXPIRE` round trip, and it gives the `RateLimit-Reset` and
//! `Retry-After` headers an exact meaning (when the counter starts over).
//! The cost is the known edge: a client may fit up to twice the limit
//! into one window's length by straddling two windows. Size the limit
//! with that in mind, or use a shorter window.
//!
//! # Headers
//!
//! Every response the limiter counted carries, as the IETF draft
//! `RateLimit` header fields (the three-field form) say:
//!
//! | header | value |
//! | --- | --- |
//! | `RateLimit-Limit` | the limit, `100` |
//! | `RateLimit-Remaining` | requests left in this window, `0` when over |
//! | `RateLimit-Reset` | whole seconds until the window ends (rounded up, at least 1) |
//!
//! A request over the limit gets `429 {"detail":"Too Many Requests"}`
//! (Starlette's wording for the status) and `Retry-After`, the same
//! seconds as `RateLimit-Reset`.
//!
//! # When the store fails
//!
//! A store that errs or does not answer in time (Redis down, say) is
//! logged once when it starts failing, once when it recovers, and the
//! request is answered by the [`StoreFailure`] policy: by default let
//! through uncounted ([`FailOpen`](StoreFailure::FailOpen)), or refused
//! with `503 {"detail":"Service Unavailable"}`
//! ([`FailClosed`](StoreFailure::FailClosed)).

use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http::header::{HeaderName, HeaderValue, RETRY_AFTER};

use crate::error::HttpError;
use crate::middleware::api_key::PathRules;
use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::{IntoResponse, Response};

pub mod memory;
#[cfg(feature = "redis")]
pub mod redis;

#[cfg(feature = "redis")]
pub use self::redis::RedisStore;
pub use memory::MemoryStore;

static RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
static RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
static RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Where the counts live. One call counts one request, atomically, even
/// when many requests (or many app instances) count the same key at once.
pub trait RateLimitStore: Send + Sync + 'static {
    /// Counts one request for `key` in its current window, opening a window
    /// of length `window` if none is open, and tells where the key stands.
    fn hit(
        &self,
        key: &str,
        window: Duration,
    ) -> impl Future<Output = Result<Hit, StoreError>> + Send;
}

/// Where a key stands after one more request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Requests counted in the current window, this one included.
    pub count: u64,
    /// Time left until the window ends and the count starts over.
    pub reset: Duration,
}

/// A store that could not count a request: unreachable, too slow, or
/// answering nonsense.
#[derive(Debug, Clone)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// An error with this description.
    pub fn new(message: impl std::fmt::Display) -> Self {
        StoreError {
            message: message.to_string(),
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

/// What to do with a request when the store fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreFailure {
    /// Let it through, uncounted and without `RateLimit-*` headers (the
    /// default): a limiter protects the app, and an outage of its store
    /// should not become an outage of the app.
    #[default]
    FailOpen,
    /// Refuse it with `503 {"detail":"Service Unavailable"}` and
    /// `Retry-After: 1`: for limits that guard something costly, where
    /// unlimited traffic is worse than none.
    FailClosed,
}

/// The limit applied to a request, in the request's state for handlers
/// (`request.state().get::<RateLimitStatus>()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests left in this window after this one.
    pub remaining: u64,
    /// Time until the window ends.
    pub reset: Duration,
}

type KeyFn = Box<dyn Fn(&Request) -> Option<String> + Send + Sync>;

/// Limits each client to `limit` requests per `window` (see the
/// [module](self) for the algorithm, headers and failure policy).
///
/// Clients are told apart by a key: by default the client's IP address
/// ([`Request::client`], which is the real client behind a trusted proxy;
/// see [`ProxyHeaders`](crate::middleware::ProxyHeaders)). An IPv6 client
/// is keyed by its `/64` network, since one host usually owns a whole
/// `/64` and could otherwise dodge the limit by changing addresses. Any
/// other key can be given with [`key`](Self::key); a request whose key is
/// `None` is not limited.
///
/// ```
/// use std::time::Duration;
/// use framework::prelude::*;
/// use framework::middleware::RateLimitMiddleware;
///
/// let app = App::new().middleware(
///     RateLimitMiddleware::new(100, Duration::from_secs(60))
///         // Per API key when there is one, else per address.
///         .key(|request| {
///             request
///                 .header("x-api-key")
///                 .map(|key| format!("key:{key}"))
///                 .or_else(|| request.client().map(|c| format!("ip:{}", c.ip())))
///         })
///         .exempt("/health"),
/// );
/// ```
pub struct RateLimitMiddleware<S = MemoryStore> {
    limit: u64,
    window: Duration,
    store: S,
    key: KeyFn,
    exempt: PathRules,
    on_failure: StoreFailure,
    failing: AtomicBool,
}

impl RateLimitMiddleware<MemoryStore> {
    /// At most `limit` requests per `window` per client, counted in memory.
    ///
    /// # Panics
    /// If `limit` is 0 or `window` is shorter than a millisecond (Redis
    /// counts in milliseconds).
    pub fn new(limit: u64, window: Duration) -> Self {
        assert!(
            limit > 0,
            "RateLimitMiddleware: the limit must be at least 1"
        );
        assert!(
            window >= Duration::from_millis(1),
            "RateLimitMiddleware: the window must be at least 1 ms"
        );
        RateLimitMiddleware {
            limit,
            window,
            store: MemoryStore::new(),
            key: Box::new(client_ip_key),
            exempt: PathRules::default(),
            on_failure: StoreFailure::default(),
            failing: AtomicBool::new(false),
        }
    }
}

impl<S: RateLimitStore> RateLimitMiddleware<S> {
    /// Counts in another store: a [`MemoryStore`] with other bounds, or a
    /// `RedisStore` shared by every instance of the app.
    pub fn store<T: RateLimitStore>(self, store: T) -> RateLimitMiddleware<T> {
        RateLimitMiddleware {
            limit: self.limit,
            window: self.window,
            store,
            key: self.key,
            exempt: self.exempt,
            on_failure: self.on_failure,
            failing: self.failing,
        }
    }

    /// Tells clients apart by another key: an API key, a user id, a
    /// tenant. A request whose key is `None` is not limited.
    pub fn key<F>(mut self, key: F) -> Self
    where
        F: Fn(&Request) -> Option<String> + Send + Sync + 'static,
    {
        self.key = Box::new(key);
        self
    }

    /// Does not count requests for exactly this path (a health check).
    pub fn exempt(mut self, path: &str) -> Self {
        self.exempt.exact(path);
        self
    }

    /// Does not count requests for this path and everything under it.
    pub fn exempt_prefix(mut self, prefix: &str) -> Self {
        self.exempt.prefix(prefix);
        self
    }

    /// What to do when the store fails (default [`StoreFailure::FailOpen`]).
    pub fn on_store_failure(mut self, policy: StoreFailure) -> Self {
        self.on_failure = policy;
        self
    }

    /// The store, to look at (how many keys it holds, say).
    pub fn store_ref(&self) -> &S {
        &self.store
    }

    fn store_failed(&self, error: &StoreError) -> Option<Response> {
        if !self.failing.swap(true, Ordering::Relaxed) {
            tracing::error!(
                policy = ?self.on_failure,
                "rate limit store failing, requests are {}: {error}",
                match self.on_failure {
                    StoreFailure::FailOpen => "let through uncounted",
                    StoreFailure::FailClosed => "refused with 503",
                }
            );
        } else {
            tracing::debug!("rate limit store still failing: {error}");
        }
        match self.on_failure {
            StoreFailure::FailOpen => None,
            StoreFailure::FailClosed => Some(
                HttpError::new(503, "Service Unavailable")
                    .header("retry-after", "1")
                    .into_response(),
            ),
        }
    }
}

/// The default key: the client's address, IPv6 clients by their `/64`.
fn client_ip_key(request: &Request) -> Option<String> {
    let ip = request.client()?.ip();
    Some(match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
    })
}

/// Whole seconds until `reset`, rounded up and at least 1, so that a
/// client that waits that long always finds a new window.
fn seconds(reset: Duration) -> u64 {
    let whole = reset.as_secs() + u64::from(reset.subsec_nanos() > 0);
    whole.max(1)
}

fn set_headers(response: &mut Response, status: &RateLimitStatus) {
    let headers = response.headers_mut();
    headers.insert(RATELIMIT_LIMIT.clone(), HeaderValue::from(status.limit));
    headers.insert(
        RATELIMIT_REMAINING.clone(),
        HeaderValue::from(status.remaining),
    );
    headers.insert(
        RATELIMIT_RESET.clone(),
        HeaderValue::from(seconds(status.reset)),
    );
}

impl<S: RateLimitStore> Middleware for RateLimitMiddleware<S> {
    async fn dispatch(&self, mut request: Request, call_next: Next<'_>) -> Response {
        if !self.exempt.is_empty() && self.exempt.matches(request.path()) {
            return call_next.run(request).await;
        }
        let Some(key) = (self.key)(&request) else {
            return call_next.run(request).await;
        };
        let hit = match self.store.hit(&key, self.window).await {
            Ok(hit) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("rate limit store answering again");
                }
                hit
            }
            Err(error) => {
                return match self.store_failed(&error) {
                    Some(refusal) => refusal,
                    None => call_next.run(request).await,
                };
            }
        };
        let status = RateLimitStatus {
            limit: self.limit,
            remaining: self.limit.saturating_sub(hit.count),
            reset: hit.reset,
        };
        let mut response = if hit.count > self.limit {
            tracing::debug!(key, count = hit.count, "rate limit exceeded");
            let mut refusal = HttpError::new(429, "Too Many Requests").into_response();
            refusal
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds(hit.reset)));
            refusal
        } else {
            request.state_mut().insert(status);
            call_next.run(request).await
        };
        set_headers(&mut response, &status);
        response
    }
}

impl<S> std::fmt::Debug for RateLimitMiddleware<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitMiddleware")
            .field("limit", &self.limit)
            .field("window", &self.window)
            .field("store", &std::any::type_name::<S>())
            .field("exempt", &self.exempt)
            .field("on_store_failure", &self.on_failure)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::seconds;

    #[test]
    fn reset_seconds_round_up_and_are_at_least_one() {
        let cases = [
            (Duration::ZERO, 1),
            (Duration::from_millis(1), 1),
            (Duration::from_millis(1000), 1),
            (Duration::from_millis(1001), 2),
            (Duration::from_secs(60), 60),
        ];
        for (reset, expected) in cases {
            assert_eq!(seconds(reset), expected, "{reset:?}");
        }
    }
}
