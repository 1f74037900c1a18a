//! [`CorsMiddleware`]: Cross-Origin Resource Sharing, as Starlette's
//! `CORSMiddleware`.
//!
//! # How it matches Starlette
//!
//! Every option of Starlette's (1.x) is here, with its default:
//!
//! | option | default |
//! | --- | --- |
//! | [`allow_origins`](CorsBuilder::allow_origins) (`"*"` for any) | none |
//! | [`allow_origin_regex`](CorsBuilder::allow_origin_regex) (whole-origin match) | none |
//! | [`allow_methods`](CorsBuilder::allow_methods) (`"*"` for all) | `["GET"]` |
//! | [`allow_headers`](CorsBuilder::allow_headers) (`"*"` for any) | none, plus the CORS-safelisted four |
//! | [`allow_credentials`](CorsBuilder::allow_credentials) | `false` |
//! | [`allow_private_network`](CorsBuilder::allow_private_network) | `false` |
//! | [`expose_headers`](CorsBuilder::expose_headers) | none |
//! | [`max_age`](CorsBuilder::max_age) | `600` |
//!
//! and the answers are Starlette's, byte for byte:
//!
//! - A **preflight** (`OPTIONS` with `Origin` and
//!   `Access-Control-Request-Method`) is answered here and never reaches the
//!   app: `200 OK`, or `400` with `Disallowed CORS origin, method, headers`
//!   naming each part that was refused (in that order, then
//!   `private-network`), both `text/plain; charset=utf-8`. Either way the
//!   answer carries `Access-Control-Allow-Methods`, `-Max-Age`,
//!   `-Allow-Headers` (the allowed list, sorted, or the requested headers
//!   echoed when any is allowed), `-Allow-Credentials` and
//!   `Vary: Origin, Access-Control-Request-Method,
//!   Access-Control-Request-Headers, Access-Control-Request-Private-Network`.
//!   The origin is echoed only when it is allowed (or `*` is sent, when any
//!   origin is allowed without credentials).
//! - Any **other request** goes to the app. When it has an `Origin`, the
//!   response gets `Access-Control-Allow-Origin` (the origin echoed if it
//!   is allowed, `*` if any origin is), and `-Allow-Credentials` and
//!   `-Expose-Headers` when configured. Every response gets `Origin` added
//!   to its `Vary`, since its headers depend on it.
//! - Methods are compared as written (`"get"` allows `get`, not `GET`);
//!   header names without regard to case.
//!
//! # Where it deliberately differs
//!
//! Starlette accepts configurations that let **any** website read the
//! responses a browser sends with the user's cookies. [`CorsBuilder::build`]
//! refuses them when `allow_credentials` is on:
//!
//! - `"*"` in `allow_origins` (Starlette then echoes whatever origin asks);
//! - `"null"` in `allow_origins` (any page can get that origin from a
//!   sandboxed iframe);
//! - an `allow_origin_regex` that matches `null` or an origin under the
//!   reserved `.invalid` top-level domain, such as `.*`, `https://.*` or
//!   `https?://[^/]+`: a pattern that admits an origin nobody can own
//!   admits every attacker's too.
//!
//! [`dangerously_allow_any_origin_with_credentials`](CorsBuilder::dangerously_allow_any_origin_with_credentials)
//! turns the check off for the rare app that means it.
//!
//! The regex is [`regex_lite`]'s syntax rather than Python's `re` (the
//! common subset is the same; look-around and back-references are not
//! supported), and a pattern that does not compile is an error from
//! `build`, where Starlette raises at start-up too.
//!
//! Like every class-style middleware, it does not see WebSocket upgrades
//! (Starlette's skips them too).

use std::collections::BTreeSet;
use std::fmt;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use regex_lite::Regex;

use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::Response;

/// What `"*"` in `allow_methods` stands for, in Starlette's words and order.
const ALL_METHODS: [&str; 8] = [
    "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY",
];

/// The request headers a browser may always send, which every preflight allows.
const SAFELISTED_HEADERS: [&str; 4] = [
    "Accept",
    "Accept-Language",
    "Content-Language",
    "Content-Type",
];

