//! The request as middleware, dependencies and handlers see it, with the
//! per-request storage the later steps keep on it (path parameters, the
//! dependency scope). It knows its app only through a small per-app context (`context.rs`).

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Extensions, HeaderMap, Method, Uri, Version};

use crate::after::{self, BackgroundTasks, Cleanup, Scope};
use crate::body::Body;
use crate::context::Context;
use crate::error::{HttpError, ValidationError};

/// The most path parameters one route may have: they are kept inline in the
/// request. The route macros check templates against this one number.
pub const MAX_PARAMS: usize = 8;

/// An HTTP request on its way in through the middleware to its handler.
///
/// The body is read at most once, when someone asks for it, and kept: a
/// middleware that reads [`body`](Request::body) leaves the same bytes for
/// the handler.
pub struct Request {
    // Boxed because a request moves into every layer's future and then the
    // handler's: a pointer moves cheaply where the whole would be copied.
    inner: Box<Inner>,
}

struct Inner {
    head: http::request::Parts,
    // In a `Mutex` only to make `Request` `Sync` (so a dependency may hold a
    // `&Request` across an await); it is reached through `get_mut`, which
    // never locks.
    body: Mutex<BodyState>,
    params: Params,
    client: Option<SocketAddr>,
    scheme: Scheme,
    context: Arc<Context>,
    // Made on first use: most requests resolve no dependency and register
    // no task, and making, checking and dropping an empty scope cost ~70
    // instructions per request.
    scope: Option<Box<RequestScope>>,
}

enum BodyState {
    Unread(Body),
    Read(Bytes),
}

/// The URL scheme the client used: what the socket saw, or what a trusted
/// proxy said (see the proxy-headers middleware).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `http` (or `ws`).
    Http,
    /// `https` (or `wss`).
    Https,
}

/// Byte ranges of the path parameters in the path, in template order.
#[derive(Clone, Copy, Default)]
pub(crate) struct Params {
    ranges: [(u32, u32); MAX_PARAMS],
    len: u8,
}

impl Params {
    pub(crate) fn push(&mut self, start: usize, end: usize) {
        let slot = usize::from(self.len);
        if slot < MAX_PARAMS {
            self.ranges[slot] = (start as u32, end as u32);
            self.len += 1;
        }
    }
}

/// What the dependencies of one request share: the resolved values (the
/// `depends` module's cache), the background tasks, and the cleanups to run
/// after the response (the `after` module's). The request only keeps them.
#[derive(Default)]
pub(crate) struct RequestScope {
    pub(crate) resolved: ByType,
    pub(crate) tasks: Option<BackgroundTasks>,
    // In a `Mutex` for the same reason as the body; never locked.
    pub(crate) cleanups: Mutex<Vec<Cleanup>>,
    // Bad input found before the endpoint ran (by dependencies attached to
    // the app or a router), joined with the endpoint's own in one 422.
    pub(crate) errors: ValidationError,
}

impl RequestScope {
    /// No task and no cleanup: nothing to run after the handler.
    fn is_empty(&mut self) -> bool {
        self.tasks.is_none()
            && self
                .cleanups
                .get_mut()
                .map_or_else(|e| e.into_inner().is_empty(), |c| c.is_empty())
    }
}

type Value = Arc<dyn Any + Send + Sync>;

/// Values kept by their type: the first few inline, since a request
/// resolves few dependencies and a list would cost an allocation.
#[derive(Default)]
pub(crate) struct ByType {
    inline: [Option<(TypeId, Value)>; 4],
    more: Vec<(TypeId, Value)>,
}

impl ByType {
    pub(crate) fn get(&self, key: TypeId) -> Option<&Value> {
        self.inline
            .iter()
            .map_while(Option::as_ref)
            .chain(self.more.iter())
            .find(|(k, _)| *k == key)
            .map(|(_, value)| value)
    }

    pub(crate) fn insert(&mut self, key: TypeId, value: Value) {
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some((key, value)),
            None => self.more.push((key, value)),
        }
    }
}

