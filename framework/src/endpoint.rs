//! The endpoint: what a route macro generated. It extracts the parameters
//! (through `extract` and `depends`), calls the handler, makes the
//! response, and hands what must outlive the handler to the response
//! (`after`). The functions here are the lifecycle steps the generated
//! code calls, in order.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use crate::after::Scope;
use crate::chain::{After, Endpoint, Run};
use crate::depends::ErasedDependency;
use crate::error::ValidationError;
use crate::meta::{DependencyInfo, ParamInfo, RouteInfo, RouteMeta, TypeInfo};
use crate::panic::{catch_unwind, panic_message};
use crate::request::Request;
use crate::response::{internal_server_error, IntoResponse, Response};

/// A handler turned into a route by `#[get]` and its siblings.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route",
    label = "not a route",
    note = "mark an `async fn` with `#[get(\"/path\")]` (or `post`, `put`, `patch`, `delete`, `head`, `options`, `route`)"
)]
pub trait Route: Send + Sync + 'static {
    /// What the macro knows about the route from its source.
    fn meta(&self) -> &'static RouteMeta;

    /// Its parameters, in declaration order (built when it is registered).
    #[doc(hidden)]
    fn params(&self) -> Vec<ParamInfo>;

    /// The dependencies of its `dependencies(…)` argument.
    #[doc(hidden)]
    fn dependencies(&self) -> Vec<DependencyInfo>;

    /// Its return type.
    #[doc(hidden)]
    fn returns(&self) -> TypeInfo;

    /// Extracts the parameters, calls the handler, and makes the response.
    #[doc(hidden)]
    fn call(request: Request) -> impl Future<Output = Response> + Send + 'static;
}

/// Everything known of a route, as the app keeps it.
pub(crate) fn info<R: Route>(route: &R) -> RouteInfo {
    let meta = route.meta();
    RouteInfo {
        meta,
        path: meta.template.to_owned(),
        params: route.params(),
        dependencies: route.dependencies(),
        returns: route.returns(),
    }
}

pub(crate) struct RouteEndpoint<R>(pub(crate) R);

impl<R: Route> Endpoint for RouteEndpoint<R> {
    fn call(&self, request: Request) -> Run<'_> {
        Run::start(After::Endpoint, || Box::pin(R::call(request)))
    }
}

/// A route with dependencies attached by its app or router, resolved for
/// their effect before it runs. Their bad input joins the route's 422.
pub(crate) struct WithDependencies {
    pub(crate) dependencies: Vec<Arc<dyn ErasedDependency>>,
    pub(crate) inner: Box<dyn Endpoint>,
}

impl Endpoint for WithDependencies {
    fn call(&self, mut request: Request) -> Run<'_> {
        Run::start(After::Endpoint, || {
            Box::pin(async move {
                let mut errors = request.take_errors();
                for dependency in &self.dependencies {
                    if let Err(response) = dependency
                        .resolve_erased(&mut request, &mut errors, true)
                        .await
                    {
                        return early(response, &mut request);
                    }
                }
                request.put_errors(errors);
                self.inner.call(request).await
            })
        })
    }
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
        internal_server_error()
    });
    if let Some(after_handler) = scope.after_handler {
        after_handler.run_cleanups_now().await;
    }
    response.attach_scope(scope.after_response);
    response
}