const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, \
                              Access-Control-Request-Private-Network";

static REQUEST_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-request-private-network");
static ALLOW_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");

/// Origins that no real site owns (`.invalid` is reserved by RFC 2606) or
/// that any site can take on (`null`): a regex that admits one of them
/// admits everyone.
const PROBE_ORIGINS: [&str; 4] = [
    "null",
    "https://attacker.invalid",
    "http://attacker.invalid",
    "https://attacker.invalid:8443",
];

/// Answers CORS preflights and adds the `Access-Control-*` headers to the
/// app's responses, as Starlette's `CORSMiddleware`.
///
/// Made by [`CorsMiddleware::new`] and [`CorsBuilder::build`], which checks
/// the configuration: only a checked one can be given to
/// [`App::middleware`](crate::App::middleware). See the [module
/// documentation](self) for the exact behaviour.
///
/// ```
/// use framework::prelude::*;
/// use framework::middleware::CorsMiddleware;
///
/// let cors = CorsMiddleware::new()
///     .allow_origins(["https://example.org", "http://localhost:8000"])
///     .allow_credentials(true)
///     .allow_methods(["*"])
///     .allow_headers(["*"])
///     .build()
///     .expect("a valid CORS configuration");
/// let app = App::new().middleware(cors);
/// ```
#[derive(Debug, Clone)]
pub struct CorsMiddleware {
    allow_origins: Vec<String>,
    allow_origin_regex: Option<Regex>,
    allow_all_origins: bool,
    allow_methods: Vec<String>,
    /// Lowercased, for comparing with what a preflight asks for.
    allow_headers: Vec<String>,
    allow_all_headers: bool,
    allow_credentials: bool,
    allow_private_network: bool,
    /// Whether a preflight names the origin rather than answering `*`.
    preflight_explicit_allow_origin: bool,
    /// Added to every response to a request with an `Origin`.
    simple_headers: Vec<(HeaderName, HeaderValue)>,
    /// Sent with every preflight answer, allowed or not.
    preflight_headers: Vec<(HeaderName, HeaderValue)>,
}

/// The configuration of a [`CorsMiddleware`], checked by
/// [`build`](CorsBuilder::build). Each setter replaces the previous value.
#[derive(Debug, Clone)]
#[must_use = "call `.build()` to get the middleware"]
pub struct CorsBuilder {
    allow_origins: Vec<String>,
    allow_origin_regex: Option<String>,
    allow_methods: Vec<String>,
    allow_headers: Vec<String>,
    allow_credentials: bool,
    allow_private_network: bool,
    expose_headers: Vec<String>,
    max_age: u64,
    any_origin_with_credentials: bool,
}

/// Why a CORS configuration was refused by [`CorsBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorsError {
    /// `allow_origin_regex` is not a valid regular expression.
    InvalidRegex {
        /// The pattern as given.
        regex: String,
        /// What the regex parser said.
        reason: String,
    },
    /// `"*"` in `allow_origins` with `allow_credentials`.
    AnyOriginWithCredentials,
    /// `"null"` in `allow_origins` with `allow_credentials`.
    NullOriginWithCredentials,
    /// An `allow_origin_regex` that admits origins nobody vetted, with
    /// `allow_credentials`.
    BroadRegexWithCredentials {
        /// The pattern as given.
        regex: String,
        /// An origin it admits that no app can mean to trust.
        admits: &'static str,
    },
    /// A method, header name or other value that cannot be sent in a header.
    InvalidValue {
        /// The option it was given to.
        option: &'static str,
        /// The value.
        value: String,
    },
}

