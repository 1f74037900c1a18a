//! [`RequestIdMiddleware`]: one id per request, in the response, the
//! request's state and every log line of the request.

use std::sync::Arc;

use http::header::{HeaderName, HeaderValue};
use tracing::Instrument;

use crate::middleware::{Middleware, Next};
use crate::request::{Request, RequestId};
use crate::response::Response;

/// The longest incoming id kept, by default.
const DEFAULT_MAX_LENGTH: usize = 128;

/// Gives each request an id, so that a user's error report leads to the
/// exact log lines of their request.
///
/// - An incoming `X-Request-ID` is kept when it is well formed: 1 to 128
///   characters (see [`max_length`](RequestIdMiddleware::max_length)), each
///   an ASCII letter, digit, `.`, `_` or `-`. That covers UUIDs, ULIDs and
///   the ids of nginx (`$request_id`), Heroku and most load balancers, while
///   anything else (spaces, quotes, newlines, a megabyte of text) is
///   dropped rather than copied into logs and other services' headers.
/// - Otherwise (none, or ill-formed) the id is a new random UUID v4, such as
///   `0b9f7c1e-4a3d-4c56-9e4b-2f0d8a6c1b23`.
///
/// The id is then:
///
/// - in the response, under the same header;
/// - in the request's state as [`RequestId`], for handlers and
///   dependencies (`request.state().get::<RequestId>()`), and logged with
///   the failures of the request's background tasks;
/// - on every log line of the request: the rest of the chain runs inside a
///   `tracing` span `request{request_id=…}`, so an event logged by a
///   handler, a dependency or an inner middleware carries it.
///
/// Register it near the outside (after timing) so that the layers inside
/// it, an auth gate or a rate limiter, log with the id too.
///
/// ```
/// use framework::prelude::*;
/// use framework::middleware::RequestIdMiddleware;
///
/// let app = App::new().middleware(RequestIdMiddleware::new());
/// ```
#[derive(Debug, Clone)]
pub struct RequestIdMiddleware {
    header: HeaderName,
    max_length: usize,
    trust_incoming: bool,
}

impl RequestIdMiddleware {
    /// Reads and writes `x-request-id`, keeping well-formed incoming ids.
    pub fn new() -> Self {
        RequestIdMiddleware {
            header: HeaderName::from_static("x-request-id"),
            max_length: DEFAULT_MAX_LENGTH,
            trust_incoming: true,
        }
    }

    /// Reads and writes another header (`x-correlation-id`, say).
    ///
    /// # Panics
    /// If `name` is not a valid header name: a mistake in the program, seen
    /// at start-up.
    pub fn header_name(mut self, name: &str) -> Self {
        self.header = HeaderName::try_from(name)
            .unwrap_or_else(|_| panic!("RequestIdMiddleware: `{name}` is not a valid header name"));
        self
    }

    /// The longest incoming id kept (default 128 characters); a longer one
    /// is replaced by a new id.
    pub fn max_length(mut self, max_length: usize) -> Self {
        self.max_length = max_length;
        self
    }

    /// Whether to keep ids that clients send (default `true`). Turn it off
    /// on a service that faces the internet directly, so that every id in
    /// its logs is one it made.
    pub fn trust_incoming(mut self, trust: bool) -> Self {
        self.trust_incoming = trust;
        self
    }

    fn incoming(&self, request: &Request) -> Option<HeaderValue> {
        if !self.trust_incoming {
            return None;
        }
        let value = request.headers().get(&self.header)?;
        is_well_formed(value.as_bytes(), self.max_length).then(|| value.clone())
    }
}

impl Default for RequestIdMiddleware {
    fn default() -> Self {
        RequestIdMiddleware::new()
    }
}

/// Whether `id` is an id worth keeping: 1 to `max_length` bytes of
/// `[A-Za-z0-9._-]`.
fn is_well_formed(id: &[u8], max_length: usize) -> bool {
    !id.is_empty()
        && id.len() <= max_length
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Middleware for RequestIdMiddleware {
    async fn dispatch(&self, mut request: Request, call_next: Next<'_>) -> Response {
        let (id, value): (Arc<str>, HeaderValue) = match self.incoming(&request) {
            // Well formed means ASCII, so the conversion cannot fail.
            Some(value) => (value.to_str().unwrap_or_default().into(), value),
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                let value = HeaderValue::try_from(id.as_str())
                    .unwrap_or_else(|_| HeaderValue::from_static("-"));
                (id.into(), value)
            }
        };
        request.state_mut().insert(RequestId(id.clone()));
        // At ERROR level so that the span is on whenever anything is
        // logged: an INFO span would vanish under `--log-level warning`,
        // taking the id off the very lines that need it.
        let span = tracing::error_span!("request", request_id = %id);
        let mut response = call_next.run(request).instrument(span).await;
        response.headers_mut().insert(self.header.clone(), value);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::is_well_formed;

    #[test]
    fn ids_are_kept_only_when_well_formed() {
        let long = "a".repeat(129);
        let cases: &[(&str, bool)] = &[
            ("0b9f7c1e-4a3d-4c56-9e4b-2f0d8a6c1b23", true),
            ("01ARZ3NDEKTSV4RRFFQ69G5FAV", true),
            ("req_1.2-3", true),
            (&long[..128], true),
            (&long, false),
            ("", false),
            ("has space", false),
            ("semi;colon", false),
            ("quote\"", false),
            ("slash/", false),
            ("é", false),
        ];
        for (id, kept) in cases {
            assert_eq!(is_well_formed(id.as_bytes(), 128), *kept, "{id:?}");
        }
    }
}