/// An id given to the request (by the request-id middleware), which the
/// background tasks of the request log with their failures.
#[derive(Clone, Debug)]
pub struct RequestId(pub Arc<str>);

impl Request {
    pub(crate) fn new(
        request: http::Request<Body>,
        client: Option<SocketAddr>,
        context: Arc<Context>,
    ) -> Self {
        let (head, body) = request.into_parts();
        let scheme = match head.uri.scheme_str() {
            Some("https") | Some("wss") => Scheme::Https,
            _ => Scheme::Http,
        };
        Request {
            inner: Box::new(Inner {
                head,
                body: Mutex::new(BodyState::Unread(body)),
                params: Params::default(),
                client,
                scheme,
                context,
                scope: None,
            }),
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.inner.head.method
    }

    /// The URI as sent: the path and query (with scheme and host for an
    /// absolute-form or HTTP/2 request).
    pub fn uri(&self) -> &Uri {
        &self.inner.head.uri
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.inner.head.version
    }

    /// The path, percent-encoded as sent.
    pub fn path(&self) -> &str {
        self.inner.head.uri.path()
    }

    /// The query string without the `?`, if any.
    pub fn query_string(&self) -> Option<&str> {
        self.inner.head.uri.query()
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.head.headers
    }

    /// The headers, to change before the handler sees them.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.inner.head.headers
    }

