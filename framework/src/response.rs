//! Responses and the [`IntoResponse`] trait a handler's return type implements.

use std::path::Path;

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};

use crate::after::Scope;
use crate::body::{Body, BoxError};

static TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
static APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
static TEXT_HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// An HTTP response on its way out through the middleware.
///
/// Its body may still be streaming: middleware that only touches the
/// status or headers never waits for it.
pub struct Response {
    // Boxed because a response moves out through every layer's future: a
    // pointer moves cheaply where the whole would be copied each time.
    inner: Box<http::Response<Body>>,
    // Background tasks and dependency cleanup, run once the body is sent.
    // Boxed: most responses have none, and every layer moves the response.
    scope: Option<Box<Scope>>,
    // An error a handler returned (`framework::Error`'s contents), kept
    // until the app's exception handlers have had a look at it.
    raised: Option<BoxError>,
}

/// A header name, as [`Response::set_header`] takes it.
pub trait IntoHeaderName {
    /// The name, or `None` if it is not a valid header name.
    fn into_header_name(self) -> Option<HeaderName>;
}

impl IntoHeaderName for &'static str {
    #[inline(always)]
    fn into_header_name(self) -> Option<HeaderName> {
        // A name written as it is sent (lowercase) is kept as its static
        // text; for a literal the check and the conversion both fold away
        // where `set_header` is inlined, so the name costs nothing.
        if is_lowercase_token(self.as_bytes()) {
            return Some(HeaderName::from_static(self));
        }
        parse_static(self)
    }
}

/// Whether `from_static` takes `name` as it is: a non-empty token of
/// lowercase letters, digits and the other characters a token allows.
#[inline(always)]
const fn is_lowercase_token(name: &[u8]) -> bool {
    if name.is_empty() || name.len() > u16::MAX as usize - 1 {
        return false;
    }
    let mut i = 0;
    while i < name.len() {
        if !matches!(
            name[i],
            b'a'..=b'z' | b'0'..=b'9' | b'!' | b'#' | b'$' | b'%' | b'&' | b'\''
                | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        ) {
            return false;
        }
        i += 1;
    }
    true
}

/// Any other `'static` name (`"X-Process-Time"`, as FastAPI code writes
/// it): parsing it costs a few hundred instructions and an allocation,
/// and a middleware sets the same few names on every response. Text at
/// one `'static` address never changes, so each thread keeps what it
/// parsed by address.
#[cold]
#[inline(never)]
fn parse_static(name: &'static str) -> Option<HeaderName> {
    STATIC_NAMES.with_borrow_mut(|names| {
        let key = (name.as_ptr() as usize, name.len());
        if let Some((_, parsed)) = names.iter().find(|(k, _)| *k == key) {
            return Some(parsed.clone());
        }
        let parsed = HeaderName::from_bytes(name.as_bytes()).ok()?;
        if names.len() < STATIC_NAMES_KEPT {
            names.push((key, parsed.clone()));
        }
        Some(parsed)
    })
}

#[cold]
fn invalid_header() {
    tracing::error!("Response::set_header: invalid header name or value left out");
}

/// How many `'static` header names each thread keeps parsed.
const STATIC_NAMES_KEPT: usize = 32;