impl fmt::Display for CorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HATCH: &str =
            "If every website really may read responses sent with the user's cookies, \
                             call `dangerously_allow_any_origin_with_credentials()`.";
        match self {
            CorsError::InvalidRegex { regex, reason } => {
                write!(f, "CORS: allow_origin_regex `{regex}` is not a valid regex: {reason}")
            }
            CorsError::AnyOriginWithCredentials => write!(
                f,
                "CORS: allow_origins contains \"*\" while allow_credentials is true: every website \
                 could read responses sent with the user's cookies (the origin would be echoed to \
                 anyone who asks). List the trusted origins instead. {HATCH}"
            ),
            CorsError::NullOriginWithCredentials => write!(
                f,
                "CORS: allow_origins contains \"null\" while allow_credentials is true: any website \
                 can send `Origin: null` from a sandboxed iframe and read responses sent with the \
                 user's cookies. Remove \"null\". {HATCH}"
            ),
            CorsError::BroadRegexWithCredentials { regex, admits } => write!(
                f,
                "CORS: allow_origin_regex `{regex}` admits `{admits}` while allow_credentials is \
                 true, so it admits origins nobody vetted, and they could read responses sent with \
                 the user's cookies. Anchor it to your own domains, e.g. `https://.*\\.example\\.com`. \
                 {HATCH}"
            ),
            CorsError::InvalidValue { option, value } => {
                write!(f, "CORS: {option} value {value:?} cannot be sent in an HTTP header")
            }
        }
    }
}

impl std::error::Error for CorsError {}

impl CorsMiddleware {
    /// Starts a configuration with Starlette's defaults: no origin allowed,
    /// `GET` only, the safelisted headers, no credentials, `max_age` 600.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> CorsBuilder {
        CorsBuilder::default()
    }

    fn is_allowed_origin(&self, origin: &HeaderValue) -> bool {
        if self.allow_all_origins {
            return true;
        }
        if let (Some(regex), Ok(origin)) = (&self.allow_origin_regex, origin.to_str()) {
            if regex.is_match(origin) {
                return true;
            }
        }
        self.allow_origins
            .iter()
            .any(|allowed| allowed.as_bytes() == origin.as_bytes())
    }

    fn preflight(&self, origin: &HeaderValue, request: &HeaderMap) -> Response {
        let mut headers = HeaderMap::with_capacity(self.preflight_headers.len() + 2);
        for (name, value) in &self.preflight_headers {
            headers.insert(name.clone(), value.clone());
        }
        let mut failures: Vec<&str> = Vec::new();

        if self.is_allowed_origin(origin) {
            if self.preflight_explicit_allow_origin {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            }
        } else {
            failures.push("origin");
        }

        let method = request.get(header::ACCESS_CONTROL_REQUEST_METHOD);
        let method_allowed = method
            .and_then(|m| m.to_str().ok())
            .is_some_and(|m| self.allow_methods.iter().any(|allowed| allowed == m));
        if !method_allowed {
            failures.push("method");
        }

        if let Some(requested) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            if self.allow_all_headers {
                // Any header is allowed, so the answer names exactly the ones asked for.
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
            } else {
                let all_allowed = requested.to_str().is_ok_and(|list| {
                    list.to_ascii_lowercase().split(',').all(|name| {
                        self.allow_headers
                            .iter()
                            .any(|allowed| allowed == name.trim())
                    })
                });
                if !all_allowed {
                    failures.push("headers");
                }
            }
        }

        if request.contains_key(&REQUEST_PRIVATE_NETWORK) {
            if self.allow_private_network {
                headers.insert(
                    ALLOW_PRIVATE_NETWORK.clone(),
                    HeaderValue::from_static("true"),
                );
            } else {
                failures.push("private-network");
            }
        }

        // A browser enforces CORS on its own; the 400 only tells a
        // developer looking at the network tab what was refused.
        let mut response = if failures.is_empty() {
            Response::text("OK")
        } else {
            let mut response = Response::text(format!("Disallowed CORS {}", failures.join(", ")));
            response.set_status(StatusCode::BAD_REQUEST);
            response
        };
        response.headers_mut().extend(headers);
        response
    }

    fn decorate(&self, response: &mut Response, origin: Option<&HeaderValue>) {
        let headers = response.headers_mut();
        if let Some(origin) = origin {
            for (name, value) in &self.simple_headers {
                headers.insert(name.clone(), value.clone());
            }
            // With credentials a browser refuses `*`, so the origin itself is named.
            let echo = if self.allow_all_origins {
                self.allow_credentials
            } else {
                self.is_allowed_origin(origin)
            };
            if echo {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            }
        }
        // The headers above depend on `Origin`, so a cache must key on it,
        // whether or not this request had one.
        add_vary(headers, "Origin");
    }
}