    /// A header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner
            .head
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
    }

    /// Per-request values that middleware hands to handlers and
    /// dependencies, as FastAPI's `request.state`.
    pub fn state(&self) -> &Extensions {
        &self.inner.head.extensions
    }

    /// Per-request values, to add to.
    pub fn state_mut(&mut self) -> &mut Extensions {
        &mut self.inner.head.extensions
    }

    /// The client's address: the socket's peer, or what a trusted proxy said.
    pub fn client(&self) -> Option<SocketAddr> {
        self.inner.client
    }

    /// Sets the client address (for the proxy-headers middleware).
    pub fn set_client(&mut self, client: SocketAddr) {
        self.inner.client = Some(client);
    }

    /// The scheme the client used.
    pub fn scheme(&self) -> Scheme {
        self.inner.scheme
    }

    /// Sets the scheme (for the proxy-headers middleware).
    pub fn set_scheme(&mut self, scheme: Scheme) {
        self.inner.scheme = scheme;
    }

    /// The host the client asked for: the `host` header, or the URI's
    /// authority for HTTP/2.
    pub fn host(&self) -> Option<&str> {
        self.header("host")
            .or_else(|| self.inner.head.uri.authority().map(|a| a.as_str()))
    }

    /// The full URL, as Starlette's `request.url`: scheme, host, path and query.
    pub fn url(&self) -> String {
        let scheme = match self.inner.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        let host = self.host().unwrap_or("localhost");
        match self.query_string() {
            Some(query) => format!("{scheme}://{host}{}?{query}", self.path()),
            None => format!("{scheme}://{host}{}", self.path()),
        }
    }

    /// A query parameter's first value, percent-decoded.
    pub fn query(&self, name: &str) -> Option<Cow<'_, str>> {
        self.query_pairs()
            .find(|(key, _)| key_is(key, name))
            .map(|(_, value)| form_decode(value))
    }

    /// Every value of a repeated query parameter, in order.
    pub fn query_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Cow<'a, str>> + 'a {
        self.query_pairs()
            .filter(move |(key, _)| key_is(key, name))
            .map(|(_, value)| form_decode(value))
    }

    /// The query string's `key=value` pairs, as sent.
    fn query_pairs(&self) -> QueryPairs<'_> {
        QueryPairs(self.query_string().unwrap_or(""))
    }

    /// A cookie's value.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.inner
            .head
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.trim_matches('"'))
    }

    /// The `index`th path parameter of the matched route, percent-decoded.
    pub fn path_param(&self, index: usize) -> Option<Cow<'_, str>> {
        if index >= usize::from(self.inner.params.len) {
            return None;
        }
        let (start, end) = self.inner.params.ranges[index];
        let raw = self
            .inner
            .head
            .uri
            .path()
            .get(start as usize..end as usize)?;
        if !raw.contains('%') {
            // Already text (the URI is): nothing to decode or check.
            return Some(Cow::Borrowed(raw));
        }
        Some(percent_encoding::percent_decode_str(raw).decode_utf8_lossy())
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.inner.context
    }

    pub(crate) fn scope(&self) -> Option<&RequestScope> {
        self.inner.scope.as_deref()
    }

    pub(crate) fn scope_mut(&mut self) -> &mut RequestScope {
        self.inner.scope.get_or_insert_with(Box::default)
    }

    /// The bad input found so far (by dependencies attached to the app or
    /// a router), taken to be added to.
    pub(crate) fn take_errors(&mut self) -> ValidationError {
        self.inner
            .scope
            .as_mut()
            .map(|scope| std::mem::take(&mut scope.errors))
            .unwrap_or_default()
    }

    /// Leaves bad input for the endpoint to report with its own.
    pub(crate) fn put_errors(&mut self, errors: ValidationError) {
        if !errors.is_empty() {
            self.scope_mut().errors = errors;
        }
    }

    pub(crate) fn set_params(&mut self, params: Params) {
        self.inner.params = params;
    }

    /// The whole body, read once (up to the app's body limit) and kept.
    ///
    /// A body over the limit is a `413`; a body cut off by the client is a `400`.
    pub async fn body(&mut self) -> Result<Bytes, HttpError> {
        let limit = self.inner.context.body_limit;
        let state = self.body_state();
        let body = match state {
            BodyState::Read(bytes) => return Ok(bytes.clone()),
            BodyState::Unread(body) => std::mem::take(body),
        };
        let bytes = read_limited(body, limit).await?;
        *self.body_state() = BodyState::Read(bytes.clone());
        Ok(bytes)
    }

    /// The body parsed as JSON.
    pub async fn json<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, HttpError> {
        let bytes = self.body().await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| HttpError::new(400, format!("invalid JSON body: {e}")))
    }

    /// Replaces the body the handler will see.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        *self.body_state() = BodyState::Read(body.into());
    }

    /// Takes the body to stream it (an upload too large to hold, say). A body
    /// already read is handed back whole; after this the request has none.
    pub fn take_body(&mut self) -> Body {
        match std::mem::replace(self.body_state(), BodyState::Read(Bytes::new())) {
            BodyState::Unread(body) => body,
            BodyState::Read(bytes) => Body::from(bytes),
        }
    }

    fn body_state(&mut self) -> &mut BodyState {
        self.inner.body.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// The background tasks of this request, shared by its handler and
    /// dependencies.
    pub fn background_tasks(&mut self) -> BackgroundTasks {
        self.scope_mut()
            .tasks
            .get_or_insert_with(BackgroundTasks::new)
            .clone()
    }

    /// Moves what must outlive the handler into two scopes: the work that
    /// runs after the response (tasks, request-scoped cleanups), and the
    /// cleanups that run right after the handler (`scope = "function"`).
    /// Either one, dropped unrun, still runs its work.
    pub(crate) fn take_scope(&mut self) -> (Option<Scope>, Option<Scope>) {
        // Most requests register no task and no cleanup: nothing to move
        // (the partition below costs ~300 instructions per request).
        let Some(scope) = self.inner.scope.as_deref_mut() else {
            return (None, None);
        };
        if scope.is_empty() {
            return (None, None);
        }
        let RequestScope {
            tasks, cleanups, ..
        } = std::mem::take(scope);
        let cleanups: Vec<Cleanup> = cleanups.into_inner().unwrap_or_else(|e| e.into_inner());
        let request_id = self
            .inner
            .head
            .extensions
            .get::<RequestId>()
            .map(|id| id.0.clone());
        after::split(tasks, cleanups, &self.inner.context.tracker, request_id)
    }
}

