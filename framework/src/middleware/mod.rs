//! The built-in middleware: Starlette's four (CORS, trusted hosts, HTTPS
//! redirect, GZip) and the production set (timing, request id, API key,
//! rate limit), plus the proxy-header handling the app applies before its
//! first layer.
//!
//! Each is written against the public API only, as an app's own
//! middleware would be: [`Middleware`], [`Next`], [`Request`](crate::Request)
//! and [`Response`](crate::Response). See the [chain](crate::Next) for how
//! middleware is ordered.
//!
//! # Ordering
//!
//! The first middleware registered is the **outermost**: first to see the
//! request, last to see the response.
//!
//! ```text
//! App::new().middleware(timing).middleware(request_id).middleware(auth)
//!
//!   request ──► timing ──► request_id ──► auth ──► router ──► handler
//!   response ◄── timing ◄── request_id ◄── auth ◄─────────────────┘
//! ```
//!
//! **Starlette does the reverse**: there, `add_middleware` puts each new
//! middleware outside the ones before it, so the last added is outermost.
//! Here the code reads in the order the request travels.

pub mod api_key;
pub mod cors;
pub mod gzip;
pub mod https_redirect;
pub mod proxy_headers;
pub mod rate_limit;
pub mod request_id;
pub mod timing;
pub mod trusted_host;

pub use crate::chain::{IntoMiddleware, Middleware, Next, NextService};
pub use api_key::ApiKeyMiddleware;
pub use cors::{CorsBuilder, CorsError, CorsMiddleware};
pub use gzip::GZipMiddleware;
pub use https_redirect::HttpsRedirectMiddleware;
pub use proxy_headers::ProxyHeaders;
#[cfg(feature = "redis")]
pub use rate_limit::RedisStore;
pub use rate_limit::{MemoryStore, RateLimitMiddleware, RateLimitStore, StoreFailure};
pub use request_id::RequestIdMiddleware;
pub use timing::TimingMiddleware;
pub use trusted_host::{TrustedHostBuilder, TrustedHostError, TrustedHostMiddleware};