thread_local! {
    static STATIC_NAMES: std::cell::RefCell<Vec<((usize, usize), HeaderName)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl IntoHeaderName for String {
    fn into_header_name(self) -> Option<HeaderName> {
        HeaderName::try_from(self).ok()
    }
}

impl IntoHeaderName for HeaderName {
    fn into_header_name(self) -> Option<HeaderName> {
        Some(self)
    }
}

impl IntoHeaderName for &HeaderName {
    fn into_header_name(self) -> Option<HeaderName> {
        Some(self.clone())
    }
}

impl Response {
    /// A `200 OK` response with this body and no headers.
    pub fn new(body: impl Into<Body>) -> Self {
        Response {
            inner: Box::new(http::Response::new(body.into())),
            scope: None,
            raised: None,
        }
    }

    /// A response with a body of UTF-8 text (`text/plain; charset=utf-8`).
    pub fn text(text: impl Into<Body>) -> Self {
        Response::with_type(text.into(), &TEXT_PLAIN)
    }

    /// A response whose body is already-serialized JSON.
    pub fn json_bytes(json: impl Into<Body>) -> Self {
        Response::with_type(json.into(), &APPLICATION_JSON)
    }

    fn with_type(body: Body, content_type: &HeaderValue) -> Self {
        let mut response = Response::new(body);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type.clone());
        response
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    /// Sets the status.
    pub fn set_status(&mut self, status: StatusCode) {
        *self.inner.status_mut() = status;
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The headers, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.inner.headers_mut()
    }

    /// Sets a header, replacing any of the same name, as Starlette's
    /// `response.headers[name] = value`. A name or value that is not valid
    /// in a header (a newline, say) is left out and logged rather than sent.
    ///
    /// The name is a `&'static str` (`"x-process-time"`), a `String` or a
    /// [`HeaderName`]; the value anything that converts to a
    /// [`HeaderValue`]. On a hot path, a name written in lowercase costs
    /// nothing to convert (a mixed-case one is parsed once per thread), and
    /// a value that never changes costs least as `HeaderValue::from_static("…")`.
    // Always inlined, so that a literal name is checked and converted
    // while compiling (see `IntoHeaderName for &'static str`).
    #[inline(always)]
    pub fn set_header<N, V>(&mut self, name: N, value: V)
    where
        N: IntoHeaderName,
        V: TryInto<HeaderValue>,
    {
        match (name.into_header_name(), value.try_into()) {
            (Some(name), Ok(value)) => {
                self.inner.headers_mut().insert(name, value);
            }
            _ => invalid_header(),
        }
    }

    /// The body.
    pub fn body(&self) -> &Body {
        self.inner.body()
    }

    /// Replaces the body, returning the old one. A `content-length` set for
    /// the old body is removed, since it no longer holds.
    pub fn replace_body(&mut self, body: impl Into<Body>) -> Body {
        self.inner.headers_mut().remove(header::CONTENT_LENGTH);
        std::mem::replace(self.inner.body_mut(), body.into())
    }

    /// Transforms the body, as a streaming-level middleware does to see or
    /// rewrite the chunks as they pass (see [`Body::new`]).
    pub fn map_body(mut self, f: impl FnOnce(Body) -> Body) -> Self {
        let body = self.replace_body(Body::empty());
        *self.inner.body_mut() = f(body);
        self
    }

    /// The `HEAD` answer of a `GET` one: the same status and headers (the
    /// `content-length` the body would have had among them), no body.
    pub(crate) fn without_body(mut self) -> Response {
        if let Some(len) = self.body().exact_len() {
            if !self.headers().contains_key(header::CONTENT_LENGTH) {
                self.set_header(header::CONTENT_LENGTH, len);
            }
        }
        let length = self.headers().get(header::CONTENT_LENGTH).cloned();
        let _ = self.replace_body(Body::empty());
        if let Some(length) = length {
            self.headers_mut().insert(header::CONTENT_LENGTH, length);
        }
        self
    }

    /// Reads the whole body. Meant for tests and small answers: a streaming
    /// body is waited for to its end.
    pub async fn into_bytes(self) -> Result<Bytes, BoxError> {
        use http_body_util::BodyExt;
        let (_, body, _scope) = self.into_parts();
        Ok(body.collect().await?.to_bytes())
    }

    pub(crate) fn set_raised(&mut self, error: BoxError) {
        self.raised = Some(error);
    }

    pub(crate) fn take_raised(&mut self) -> Option<BoxError> {
        self.raised.take()
    }

    pub(crate) fn attach_scope(&mut self, scope: Option<Scope>) {
        if let Some(scope) = scope {
            match &mut self.scope {
                Some(existing) => existing.absorb(scope),
                None => self.scope = Some(Box::new(scope)),
            }
        }
    }

    pub(crate) fn into_parts(self) -> (http::response::Parts, Body, Option<Box<Scope>>) {
        let (parts, body) = self.inner.into_parts();
        (parts, body, self.scope)
    }

    /// Wraps an `http::Response`.
    pub fn from_http(response: http::Response<Body>) -> Self {
        Response {
            inner: Box::new(response),
            scope: None,
            raised: None,
        }
    }

    /// The response as an `http::Response` for a tower layer, carrying its
    /// after-response work and raised error in its extensions.
    pub(crate) fn into_http_carrying(self) -> http::Response<Body> {
        let Response {
            mut inner,
            scope,
            raised,
        } = self;
        if scope.is_some() || raised.is_some() {
            inner
                .extensions_mut()
                .insert(Carried(std::sync::Arc::new(std::sync::Mutex::new(Some((
                    scope, raised,
                ))))));
        }
        *inner
    }

    /// The response back from a tower layer, with what it carried.
    pub(crate) fn from_http_carrying(mut response: http::Response<Body>) -> Self {
        let carried = response
            .extensions_mut()
            .remove::<Carried>()
            .and_then(|c| c.0.lock().unwrap_or_else(|e| e.into_inner()).take());
        let (scope, raised) = carried.unwrap_or((None, None));
        Response {
            inner: Box::new(response),
            scope,
            raised,
        }
    }
}

/// What a response carries through a tower layer (`http` asks extensions
/// to be `Clone`; only one holder ever takes the contents).
#[derive(Clone)]
#[allow(clippy::type_complexity)]
struct Carried(std::sync::Arc<std::sync::Mutex<Option<(Option<Box<Scope>>, Option<BoxError>)>>>);

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status())
            .field("headers", self.headers())
            .finish_non_exhaustive()
    }
}

