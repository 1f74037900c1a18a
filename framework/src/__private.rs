//! What the macros' generated code uses. Not a public API: the names here
//! change without notice. Every path in generated code goes through this
//! module, so users never import internals and the paths work in this
//! crate's own tests (`extern crate self as framework`).

use std::any::Any;
use std::borrow::Cow;

pub use std::future::Future;
pub use std::marker::Send;
pub use std::option::Option::{self, None, Some};
pub use std::result::Result::{self, Err, Ok};
pub use std::string::String;
pub use std::vec::Vec;

pub use crate::background::BackgroundTasks;
pub use crate::depends::{fallible, plain, Dependency, Depends, IntoResolved, Resolved};
pub use crate::error::{ErrorDetail, Loc, ValidationError};
pub use crate::extract::{
    FromBody, ParamError, ParamParser, Query, State, ViaFromParam, ViaFromStr,
};
pub use crate::middleware::{Middleware, Next};
pub use crate::request::Request;
pub use crate::response::{IntoResponse, Response};
pub use crate::routing::{Route, RouteMeta};

use crate::background::Scope;
use crate::extract::BodyRejection;
use crate::panic::{catch_unwind, panic_message};

/// Where a scalar parameter is read from.
#[derive(Clone, Copy)]
pub enum Source {
    /// The `index`th path parameter.
    Path(usize),
    /// The query string.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
}

impl Source {
    fn loc(self) -> &'static str {
        match self {
            Source::Path(_) => "path",
            Source::Query => "query",
            Source::Header => "header",
            Source::Cookie => "cookie",
        }
    }
}

fn raw<'r>(request: &'r Request, source: Source, name: &str) -> Option<Cow<'r, str>> {
    match source {
        Source::Path(index) => request.path_param(index),
        Source::Query => request.query(name),
        Source::Header => request.header(name).map(Cow::Borrowed),
        Source::Cookie => request.cookie(name).map(Cow::Borrowed),
    }
}

fn bad(source: Source, name: &'static str, raw: &str, error: ParamError) -> ErrorDetail {
    ErrorDetail::new(
        error.kind,
        vec![Loc::from(source.loc()), Loc::from(name)],
        error.msg,
        serde_json::Value::String(raw.to_owned()),
    )
}

/// A required scalar: missing or unparsable is recorded.
pub fn one<T>(
    request: &Request,
    source: Source,
    name: &'static str,
    errors: &mut ValidationError,
    parse: impl FnOnce(&str) -> Result<T, ParamError>,
) -> Option<T> {
    match raw(request, source, name) {
        None => {
            errors.push(ErrorDetail::missing(vec![
                Loc::from(source.loc()),
                Loc::from(name),
            ]));
            None
        }
        Some(text) => parse(&text)
            .map_err(|e| errors.push(bad(source, name, &text, e)))
            .ok(),
    }
}

/// An `Option<T>` scalar: missing is `None`.
pub fn optional<T>(
    request: &Request,
    source: Source,
    name: &'static str,
    errors: &mut ValidationError,
    parse: impl FnOnce(&str) -> Result<T, ParamError>,
) -> Option<Option<T>> {
    match raw(request, source, name) {
        None => Some(None),
        Some(text) => match parse(&text) {
            Ok(value) => Some(Some(value)),
            Err(e) => {
                errors.push(bad(source, name, &text, e));
                None
            }
        },
    }
}

/// A scalar with a default for when it is missing.
pub fn or_default<T>(
    request: &Request,
    source: Source,
    name: &'static str,
    errors: &mut ValidationError,
    parse: impl FnOnce(&str) -> Result<T, ParamError>,
    default: impl FnOnce() -> T,
) -> Option<T> {
    match raw(request, source, name) {
        None => Some(default()),
        Some(text) => parse(&text)
            .map_err(|e| errors.push(bad(source, name, &text, e)))
            .ok(),
    }
}

/// A repeated parameter (`?tag=a&tag=b`, or a header sent several times).
/// Missing is recorded, as FastAPI's `List[T] = Query()`, unless a default is given.
pub fn many<T>(
    request: &Request,
    source: Source,
    name: &'static str,
    errors: &mut ValidationError,
    parse: impl Fn(&str) -> Result<T, ParamError>,
    default: Option<fn() -> Vec<T>>,
) -> Option<Vec<T>> {
    let texts: Vec<Cow<'_, str>> = match source {
        Source::Query => request.query_all(name).collect(),
        Source::Header => request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(Cow::Borrowed)
            .collect(),
        Source::Path(_) | Source::Cookie => raw(request, source, name).into_iter().collect(),
    };
    if texts.is_empty() {
        if let Some(default) = default {
            return Some(default());
        }
        errors.push(ErrorDetail::missing(vec![
            Loc::from(source.loc()),
            Loc::from(name),
        ]));
        return None;
    }
    let mut values = Vec::with_capacity(texts.len());
    let mut ok = true;
    for (index, text) in texts.iter().enumerate() {
        match parse(text) {
            Ok(value) => values.push(value),
            Err(e) => {
                let mut detail = bad(source, name, text, e);
                detail.loc.push(Loc::Index(index));
                errors.push(detail);
                ok = false;
            }
        }
    }
    ok.then_some(values)
}

