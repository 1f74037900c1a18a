//! The middleware chain: the onion every request passes on its way to the
//! router and back, and [`Next`], the cursor `call_next` moves through it.
//!
//! Four kinds of layer share one chain:
//!
//! 1. **Function middleware**, `#[middleware("http")] async fn`, which gets
//!    the request and `call_next`, as FastAPI's `@app.middleware("http")`.
//! 2. **Class-style middleware**: a type implementing [`Middleware`], as
//!    Starlette's `BaseHTTPMiddleware` with its `dispatch`, for middleware
//!    that carries configuration.
//! 3. **Streaming-level middleware**, as a pure ASGI middleware: a
//!    [`Middleware`] registered with
//!    [`App::streaming_middleware`](crate::App::streaming_middleware). It
//!    sees requests before any body is read and can wrap the response body
//!    to see each chunk ([`Response::map_body`](crate::Response::map_body));
//!    it alone also sees WebSocket upgrade requests.
//! 4. **tower layers**, [`App::layer`](crate::App::layer): any
//!    `tower::Layer` (tower-http's timeout, compression, tracing, …),
//!    which sees the request as an `http::Request` and the rest of the
//!    chain as a `tower::Service`.
//!
//! `call_next` never buffers: it returns as soon as the inner layers have
//! the response head, and the body streams out through every layer.
//!
//! The first layer registered is the outermost (the reverse of
//! Starlette's order; see [`middleware`](mod@crate::middleware#ordering) for the
//! diagram). The app's layers end in its router; a router's own
//! middleware ends in each of its routes.
//!
//! Middleware runs for every request, 404s and 405s included. A panic
//! inside a layer becomes a 500 that the layers outside it see as an
//! ordinary response.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

mod tower;

pub use self::tower::NextService;
pub(crate) use self::tower::{ErasedService, Onion, TowerStep};

use crate::exceptions::Exceptions;
use crate::meta::MiddlewareInfo;
use crate::panic::{catching, panic_message, Payload};
use crate::request::Request;
use crate::response::{internal_server_error, Response};

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a chain ends: the app's router, or (inside a router's own
/// middleware) one route. It starts the request's next step.
pub(crate) trait Endpoint: Send + Sync {
    fn call(&self, request: Request) -> Run<'_>;
}

/// A middleware, as Starlette's `BaseHTTPMiddleware`: `dispatch` gets the
/// request and the rest of the chain.
///
/// ```
/// use framework::prelude::*;
///
/// struct TimingMiddleware { header_name: &'static str }
///
/// impl Middleware for TimingMiddleware {
///     async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
///         let start = std::time::Instant::now();
///         let mut response = call_next.run(request).await;
///         response.set_header(self.header_name, start.elapsed().as_secs_f64().to_string());
///         response
///     }
/// }
///
/// let app = App::new().middleware(TimingMiddleware { header_name: "x-process-time" });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a middleware",
    note = "mark an `async fn(request: Request, call_next: Next) -> Response` with `#[middleware(\"http\")]`, or implement `Middleware`"
)]
pub trait Middleware: Send + Sync + 'static {
    /// Handles one request: answer it, or pass it on with
    /// `call_next.run(request)` and adjust what comes back.
    fn dispatch(
        &self,
        request: Request,
        call_next: Next<'_>,
    ) -> impl Future<Output = Response> + Send;

    /// What the app's start-up checks and tools know of it: a
    /// `#[middleware]` function says where it was declared and what its
    /// parameters ask for.
    #[doc(hidden)]
    fn info(&self) -> MiddlewareInfo {
        MiddlewareInfo {
            name: short_type_name(std::any::type_name::<Self>()),
            file: "",
            line: 0,
            params: Vec::new(),
        }
    }
}

/// What `App::middleware` takes: a [`Middleware`] value (class style), or
/// the function a `#[middleware("http")]` attribute made. The `Marker`
/// only tells the two apart; it is inferred.
pub trait IntoMiddleware<Marker> {
    /// The middleware.
    type Middleware: Middleware;

    /// Makes it.
    fn into_middleware(self) -> Self::Middleware;
}

impl<M: Middleware> IntoMiddleware<()> for M {
    type Middleware = M;

    fn into_middleware(self) -> M {
        self
    }
}

impl<F, M> IntoMiddleware<fn() -> M> for F
where
    F: FnOnce() -> M,
    M: Middleware,
{
    type Middleware = M;

    fn into_middleware(self) -> M {
        self()
    }
}

trait ErasedMiddleware: Send + Sync {
    fn call<'a>(&'a self, request: Request, next: Next<'a>) -> BoxFuture<'a, Response>;
}

impl<M: Middleware> ErasedMiddleware for M {
    fn call<'a>(&'a self, request: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        Box::pin(self.dispatch(request, next))
    }
}

/// One layer of the onion.
pub(crate) struct Layer {
    name: &'static str,
    kind: Kind,
    /// Streaming-level middleware (and tower layers) also see WebSocket upgrades.
    pub(crate) streaming: bool,
}

enum Kind {
    Middleware(Box<dyn ErasedMiddleware>),
    Tower(Box<dyn ErasedService>),
}

impl Layer {
    pub(crate) fn new<M: Middleware>(middleware: M, streaming: bool) -> Self {
        Layer {
            name: short_type_name(std::any::type_name::<M>()),
            kind: Kind::Middleware(Box::new(middleware)),
            streaming,
        }
    }

