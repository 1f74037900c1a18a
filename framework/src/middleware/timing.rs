//! [`TimingMiddleware`]: how long the app took, in a response header.

use std::time::Instant;

use http::header::{HeaderName, HeaderValue};

use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::Response;

/// Adds the seconds spent on each request to the response, as
/// `x-process-time: 0.000123`, the classic first middleware of a FastAPI
/// app.
///
/// The clock covers everything inside this layer: register it first (the
/// outermost) so that it also counts the other middleware, rejections
/// included. It stops when the response head is ready; a streaming body is
/// still on its way.
///
/// The value is the shortest decimal that reads back as the same `f64`,
/// which is what Python's `str(float)` prints, except that it never switches
/// to exponent form (`0.000012`, where Python writes `1.2e-05`), so that
/// any client can parse it as a plain decimal.
///
/// ```
/// use framework::prelude::*;
/// use framework::middleware::TimingMiddleware;
///
/// let app = App::new().middleware(TimingMiddleware::new().header_name("server-timing-seconds"));
/// ```
#[derive(Debug, Clone)]
pub struct TimingMiddleware {
    header: HeaderName,
}

impl TimingMiddleware {
    /// Times into `x-process-time`.
    pub fn new() -> Self {
        TimingMiddleware {
            header: HeaderName::from_static("x-process-time"),
        }
    }

    /// Times into another header.
    ///
    /// # Panics
    /// If `name` is not a valid header name: a mistake in the program, seen
    /// at start-up.
    pub fn header_name(mut self, name: &str) -> Self {
        self.header = HeaderName::try_from(name)
            .unwrap_or_else(|_| panic!("TimingMiddleware: `{name}` is not a valid header name"));
        self
    }
}

impl Default for TimingMiddleware {
    fn default() -> Self {
        TimingMiddleware::new()
    }
}

impl Middleware for TimingMiddleware {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        let start = Instant::now();
        let mut response = call_next.run(request).await;
        let seconds = start.elapsed().as_secs_f64().to_string();
        // Digits and a dot are always a valid header value.
        if let Ok(value) = HeaderValue::try_from(seconds) {
            response.headers_mut().insert(self.header.clone(), value);
        }
        response
    }
}