/// The request body as `T`. `Err` is an answer of its own (413, 400).
pub async fn body<T: FromBody>(
    request: &mut Request,
    errors: &mut ValidationError,
) -> Result<Option<T>, Response> {
    match T::from_body(request).await {
        Ok(value) => Ok(Some(value)),
        Err(BodyRejection::Invalid(detail)) => {
            errors.push(detail);
            Ok(None)
        }
        Err(BodyRejection::Fail(error)) => Err(error.into_response()),
    }
}

/// The whole query string as a serde struct.
pub fn query_struct<T: serde::de::DeserializeOwned>(
    request: &Request,
    errors: &mut ValidationError,
) -> Option<Query<T>> {
    Query::extract(request).map_err(|e| errors.push(e)).ok()
}

/// App state. Missing state is the program's mistake, not the client's: a
/// logged 500 naming the type.
pub fn state<T: Send + Sync + 'static>(request: &Request) -> Result<State<T>, Response> {
    match request.app().state::<T>() {
        Some(value) => Ok(State(value)),
        None => {
            tracing::error!(
                "State<{}> was asked for, but the app has no such state: add it with App::state",
                std::any::type_name::<T>()
            );
            Err(crate::response::internal_server_error())
        }
    }
}

/// The request's background tasks.
pub fn background_tasks(request: &mut Request) -> BackgroundTasks {
    request.background_tasks()
}

/// A dependency, resolved once per request unless `use_cache` is false.
pub async fn depends<D: Dependency>(
    request: &mut Request,
    errors: &mut ValidationError,
    use_cache: bool,
) -> Result<Option<Depends<D>>, Response> {
    crate::depends::resolve::<D>(request, errors, use_cache).await
}

/// The bad input found before the endpoint ran, to add the endpoint's to.
pub fn take_errors(request: &mut Request) -> ValidationError {
    request.take_errors()
}

/// An answer given before the handler ran (a refusing dependency, bad
/// input): the work already registered (cleanups, tasks) still waits for
/// the response to be sent, as it would after a handler.
pub fn early(mut response: Response, request: &mut Request) -> Response {
    let (after_response, after_handler) = request.take_scope();
    response.attach_scope(after_handler);
    response.attach_scope(after_response);
    response
}

/// The 422 listing every bad input.
pub fn invalid(errors: ValidationError) -> Response {
    errors.into_response()
}

/// What must outlive the handler, taken before it consumes the request.
pub struct HandlerScope {
    after_response: Option<Scope>,
    after_handler: Option<Scope>,
}

/// Takes the request's scope before the handler consumes the request.
pub fn take_scope(request: &mut Request) -> HandlerScope {
    let (after_response, after_handler) = request.take_scope();
    HandlerScope {
        after_response,
        after_handler,
    }
}

/// Runs a handler, catching a panic so that it becomes a 500.
pub async fn catch<F: Future>(handler: F) -> Result<F::Output, Box<dyn Any + Send>> {
    catch_unwind(handler).await
}

/// Runs a plain (non-async) handler on the blocking pool, so that it never
/// stalls the server; a panic in it is raised again here, to be caught.
pub async fn blocking<F, R>(handler: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match tokio::task::spawn_blocking(handler).await {
        Ok(output) => output,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => std::panic::panic_any(format!("blocking handler did not finish: {e}")),
        },
    }
}

/// A handler's output as a response; `status` (`status_code = N`) is the
/// status of a success.
pub fn respond_with<O: IntoResponse>(output: O, status: Option<u16>) -> Response {
    match status.and_then(|s| http::StatusCode::from_u16(s).ok()) {
        Some(status) => output.into_response_with(status),
        None => output.into_response(),
    }
}

/// Makes the response of a handler's outcome (a panic is a 500), runs its
/// function-scoped cleanups, and hands the rest of its scope to the response.
pub async fn finish(
    outcome: Result<Response, Box<dyn Any + Send>>,
    meta: &'static RouteMeta,
    scope: HandlerScope,
) -> Response {
    let mut response = outcome.unwrap_or_else(|panic| {
        tracing::error!(
            "{} {}: handler `{}` panicked: {}",
            meta.methods.first().copied().unwrap_or("-"),
            meta.template,
            meta.name,
            panic_message(&*panic)
        );
        crate::response::internal_server_error()
    });
    if let Some(after_handler) = scope.after_handler {
        after_handler.run_cleanups_now().await;
    }
    response.attach_scope(scope.after_response);
    response
}

/// Turns what a middleware function returned into its response.
pub fn respond<O: IntoResponse>(output: O) -> Response {
    output.into_response()
}

/// A built app that requests are sent through in-process: middleware,
/// routing, extraction, dependencies and handler, with no socket and no
/// waiting for background tasks. The dispatch path alone, for the
/// in-process benchmark (`bench-inprocess`); tests use `TestClient`.
#[derive(Clone)]
pub struct Dispatch(std::sync::Arc<crate::app::AppInner>);

impl Dispatch {
    /// Builds the app.
    pub fn new(app: crate::App) -> Self {
        Dispatch(app.build())
    }

    /// Sends one request through the app.
    pub async fn call(&self, request: http::Request<crate::Body>) -> Response {
        self.0.handle(request, None).await
    }
}