    /// A tower layer, wrapped around the rest of the chain.
    pub(crate) fn tower(name: &'static str, service: Box<dyn ErasedService>) -> Self {
        Layer {
            name,
            kind: Kind::Tower(service),
            streaming: true,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }
}

pub(crate) fn short_type_name(name: &'static str) -> &'static str {
    let base = name.split('<').next().unwrap_or(name);
    let base = base.rsplit("::").next().unwrap_or(base);
    // `#[middleware("http")] async fn timing` is the type `__middleware_timing`.
    base.strip_prefix("__middleware_").unwrap_or(base)
}

/// The rest of the chain after the current middleware: a cursor into the
/// onion, built once when the app starts and consumed by `run`.
pub struct Next<'a> {
    layers: &'a [Layer],
    target: &'a dyn Endpoint,
    /// A WebSocket upgrade passes only the streaming-level layers.
    websocket: bool,
}

impl<'a> Next<'a> {
    /// The chain of `layers` ending in `target`.
    pub(crate) fn new(layers: &'a [Layer], target: &'a dyn Endpoint, request: &Request) -> Self {
        Next {
            layers,
            target,
            websocket: skips_layers(layers, request),
        }
    }

    /// Passes the request to the rest of the chain and returns its response
    /// as soon as its head is ready; the body streams on its own.
    ///
    /// A panic anywhere inside becomes a 500 response here, so this layer
    /// (and those around it) still see a response and can add headers to it.
    // Not an `async fn`: the next step is started here and its (boxed)
    // future awaited through a small `Run`, so that each layer's future
    // holds a pointer to the next step rather than a copy of all of them.
    pub fn run(self, request: Request) -> impl Future<Output = Response> + Send + 'a {
        self.start(request)
    }

    pub(crate) fn start(self, request: Request) -> Run<'a> {
        let mut layers = self.layers;
        if self.websocket {
            while layers.first().is_some_and(|layer| !layer.streaming) {
                layers = &layers[1..];
            }
        }
        let Some((layer, rest)) = layers.split_first() else {
            return self.target.call(request);
        };
        let next = Next {
            layers: rest,
            target: self.target,
            websocket: self.websocket,
        };
        Run::start(After::Layer(layer.name), || match &layer.kind {
            Kind::Middleware(middleware) => middleware.call(request, next),
            Kind::Tower(service) => service.call_with(request),
        })
    }
}

/// The next step of the chain, started: its future and what to do with
/// its response.
pub(crate) struct Run<'a> {
    future: BoxFuture<'a, Response>,
    after: After<'a>,
}

#[derive(Clone, Copy)]
pub(crate) enum After<'a> {
    /// A middleware layer: a panic is blamed on it by name.
    Layer(&'static str),
    /// An endpoint.
    Endpoint,
    /// An endpoint reached through the app's router: the app's exception
    /// handlers finish its response (and strip the body of a `HEAD`).
    Finish { by: &'a Exceptions, head: bool },
}

impl<'a> Run<'a> {
    /// Starts a step; a panic while starting it is a 500 as well.
    pub(crate) fn start(after: After<'a>, start: impl FnOnce() -> BoxFuture<'a, Response>) -> Self {
        match catching(start) {
            Ok(future) => Run { future, after },
            Err(panic) => Run::panicked(after, panic),
        }
    }

    /// A step that answered at once (a 404, a redirect).
    pub(crate) fn ready(response: Response) -> Self {
        Run {
            future: Box::pin(std::future::ready(response)),
            after: After::Endpoint,
        }
    }

    pub(crate) fn panicked(after: After<'a>, panic: Payload) -> Self {
        Run::ready(after.panicked(panic))
    }

    /// Has `by` finish the response when it is ready.
    pub(crate) fn finished_by(mut self, by: &'a Exceptions, head: bool) -> Self {
        self.after = After::Finish { by, head };
        self
    }
}

impl After<'_> {
    fn panicked(self, panic: Payload) -> Response {
        match self {
            After::Layer(name) => tracing::error!(
                middleware = name,
                "middleware panicked: {}",
                panic_message(&*panic)
            ),
            After::Endpoint | After::Finish { .. } => {
                tracing::error!("request handling panicked: {}", panic_message(&*panic))
            }
        }
        internal_server_error()
    }
}

impl Future for Run<'_> {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let Run { future, after } = &mut *self;
        let after = *after;
        let outcome = catching(|| match future.as_mut().poll(cx) {
            Poll::Ready(response) => Poll::Ready(match after {
                After::Finish { by, head } => by.finish(response, head),
                After::Layer(_) | After::Endpoint => response,
            }),
            Poll::Pending => Poll::Pending,
        });
        match outcome {
            Ok(poll) => poll,
            Err(panic) => Poll::Ready(after.panicked(panic)),
        }
    }
}

/// Whether the request is a WebSocket upgrade that some of `layers` must
/// not see. Asked only when some layer is not streaming-level: the header
/// lookup is a measurable part of a small request.
fn skips_layers(layers: &[Layer], request: &Request) -> bool {
    layers.iter().any(|layer| !layer.streaming)
        && request
            .headers()
            .get(http::header::UPGRADE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}