impl Middleware for CorsMiddleware {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        let origin = request.headers().get(header::ORIGIN).cloned();
        if let Some(origin) = &origin {
            if request.method() == Method::OPTIONS
                && request
                    .headers()
                    .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
            {
                return self.preflight(origin, request.headers());
            }
        }
        let mut response = call_next.run(request).await;
        self.decorate(&mut response, origin.as_ref());
        response
    }
}

impl Default for CorsBuilder {
    fn default() -> Self {
        CorsBuilder {
            allow_origins: Vec::new(),
            allow_origin_regex: None,
            allow_methods: vec!["GET".to_owned()],
            allow_headers: Vec::new(),
            allow_credentials: false,
            allow_private_network: false,
            expose_headers: Vec::new(),
            max_age: 600,
            any_origin_with_credentials: false,
        }
    }
}

fn strings<I, S>(values: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    values.into_iter().map(Into::into).collect()
}

impl CorsBuilder {
    /// The origins allowed, exactly as browsers send them
    /// (`https://example.org`, no trailing slash); `"*"` allows any.
    pub fn allow_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow_origins = strings(origins);
        self
    }

    /// A regex that an origin must match as a whole to be allowed, as
    /// Python's `re.fullmatch`: `https://.*\.example\.org`.
    pub fn allow_origin_regex(mut self, regex: impl Into<String>) -> Self {
        self.allow_origin_regex = Some(regex.into());
        self
    }

    /// The methods a preflight may ask for (default `["GET"]`); `"*"`
    /// allows `DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY`.
    pub fn allow_methods<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow_methods = strings(methods);
        self
    }

    /// The request headers a preflight may ask for, besides the safelisted
    /// `Accept`, `Accept-Language`, `Content-Language` and `Content-Type`;
    /// `"*"` allows any.
    pub fn allow_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow_headers = strings(headers);
        self
    }

    /// Whether the browser may send cookies and read the answer
    /// (`Access-Control-Allow-Credentials: true`; default `false`).
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.allow_credentials = allow;
        self
    }

    /// Whether a public page may reach this private-network server
    /// (`Access-Control-Allow-Private-Network`; default `false`).
    pub fn allow_private_network(mut self, allow: bool) -> Self {
        self.allow_private_network = allow;
        self
    }

    /// The response headers the browser lets the page read
    /// (`Access-Control-Expose-Headers`).
    pub fn expose_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.expose_headers = strings(headers);
        self
    }

    /// How long, in seconds, a browser may cache a preflight's answer (default 600).
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = seconds;
        self
    }

    /// Accepts what [`build`](CorsBuilder::build) otherwise refuses: any
    /// origin (`"*"`, `"null"`, or a regex admitting every origin) together
    /// with credentials. The origin of every request is then echoed with
    /// `Access-Control-Allow-Credentials: true`, as Starlette does, so
    /// **every website the user visits can read what this app answers with
    /// the user's cookies**.
    pub fn dangerously_allow_any_origin_with_credentials(mut self) -> Self {
        self.any_origin_with_credentials = true;
        self
    }

    /// Checks the configuration and makes the middleware.
    ///
    /// # Errors
    /// A regex that does not compile, a value that cannot be sent in a
    /// header, or (with credentials, unless
    /// [`dangerously_allow_any_origin_with_credentials`](CorsBuilder::dangerously_allow_any_origin_with_credentials))
    /// `"*"` or `"null"` in `allow_origins`, or a regex that matches
    /// `null` or an origin under `.invalid`.
    pub fn build(self) -> Result<CorsMiddleware, CorsError> {
        let allow_origin_regex = match &self.allow_origin_regex {
            None => None,
            Some(pattern) => Some(Regex::new(&format!(r"\A(?:{pattern})\z")).map_err(|e| {
                CorsError::InvalidRegex {
                    regex: pattern.clone(),
                    reason: e.to_string(),
                }
            })?),
        };
        let allow_all_origins = self.allow_origins.iter().any(|o| o == "*");

        if self.allow_credentials && !self.any_origin_with_credentials {
            if allow_all_origins {
                return Err(CorsError::AnyOriginWithCredentials);
            }
            if self.allow_origins.iter().any(|o| o == "null") {
                return Err(CorsError::NullOriginWithCredentials);
            }
            if let (Some(regex), Some(pattern)) = (&allow_origin_regex, &self.allow_origin_regex) {
                if let Some(admits) = PROBE_ORIGINS
                    .into_iter()
                    .find(|probe| regex.is_match(probe))
                {
                    return Err(CorsError::BroadRegexWithCredentials {
                        regex: pattern.clone(),
                        admits,
                    });
                }
            }
        }

        let allow_methods: Vec<String> = if self.allow_methods.iter().any(|m| m == "*") {
            ALL_METHODS.iter().map(|m| (*m).to_owned()).collect()
        } else {
            self.allow_methods
        };
        let allow_all_headers = self.allow_headers.iter().any(|h| h == "*");
        // Sorted and deduplicated as written, as Starlette's `sorted(set(...))`.
        let allow_headers: BTreeSet<String> = SAFELISTED_HEADERS
            .iter()
            .map(|h| (*h).to_owned())
            .chain(self.allow_headers)
            .collect();
        let preflight_explicit_allow_origin = !allow_all_origins || self.allow_credentials;

        let value = |option: &'static str, text: String| {
            HeaderValue::try_from(text.as_str()).map_err(|_| CorsError::InvalidValue {
                option,
                value: text,
            })
        };

        let mut simple_headers = Vec::new();
        if allow_all_origins {
            simple_headers.push((
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ));
        }
        if self.allow_credentials {
            simple_headers.push((
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            ));
        }
        if !self.expose_headers.is_empty() {
            simple_headers.push((
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                value("expose_headers", self.expose_headers.join(", "))?,
            ));
        }

        let mut preflight_headers = vec![(header::VARY, HeaderValue::from_static(PREFLIGHT_VARY))];
        if !preflight_explicit_allow_origin {
            preflight_headers.push((
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ));
        }
        preflight_headers.push((
            header::ACCESS_CONTROL_ALLOW_METHODS,
            value("allow_methods", allow_methods.join(", "))?,
        ));
        preflight_headers.push((
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from(self.max_age),
        ));
        if !allow_all_headers {
            let list: Vec<&str> = allow_headers.iter().map(String::as_str).collect();
            preflight_headers.push((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                value("allow_headers", list.join(", "))?,
            ));
        }
        if self.allow_credentials {
            preflight_headers.push((
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            ));
        }

        Ok(CorsMiddleware {
            allow_origins: self.allow_origins,
            allow_origin_regex,
            allow_all_origins,
            allow_methods,
            allow_headers: allow_headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            allow_all_headers,
            allow_credentials: self.allow_credentials,
            allow_private_network: self.allow_private_network,
            preflight_explicit_allow_origin,
            simple_headers,
            preflight_headers,
        })
    }
}

/// Adds `value` to the response's `Vary`, joining what was there into one
/// header as Starlette does (`Accept-Encoding, Origin`).
pub(crate) fn add_vary(headers: &mut HeaderMap, value: &'static str) {
    let mut joined: Vec<u8> = Vec::new();
    for existing in headers.get_all(header::VARY) {
        joined.extend_from_slice(existing.as_bytes());
        joined.extend_from_slice(b", ");
    }
    joined.extend_from_slice(value.as_bytes());
    // Valid values joined by ", " stay valid; the fallback is for form's sake.
    let vary = HeaderValue::from_bytes(&joined).unwrap_or(HeaderValue::from_static(value));
    headers.insert(header::VARY, vary);
}