/// `value` as JSON, in a buffer of exactly its size.
///
/// Serializing straight into a `Vec` leaves it larger than the text, and
/// `Bytes` then needs a second allocation to share it; serializing into a
/// buffer each thread keeps and copying out the text needs one, and the
/// answer holds no spare capacity.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Bytes> {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            serde_json::to_writer(&mut *buf, value)?;
            let bytes = Bytes::copy_from_slice(&buf);
            // A rare large answer does not stay on the thread.
            if buf.capacity() > SCRATCH_KEPT {
                *buf = Vec::new();
            }
            Ok(bytes)
        }
        // Serializing while serializing (a `Serialize` that answers): its own buffer.
        Err(_) => serde_json::to_vec(value).map(Bytes::from),
    })
}

/// The largest serialization buffer a thread keeps between answers.
const SCRATCH_KEPT: usize = 64 * 1024;

/// The plain `500 Internal Server Error` Starlette sends when something
/// failed that no handler answered.
pub(crate) fn internal_server_error() -> Response {
    let mut response = Response::text("Internal Server Error");
    response.set_status(StatusCode::INTERNAL_SERVER_ERROR);
    response
}

/// What a handler may return.
///
/// `status_code = N` on a route applies to a successful answer through
/// [`into_response_with`](IntoResponse::into_response_with): types that
/// choose their own status (errors, [`Response`], `(StatusCode, T)`)
/// keep theirs.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a handler",
    label = "not a response",
    note = "return `Json<T>`, `Html<T>`, `String`, `&'static str`, `Redirect`, `Response`, `StatusCode`, `()`, `(StatusCode, T)` or `Result<T, E>` of those"
)]
pub trait IntoResponse {
    /// Makes the response.
    fn into_response(self) -> Response;

    /// Makes the response, with `default` as the status of a success.
    fn into_response_with(self, default: StatusCode) -> Response
    where
        Self: Sized,
    {
        let mut response = self.into_response();
        response.set_status(default);
        response
    }
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        self
    }
}

