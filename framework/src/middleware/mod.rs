//! Middleware: code that runs around every request.
//!
//! Three styles share one chain:
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
//!    to see each chunk ([`Response::map_body`]); it alone also sees
//!    WebSocket upgrade requests.
//!
//! `call_next` never buffers: it returns as soon as the inner layers have
//! the response head, and the body streams out through every layer.
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
//!
//! Middleware runs for every request, 404s and 405s included. A panic
//! inside a layer becomes a 500 that the layers outside it see as an
//! ordinary response.

pub mod api_key;
pub mod cors;
pub mod gzip;
pub mod https_redirect;
pub mod proxy_headers;
pub mod rate_limit;
pub mod request_id;
pub mod timing;
pub mod trusted_host;

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

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::app::AppInner;
use crate::panic::{catching, panic_message, Payload};
use crate::request::Request;
use crate::response::{internal_server_error, Response};
use crate::routing::{Endpoint, Routed};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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
    middleware: Box<dyn ErasedMiddleware>,
    /// Streaming-level middleware also sees WebSocket upgrades.
    pub(crate) streaming: bool,
}

impl Layer {
    pub(crate) fn new<M: Middleware>(middleware: M, streaming: bool) -> Self {
        Layer {
            name: short_type_name(std::any::type_name::<M>()),
            middleware: Box::new(middleware),
            streaming,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }
}

fn short_type_name(name: &'static str) -> &'static str {
    let base = name.split('<').next().unwrap_or(name);
    let base = base.rsplit("::").next().unwrap_or(base);
    // `#[middleware("http")] async fn timing` is the type `__middleware_timing`.
    base.strip_prefix("__middleware_").unwrap_or(base)
}

/// The rest of the chain after the current middleware: a cursor into the
/// onion, built once when the app starts and consumed by `run`.
pub struct Next<'a> {
    layers: &'a [Layer],
    target: Target<'a>,
    /// A WebSocket upgrade passes only the streaming-level layers.
    websocket: bool,
}

#[derive(Clone, Copy)]
enum Target<'a> {
    /// The app's router, after the app's middleware.
    App(&'a AppInner),
    /// A route, after its router's middleware.
    Endpoint(&'a dyn Endpoint),
}

impl<'a> Next<'a> {
    pub(crate) fn app(app: &'a AppInner, request: &Request) -> Self {
        Next {
            layers: &app.layers,
            target: Target::App(app),
            websocket: skips_layers(&app.layers, request),
        }
    }

    pub(crate) fn endpoint(
        layers: &'a [Layer],
        endpoint: &'a dyn Endpoint,
        request: &Request,
    ) -> Self {
        Next {
            layers,
            target: Target::Endpoint(endpoint),
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
    pub fn run(self, mut request: Request) -> impl Future<Output = Response> + Send + 'a {
        let mut layers = self.layers;
        if self.websocket {
            while layers.first().is_some_and(|layer| !layer.streaming) {
                layers = &layers[1..];
            }
        }
        if let Some((layer, rest)) = layers.split_first() {
            let next = Next {
                layers: rest,
                target: self.target,
                websocket: self.websocket,
            };
            return Run::start(After::Layer(layer.name), || {
                layer.middleware.call(request, next)
            });
        }
        // Past the last layer, a panic (in a dependency, say) is a 500
        // here, so that the innermost layer sees it too.
        match self.target {
            Target::App(app) => match catching(|| app.route(&mut request)) {
                Ok(Routed::Endpoint { endpoint, head }) => {
                    Run::start(After::App { app, head }, || endpoint.call(request))
                }
                Ok(Routed::Answer(response)) => Run::ready(response),
                Err(panic) => Run::panicked(After::Endpoint, panic),
            },
            Target::Endpoint(endpoint) => Run::start(After::Endpoint, || endpoint.call(request)),
        }
    }
}

/// The next step of the chain, started: its future and what to do with
/// its response.
struct Run<'a> {
    future: BoxFuture<'a, Response>,
    after: After<'a>,
}

#[derive(Clone, Copy)]
enum After<'a> {
    /// A middleware layer: a panic is blamed on it by name.
    Layer(&'static str),
    /// An endpoint.
    Endpoint,
    /// An endpoint reached through the app's router: the app finishes its
    /// response (exception handlers, `HEAD`).
    App { app: &'a AppInner, head: bool },
}

impl<'a> Run<'a> {
    /// Starts a step; a panic while starting it is a 500 as well.
    fn start(after: After<'a>, start: impl FnOnce() -> BoxFuture<'a, Response>) -> Self {
        match catching(start) {
            Ok(future) => Run { future, after },
            Err(panic) => Run::panicked(after, panic),
        }
    }

    fn ready(response: Response) -> Self {
        Run {
            future: Box::pin(std::future::ready(response)),
            after: After::Endpoint,
        }
    }

    fn panicked(after: After<'a>, panic: Payload) -> Self {
        Run::ready(after.panicked(panic))
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
            After::Endpoint | After::App { .. } => {
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
                After::App { app, head } => app.finish(response, head),
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
