//! Errors in FastAPI's shapes: `HttpError`, 422 validation errors, and
//! [`Error`], which carries any error to the app's exception handlers.

use std::borrow::Cow;
use std::fmt;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::response::{IntoResponse, Response};

/// An error answered as `{"detail": …}` with its status, like FastAPI's
/// `HTTPException`.
///
/// ```
/// use framework::HttpError;
/// let err = HttpError::new(404, "Item not found").header("x-error", "There goes my error");
/// assert_eq!(err.status().as_u16(), 404);
/// ```
#[derive(Debug, Clone)]
pub struct HttpError {
    status: StatusCode,
    detail: Value,
    headers: HeaderMap,
}

impl HttpError {
    /// An error with a status and a `detail`, which may be any JSON value
    /// (a string, as most apps use, or an object).
    ///
    /// A status outside 100–999 becomes 500.
    pub fn new(status: u16, detail: impl Into<Value>) -> Self {
        HttpError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            detail: detail.into(),
            headers: HeaderMap::new(),
        }
    }

    /// An error whose detail is the status's reason phrase, as Starlette
    /// words it when no detail is given (`401` → `"Unauthorized"`).
    pub fn from_status(status: StatusCode) -> Self {
        HttpError::new(status.as_u16(), status.canonical_reason().unwrap_or(""))
    }

    /// Adds a header to the answer (`www-authenticate` on a 401, say).
    /// A name or value that is not valid in HTTP is left out and logged.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            _ => tracing::error!(name, "HttpError::header: invalid header left out"),
        }
        self
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `detail` it answers with.
    pub fn detail(&self) -> &Value {
        &self.detail
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Value::String(s) => write!(f, "{}: {s}", self.status.as_u16()),
            other => write!(f, "{}: {other}", self.status.as_u16()),
        }
    }
}

impl std::error::Error for HttpError {}

#[derive(Serialize)]
struct Detail<'a, T: Serialize> {
    detail: &'a T,
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        // Starlette sends no body for statuses that must not have one.
        let mut response = if matches!(self.status.as_u16(), 204 | 304) {
            Response::new(crate::body::Body::empty())
        } else {
            Response::json_bytes(json_body(&self.detail))
        };
        response.set_status(self.status);
        response.headers_mut().extend(self.headers);
        response
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

fn json_body<T: Serialize>(detail: &T) -> bytes::Bytes {
    crate::response::to_json(&Detail { detail })
        .unwrap_or_else(|_| bytes::Bytes::from_static(b"{\"detail\":null}"))
}

/// One step of an error's location: a name (`"query"`, `"item_id"`) or an
/// index into a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Loc {
    /// A field or parameter name, or the source (`"path"`, `"body"`).
    Name(Cow<'static, str>),
    /// An index into a list.
    Index(usize),
}

impl From<&'static str> for Loc {
    fn from(name: &'static str) -> Self {
        Loc::Name(Cow::Borrowed(name))
    }
}

impl From<String> for Loc {
    fn from(name: String) -> Self {
        Loc::Name(Cow::Owned(name))
    }
}

impl From<usize> for Loc {
    fn from(index: usize) -> Self {
        Loc::Index(index)
    }
}

/// One bad input, in pydantic v2's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorDetail {
    /// The machine-readable kind (`"missing"`, `"int_parsing"`, …).
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// Where the input was: `["query", "q"]`, `["body", "tags", 0]`.
    pub loc: Vec<Loc>,
    /// The human-readable message, worded as pydantic words it.
    pub msg: Cow<'static, str>,
    /// The input that was rejected (`null` when it was missing).
    pub input: Value,
    /// Extra context, as pydantic gives for some kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
    /// Its place in FastAPI's order, set when it is recorded.
    #[serde(skip)]
    rank: u8,
}

impl ErrorDetail {
    /// A detail with no context.
    pub fn new(
        kind: impl Into<Cow<'static, str>>,
        loc: Vec<Loc>,
        msg: impl Into<Cow<'static, str>>,
        input: Value,
    ) -> Self {
        ErrorDetail {
            kind: kind.into(),
            loc,
            msg: msg.into(),
            input,
            ctx: None,
            rank: 0,
        }
    }

