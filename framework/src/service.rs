//! The app as a `tower::Service`: where every request enters, whoever
//! serves it. This crate's server, [`TestClient`](crate::TestClient), the
//! benchmark and any other server (hyper, axum, tonic) all call an
//! [`AppService`].
//!
//! ```
//! use framework::prelude::*;
//!
//! #[get("/")]
//! async fn root() -> &'static str {
//!     "hi"
//! }
//!
//! // An axum app, a hyper server or a tower stack can hold it:
//! let service = App::new().route(root).into_service();
//! fn is_a_service<S: tower_service::Service<http::Request<framework::Body>> + Clone + Send>(_: &S) {}
//! is_a_service(&service);
//! ```
//!
//! A request becomes a [`Request`], has the proxy headers applied (so every
//! layer sees the real client), and goes through the chain; the response
//! leaves as an `http::Response` whose body, [`ResponseBody`], carries the
//! request's background tasks and cleanups and starts them when the
//! server drops it (see `after`).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use http_body::Frame;

use crate::after::Scope;
use crate::body::{Body, BoxError};
use crate::chain::{BoxFuture, Endpoint, Layer, Next, Onion};
use crate::config::Config;
use crate::context::Context;
use crate::extract::ClientAddr;
use crate::meta::RouteInfo;
use crate::request::Request;
use crate::response::Response;
use crate::routing::AppRouter;

/// The app as it serves: everything `App` registered, built once.
pub(crate) struct Shared {
    pub(crate) context: Arc<Context>,
    pub(crate) layers: Box<[Layer]>,
    pub(crate) router: AppRouter,
    pub(crate) routes: Vec<RouteInfo>,
    pub(crate) config: Config,
}

impl Onion for Shared {
    fn layers(&self) -> &[Layer] {
        &self.layers
    }

    fn target(&self) -> &dyn Endpoint {
        &self.router
    }

    fn context(&self) -> &Arc<Context> {
        &self.context
    }
}

/// A built app, ready to serve: a `tower::Service` for
/// `http::Request<B>` with any body, answering `http::Response<ResponseBody>`.
/// Cloning it is cheap (one shared app).
///
/// Made by [`App::into_service`](crate::App::into_service).
#[derive(Clone)]
pub struct AppService {
    pub(crate) shared: Arc<Shared>,
}

impl AppService {
    /// Every route the app serves, with what it knows of each.
    pub fn routes(&self) -> &[RouteInfo] {
        &self.shared.routes
    }

    /// The middleware, outermost first, as one line (logged at start-up).
    pub fn describe_middleware(&self) -> String {
        describe(self.shared.layers.iter().map(Layer::name))
    }

    /// Sends one request through the app. Unlike `Service::call`, the
    /// future is not boxed and `client` is given directly (the peer of
    /// the connection, before proxy headers).
    pub fn handle(
        &self,
        request: http::Request<Body>,
        client: Option<SocketAddr>,
    ) -> impl Future<Output = http::Response<ResponseBody>> + Send + '_ {
        let response = self.respond(request, client, false);
        async move { into_http(response.await) }
    }

    /// The same, answering the framework's own `Response`; `secure` says
    /// the connection is encrypted (the request's scheme is `https`).
    // Not an `async fn`, so that the caller's future holds the small future
    // of the first step rather than a copy of the request.
    pub(crate) fn respond(
        &self,
        request: http::Request<Body>,
        client: Option<SocketAddr>,
        secure: bool,
    ) -> impl Future<Output = Response> + Send + '_ {
        let shared = &*self.shared;
        let mut request = Request::new(request, client, shared.context.clone());
        if secure {
            request.set_scheme(crate::request::Scheme::Https);
        }
        // Before the onion, so that every middleware sees the real client.
        shared.config.proxy_headers.apply(&mut request);
        Next::new(&shared.layers, &shared.router, &request).start(request)
    }

    pub(crate) fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Waits until no request's background work runs, or `limit` passes.
    pub(crate) async fn wait_idle(&self, limit: std::time::Duration) -> bool {
        self.shared.context.tracker.wait_idle(limit).await
    }
}

impl std::fmt::Debug for AppService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppService")
            .field("routes", &self.shared.routes.len())
            .finish_non_exhaustive()
    }
}

/// Any server can call it; the client's address is read from a
/// [`ClientAddr`] in the request's extensions, when the server put one there.
impl<B> tower_service::Service<http::Request<B>> for AppService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<ResponseBody>, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let service = self.clone();
        let client = request.extensions().get::<ClientAddr>().and_then(|c| c.0);
        let request = request.map(Body::from_any);
        Box::pin(async move { Ok(service.handle(request, client).await) })
    }
}

/// The response as an `http::Response` whose body carries the work after it.
pub(crate) fn into_http(response: Response) -> http::Response<ResponseBody> {
    let (parts, body, scope) = response.into_parts();
    http::Response::from_parts(parts, ResponseBody::new(body, scope))
}

/// The body of a response the app answered. It holds the request's
/// background tasks and dependency cleanups, which start when the body is
/// dropped: sent in full, or abandoned because the client went away.
pub struct ResponseBody {
    body: Body,
    _scope: Option<Box<Scope>>,
}

impl ResponseBody {
    pub(crate) fn new(body: Body, scope: Option<Box<Scope>>) -> Self {
        ResponseBody {
            body,
            _scope: scope,
        }
    }

    /// The body without the work after it (which then starts at once).
    pub fn into_body(self) -> Body {
        self.body
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.body.fmt(f)
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// `middleware, outermost first: a → b`.
pub(crate) fn describe<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut line = String::from("middleware, outermost first:");
    let mut any = false;
    for (i, name) in names.enumerate() {
        let _ = write!(line, "{} {name}", if i == 0 { "" } else { " →" });
        any = true;
    }
    if !any {
        line.push_str(" (none)");
    }
    line
}