impl IntoResponse for http::Response<Body> {
    fn into_response(self) -> Response {
        Response::from_http(self)
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        Response::from_http(self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        Response::with_type(
            self.into(),
            &HeaderValue::from_static("application/octet-stream"),
        )
    }
}

/// `()` answers with an empty body, as FastAPI's `None` would with
/// `status_code=204`; with no `status_code` it is `200` with `null`.
impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::json_bytes("null")
    }

    fn into_response_with(self, default: StatusCode) -> Response {
        // A status that forbids a body gets none (FastAPI strips it too).
        let mut response =
            if default == StatusCode::NO_CONTENT || default == StatusCode::NOT_MODIFIED {
                Response::new(Body::empty())
            } else {
                self.into_response()
            };
        response.set_status(default);
        response
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        response.set_status(self);
        response
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        response.set_status(self.0);
        response
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, HeaderMap, T) {
    fn into_response(self) -> Response {
        let mut response = self.2.into_response();
        response.set_status(self.0);
        for (name, value) in self.1 {
            if let Some(name) = name {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

impl<T: IntoResponse, const N: usize> IntoResponse
    for (StatusCode, [(&'static str, &'static str); N], T)
{
    fn into_response(self) -> Response {
        let mut response = self.2.into_response();
        response.set_status(self.0);
        for (name, value) in self.1 {
            response.set_header(name, value);
        }
        response
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(ok) => ok.into_response(),
            Err(err) => err.into_response(),
        }
    }

    fn into_response_with(self, default: StatusCode) -> Response {
        match self {
            Ok(ok) => ok.into_response_with(default),
            Err(err) => err.into_response(),
        }
    }
}

/// An HTML answer (`text/html; charset=utf-8`).
#[derive(Debug, Clone)]
pub struct Html<T>(pub T);

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        Response::with_type(self.0.into(), &TEXT_HTML)
    }
}

/// A redirect: `307 Temporary Redirect` by default, as Starlette's
/// `RedirectResponse`, or any of 301, 302, 303 and 308.
#[derive(Debug, Clone)]
pub struct Redirect {
    status: StatusCode,
    location: String,
}

impl Redirect {
    /// `307 Temporary Redirect`: the method and body are kept.
    pub fn to(location: impl Into<String>) -> Self {
        Redirect::with_status(StatusCode::TEMPORARY_REDIRECT, location)
    }

    /// `308 Permanent Redirect`: the method and body are kept.
    pub fn permanent(location: impl Into<String>) -> Self {
        Redirect::with_status(StatusCode::PERMANENT_REDIRECT, location)
    }

    /// `301 Moved Permanently`.
    pub fn moved_permanently(location: impl Into<String>) -> Self {
        Redirect::with_status(StatusCode::MOVED_PERMANENTLY, location)
    }

    /// `302 Found`.
    pub fn found(location: impl Into<String>) -> Self {
        Redirect::with_status(StatusCode::FOUND, location)
    }

    /// `303 See Other`: the client follows with a `GET`.
    pub fn see_other(location: impl Into<String>) -> Self {
        Redirect::with_status(StatusCode::SEE_OTHER, location)
    }

    fn with_status(status: StatusCode, location: impl Into<String>) -> Self {
        Redirect {
            status,
            location: location.into(),
        }
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        response.set_status(self.status);
        response.set_header(header::LOCATION, self.location);
        response
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

/// A body streamed to the client chunk by chunk as the stream yields them,
/// as Starlette's `StreamingResponse`.
pub struct Streaming<S> {
    stream: S,
    content_type: HeaderValue,
}

impl<S> Streaming<S> {
    /// Streams with `content-type: text/plain; charset=utf-8`.
    pub fn new(stream: S) -> Self {
        Streaming {
            stream,
            content_type: TEXT_PLAIN.clone(),
        }
    }

    /// Sets the content type. An invalid value keeps the default.
    pub fn content_type(mut self, content_type: &str) -> Self {
        if let Ok(value) = HeaderValue::try_from(content_type) {
            self.content_type = value;
        }
        self
    }
}

impl<S, T, E> IntoResponse for Streaming<S>
where
    S: futures_core::Stream<Item = Result<T, E>> + Send + 'static,
    T: Into<Bytes>,
    E: Into<BoxError>,
{
    fn into_response(self) -> Response {
        Response::with_type(Body::from_stream(self.stream), &self.content_type)
    }
}

/// A file sent from disk as it is read, as Starlette's `FileResponse`. The
/// content type is guessed from the extension; a missing file is a 404.
#[derive(Debug, Clone)]
pub struct FileResponse {
    path: std::path::PathBuf,
}

impl FileResponse {
    /// Sends the file at `path`.
    pub fn new(path: impl AsRef<Path>) -> Self {
        FileResponse {
            path: path.as_ref().to_path_buf(),
        }
    }
}

impl IntoResponse for FileResponse {
    /// Opens the file now (a quick, local call) so that a missing file is a
    /// 404 rather than a broken stream; its bytes are read as they are sent.
    fn into_response(self) -> Response {
        let file = match std::fs::File::open(&self.path) {
            Ok(file) => file,
            Err(_) => {
                let mut response = Response::json_bytes(r#"{"detail":"Not Found"}"#);
                response.set_status(StatusCode::NOT_FOUND);
                return response;
            }
        };
        let len = file.metadata().ok().map(|m| m.len());
        let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
        let mut response = Response::with_type(
            Body::from_stream(stream),
            &HeaderValue::from_static(guess_type(&self.path)),
        );
        if let Some(len) = len {
            response.set_header(header::CONTENT_LENGTH, len);
        }
        response
    }
}

fn guess_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `'static` name takes the `from_static` path only when
    /// `from_bytes` keeps it as written; `from_static` panics on anything
    /// else, so every byte is tried.
    #[test]
    fn static_names_never_panic_and_match_from_bytes() {
        for byte in 0..=u8::MAX {
            for text in [vec![byte], vec![b'x', b'-', byte]] {
                let Ok(text) = String::from_utf8(text) else {
                    continue;
                };
                let leaked: &'static str = Box::leak(text.into_boxed_str());
                let expected = HeaderName::from_bytes(leaked.as_bytes()).ok();
                assert_eq!(leaked.into_header_name(), expected, "{leaked:?}");
                // The second time comes from the per-thread cache.
                assert_eq!(leaked.into_header_name(), expected, "{leaked:?}");
            }
        }
    }
}