/// What only this framework knows of a request, kept in its extensions
/// while a tower service (`App::layer`, `App::mount`) holds it as an
/// `http::Request`. `http` asks extensions to be `Clone`; only one holder
/// ever takes the contents.
#[derive(Clone)]
struct Carried(Arc<Mutex<Option<CarriedParts>>>);

struct CarriedParts {
    params: Params,
    client: Option<SocketAddr>,
    scheme: Scheme,
    scope: Option<Box<RequestScope>>,
}

impl Request {
    /// The request as an `http::Request` for a tower service, carrying
    /// the rest (client, scheme, path parameters, dependency scope) along.
    pub(crate) fn into_http(mut self) -> http::Request<Body> {
        let inner = &mut *self.inner;
        let mut head = std::mem::replace(&mut inner.head, http::Request::new(()).into_parts().0);
        let body = match std::mem::replace(
            inner.body.get_mut().unwrap_or_else(|e| e.into_inner()),
            BodyState::Read(Bytes::new()),
        ) {
            BodyState::Unread(body) => body,
            BodyState::Read(bytes) => Body::from(bytes),
        };
        head.extensions
            .insert(Carried(Arc::new(Mutex::new(Some(CarriedParts {
                params: inner.params,
                client: inner.client,
                scheme: inner.scheme,
                scope: inner.scope.take(),
            })))));
        http::Request::from_parts(head, body)
    }

    /// The request back from a tower service, with what it carried; a
    /// request the service made anew starts with nothing but `context`.
    pub(crate) fn from_http(request: http::Request<Body>, context: Arc<Context>) -> Self {
        let (mut head, body) = request.into_parts();
        let carried = head
            .extensions
            .remove::<Carried>()
            .and_then(|c| c.0.lock().unwrap_or_else(|e| e.into_inner()).take());
        let mut request = Request::new(http::Request::from_parts(head, body), None, context);
        if let Some(parts) = carried {
            let inner = &mut *request.inner;
            inner.params = parts.params;
            inner.client = parts.client;
            inner.scheme = parts.scheme;
            inner.scope = parts.scope;
        }
        request
    }
}

/// The `key=value` pairs of a query string, empty ones skipped. A query is
/// short: a byte loop finds `&` and `=` sooner than a string search.
struct QueryPairs<'a>(&'a str);

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.0.is_empty() {
            let rest = self.0;
            let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
            let pair = &rest[..end];
            self.0 = rest.get(end + 1..).unwrap_or("");
            if pair.is_empty() {
                continue;
            }
            return Some(match pair.bytes().position(|b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, ""),
            });
        }
        None
    }
}

/// Whether a query key as sent reads `name`.
fn key_is(raw: &str, name: &str) -> bool {
    // Decoding never lengthens a key.
    raw == name || (raw.len() >= name.len() && form_decode(raw) == name)
}

/// A query string's key or value as `application/x-www-form-urlencoded`
/// reads it (`+` is a space, `%XX` a byte). Most need no decoding: they are
/// borrowed as they are, since the URI is already valid text.
fn form_decode(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(raw);
    }
    let spaced = raw.replace('+', " ");
    Cow::Owned(
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

impl Drop for Request {
    // A request dropped before it reached a handler (a middleware answered
    // by itself) still owes its dependencies' cleanup and its tasks, which
    // dropping the scopes starts.
    fn drop(&mut self) {
        drop(self.take_scope());
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", self.method())
            .field("uri", self.uri())
            .field("headers", self.headers())
            .finish_non_exhaustive()
    }
}

async fn read_limited(body: Body, limit: usize) -> Result<Bytes, HttpError> {
    use http_body_util::{BodyExt, Limited};
    if body.exact_len().is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(HttpError::new(
            400,
            "Bad Request: the body could not be read",
        )),
    }
}

fn too_large() -> HttpError {
    HttpError::new(413, "Request Entity Too Large")
}