    /// A required input that was not sent.
    pub fn missing(loc: Vec<Loc>) -> Self {
        ErrorDetail::new("missing", loc, "Field required", Value::Null)
    }
}

/// Every bad input of one request, answered as one 422, in FastAPI's
/// order: what dependencies found first, then path, query, header and
/// cookie parameters, then the body, each in the order found.
///
/// Parameters are extracted in the order they are declared; each entry is
/// filed under the kind of parameter being extracted when it was recorded
/// (see [`ParamSource`](crate::meta::ParamSource)), so the list comes out in
/// FastAPI's order whatever the declaration order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationError {
    errors: Vec<ErrorDetail>,
    /// The place of entries recorded now.
    rank: u8,
}

impl ValidationError {
    /// No errors yet.
    pub const fn new() -> Self {
        ValidationError {
            errors: Vec::new(),
            rank: 0,
        }
    }

    /// Records one more bad input, after those of the same kind of
    /// parameter and before those of kinds that FastAPI lists later.
    pub fn push(&mut self, mut detail: ErrorDetail) {
        detail.rank = self.rank;
        let at = self.errors.partition_point(|e| e.rank <= self.rank);
        self.errors.insert(at, detail);
    }

    /// Files what is recorded from now on under `rank`.
    pub(crate) fn file_under(&mut self, rank: u8) {
        self.rank = rank;
    }

    /// Adds another list (a dependency's) as one block under `rank`, in
    /// its own order.
    #[inline]
    pub(crate) fn append(&mut self, rank: u8, other: ValidationError) {
        if !other.is_empty() {
            self.append_block(rank, other.errors);
        }
    }

    fn append_block(&mut self, rank: u8, errors: Vec<ErrorDetail>) {
        let saved = self.rank;
        self.rank = rank;
        for detail in errors {
            self.push(detail);
        }
        self.rank = saved;
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The recorded errors, in the order they are answered.
    pub fn errors(&self) -> &[ErrorDetail] {
        &self.errors
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} validation error(s)", self.errors.len())
    }
}

impl std::error::Error for ValidationError {}

impl IntoResponse for ValidationError {
    fn into_response(self) -> Response {
        let mut response = Response::json_bytes(json_body(&self.errors));
        response.set_status(StatusCode::UNPROCESSABLE_ENTITY);
        response
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        self.into_response()
    }
}

/// Any error a handler returns with `?`, answered by the app's exception
/// handler for its type (see [`App::exception_handler`](crate::App::exception_handler)),
/// or else as an [`HttpError`] if it is one, or else as a logged 500.
///
/// Like `anyhow::Error`, it converts from every `std::error::Error`, and so
/// does not implement that trait itself.
pub struct Error {
    inner: Box<dyn std::error::Error + Send + Sync>,
}

impl Error {
    /// Wraps an error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error {
            inner: Box::new(error),
        }
    }

    /// Whether the error is of type `E`.
    pub fn is<E: std::error::Error + 'static>(&self) -> bool {
        self.inner.is::<E>()
    }

    /// The error as `E`, if it is one.
    pub fn downcast<E: std::error::Error + 'static>(self) -> Result<E, Self> {
        match self.inner.downcast::<E>() {
            Ok(e) => Ok(*e),
            Err(inner) => Err(Error { inner }),
        }
    }

    /// The error a response carried to the exception handlers.
    pub(crate) fn from_raised(inner: crate::body::BoxError) -> Self {
        Error { inner }
    }

    /// A reference to the error as `E`, if it is one.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.inner.downcast_ref()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
    fn from(error: E) -> Self {
        Error::new(error)
    }
}

impl IntoResponse for Error {
    /// The answer when no exception handler takes the error: an
    /// [`HttpError`] answers as itself; anything else is a 500. The error
    /// rides on the response so that the app's handlers can still claim it.
    fn into_response(self) -> Response {
        let error = match self.downcast::<HttpError>() {
            Ok(http) => return http.into_response(),
            Err(error) => error,
        };
        let mut response = crate::response::internal_server_error();
        response.set_raised(error.inner);
        response
    }

    fn into_response_with(self, _: StatusCode) -> Response {
        self.into_response()
    }
}
