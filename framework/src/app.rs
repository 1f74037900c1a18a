//! The application: routes, middleware, state and settings, built once
//! into the structure that serves requests.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use http::Method;

use crate::background::Tracker;
use crate::body::Body;
use crate::depends::{Dependency, Erased, ErasedDependency};
use crate::error::Error;
use crate::middleware::{IntoMiddleware, Layer, Next};
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::routing::{
    self, Endpoint, Entry, Layered, Route, RouteEndpoint, Routed, Table, WithDependencies,
};

/// Server settings, with defaults close to uvicorn's.
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest request body read, in bytes (default 2 MiB); a larger one is a 413.
    pub body_limit: usize,
    /// The largest request head (request line and headers), in bytes
    /// (default 64 KiB); a larger one is a 431.
    pub max_header_size: usize,
    /// How long a connection may go with no request in flight (default 5 s,
    /// uvicorn's keep-alive timeout): the idle keep-alive timeout, and at
    /// once the limit for a client that sends its headers slowly. The clock
    /// restarts when a response has been sent; a slow handler or a long
    /// streaming response is never cut by it. It is read every quarter of
    /// the timeout, so a connection closes up to a quarter late.
    pub keep_alive_timeout: Duration,
    /// How long shutdown waits for requests in flight and background tasks
    /// (default 30 s).
    pub shutdown_timeout: Duration,
    /// Whether to log a line per request (default on; `--no-access-log`).
    pub access_log: bool,
    /// Whether and from which proxies to believe `X-Forwarded-For` and
    /// `X-Forwarded-Proto` (default on, trusting `127.0.0.1` and `::1`, as
    /// uvicorn; `--no-proxy-headers`, `--forwarded-allow-ips`).
    pub proxy_headers: crate::middleware::ProxyHeaders,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            body_limit: 2 * 1024 * 1024,
            max_header_size: 64 * 1024,
            keep_alive_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(30),
            access_log: true,
            proxy_headers: crate::middleware::ProxyHeaders::new(),
        }
    }
}

/// A route waiting for the app to be built, with what its routers attached
/// to it, outermost router first. The app wraps it once built: every
/// dependency (app's, then each router's) resolves inside every router's
/// middleware, right before the route.
struct Pending {
    path: String,
    template: String,
    methods: &'static [&'static str],
    origin: String,
    endpoint: Box<dyn Endpoint>,
    dependencies: Vec<Arc<dyn ErasedDependency>>,
    layers: Vec<Arc<[Layer]>>,
}

type Handler = Box<dyn Fn(Error) -> Result<Response, Error> + Send + Sync>;

/// A group of routes with a common path prefix, middleware and
/// dependencies, as FastAPI's `APIRouter`. Its middleware applies only to
/// its own routes, inside the app's middleware.
#[derive(Default)]
pub struct Router {
    prefix: String,
    routes: Vec<Pending>,
    layers: Vec<Layer>,
    dependencies: Vec<Arc<dyn ErasedDependency>>,
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Router::default()
    }

    /// Puts `prefix` (such as `/users`) before every path of this router.
    ///
    /// # Panics
    /// If the prefix does not start with `/`, ends with `/`, or holds a
    /// `{parameter}` (path parameters belong in the routes' own templates).
    pub fn prefix(mut self, prefix: &str) -> Self {
        assert!(
            prefix.starts_with('/') && !prefix.ends_with('/') && !prefix.contains(['{', '}']),
            "router prefix `{prefix}` must start with `/`, not end with `/`, and hold no `{{parameter}}`"
        );
        self.prefix = prefix.to_owned();
        self
    }

    /// Adds a route made by `#[get]` and its siblings: `.route(read_item)`.
    pub fn route<R: Route>(mut self, route: impl FnOnce() -> R) -> Self {
        let route = route();
        let meta = route.meta();
        self.routes.push(Pending {
            path: meta.router_path.to_owned(),
            template: meta.template.to_owned(),
            methods: meta.methods,
            origin: format!("{} in {}:{}", meta.name, meta.file, meta.line),
            endpoint: Box::new(RouteEndpoint(route)),
            dependencies: Vec::new(),
            layers: Vec::new(),
        });
        self
    }

    /// Adds several routes at once: `.routes((read_item, create_item))`.
    pub fn routes<T: Routes>(self, routes: T) -> Self {
        routes.add_to(self)
    }

    /// Adds middleware that runs for this router's routes only.
    pub fn middleware<M, Marker>(mut self, middleware: M) -> Self
    where
        M: IntoMiddleware<Marker>,
    {
        self.layers
            .push(Layer::new(middleware.into_middleware(), false));
        self
    }

    /// Resolves `D` before each of this router's routes, for its effect
    /// (FastAPI's `APIRouter(dependencies=[Depends(d)])`): `.dependency(verify_key)`.
    pub fn dependency<D: Dependency>(mut self, _dependency: impl FnOnce() -> D) -> Self {
        self.dependencies.push(Arc::new(Erased::<D>::new()));
        self
    }

    /// Adds the routes of another router under this one's prefix.
    pub fn include_router(mut self, router: Router) -> Self {
        self.routes.extend(router.into_pending());
        self
    }

    fn into_pending(self) -> Vec<Pending> {
        let layers: Arc<[Layer]> = self.layers.into();
        let shared_layers = (!layers.is_empty()).then_some(layers);
        let prefix = self.prefix;
        let dependencies = self.dependencies;
        self.routes
            .into_iter()
            .map(|mut pending| {
                // This router is outside the routers it included.
                pending
                    .dependencies
                    .splice(0..0, dependencies.iter().cloned());
                if let Some(layers) = &shared_layers {
                    pending.layers.insert(0, layers.clone());
                }
                pending.path.insert_str(0, &prefix);
                pending.template.insert_str(0, &prefix);
                pending
            })
            .collect()
    }
}

/// Several routes added at once: a tuple of routes.
pub trait Routes {
    /// Adds each route to the router.
    fn add_to(self, router: Router) -> Router;
}

macro_rules! tuple_routes {
    ($($f:ident $r:ident)+) => {
        impl<$($f, $r),+> Routes for ($($f,)+)
        where
            $($f: FnOnce() -> $r, $r: Route,)+
        {
            #[allow(non_snake_case)]
            fn add_to(self, router: Router) -> Router {
                let ($($f,)+) = self;
                router$(.route($f))+
            }
        }
    };
}
tuple_routes!(A RA);
tuple_routes!(A RA B RB);
tuple_routes!(A RA B RB C RC);
tuple_routes!(A RA B RB C RC D RD);
tuple_routes!(A RA B RB C RC D RD E RE);
tuple_routes!(A RA B RB C RC D RD E RE F RF);
tuple_routes!(A RA B RB C RC D RD E RE F RF G RG);
tuple_routes!(A RA B RB C RC D RD E RE F RF G RG H RH);
tuple_routes!(A RA B RB C RC D RD E RE F RF G RG H RH I RI);
tuple_routes!(A RA B RB C RC D RD E RE F RF G RG H RH I RI J RJ);
tuple_routes!(A RA B RB C RC D RD E RE F RF G RG H RH I RI J RJ K RK);
tuple_routes!(A RA B RB C RC D RD E RE F RF G RG H RH I RI J RJ K RK L RL);

/// The application, as FastAPI's `FastAPI()`: register routes, middleware,
/// state and dependencies, then [`run`](App::run) it or hand it to a
/// [`TestClient`](crate::TestClient).
#[derive(Default)]
pub struct App {
    root: Router,
    layers: Vec<Layer>,
    states: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    overrides: HashMap<TypeId, Arc<dyn ErasedDependency>>,
    handlers: Vec<Handler>,
    config: Config,
}

impl App {
    /// An app with no routes.
    pub fn new() -> Self {
        App::default()
    }

    /// Adds a route made by `#[get]` and its siblings: `.route(read_item)`.
    pub fn route<R: Route>(mut self, route: impl FnOnce() -> R) -> Self {
        self.root = self.root.route(route);
        self
    }

    /// Adds several routes at once: `.routes((read_item, create_item))`.
    pub fn routes<T: Routes>(mut self, routes: T) -> Self {
        self.root = routes.add_to(self.root);
        self
    }

    /// Adds the routes of a [`Router`], with its prefix, middleware and dependencies.
    pub fn include_router(mut self, router: Router) -> Self {
        self.root = self.root.include_router(router);
        self
    }

    /// Adds a middleware around everything registered. The first added is
    /// the outermost (see [`middleware`](crate::middleware#ordering)).
    pub fn middleware<M: IntoMiddleware<Marker>, Marker>(self, middleware: M) -> Self {
        self.layer(middleware, false)
    }

    /// Adds a streaming-level middleware, as a pure ASGI middleware: like
    /// [`middleware`](App::middleware), and it also sees WebSocket upgrades.
    pub fn streaming_middleware<M: IntoMiddleware<Marker>, Marker>(self, middleware: M) -> Self {
        self.layer(middleware, true)
    }

    fn layer<M: IntoMiddleware<Marker>, Marker>(mut self, middleware: M, streaming: bool) -> Self {
        self.layers
            .push(Layer::new(middleware.into_middleware(), streaming));
        self
    }

    /// Resolves `D` before every route, for its effect (FastAPI's
    /// `FastAPI(dependencies=[Depends(d)])`): `.dependency(verify_token)`.
    pub fn dependency<D: Dependency>(mut self, dependency: impl FnOnce() -> D) -> Self {
        self.root = self.root.dependency(dependency);
        self
    }

    /// Gives a value to every handler that takes `State<T>`.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(TypeId::of::<T>(), Arc::new(value));
        self
    }

    /// Replaces dependency `D` by `with` everywhere, as FastAPI's
    /// `app.dependency_overrides[d] = with`, for tests:
    /// `.override_dependency(get_db, fake_db)`.
    pub fn override_dependency<D, W>(
        mut self,
        _dependency: impl FnOnce() -> D,
        _with: impl FnOnce() -> W,
    ) -> Self
    where
        D: Dependency,
        W: Dependency<Output = D::Output>,
    {
        self.overrides
            .insert(TypeId::of::<D>(), Arc::new(Erased::<W>::new()));
        self
    }

    /// Answers errors of type `E` returned by handlers (as
    /// `Err(framework::Error)` or through `?`), as FastAPI's
    /// `@app.exception_handler(E)`.
    pub fn exception_handler<E, F, R>(mut self, handler: F) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(E) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.handlers.push(Box::new(move |error: Error| {
            error.downcast::<E>().map(|e| handler(e).into_response())
        }));
        self
    }

    /// The server settings, to change.
    pub fn config(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self
    }

    /// The middleware, outermost first, as one line (also logged at start-up).
    pub fn describe_middleware(&self) -> String {
        describe(&self.layers)
    }

    pub(crate) fn build(self) -> Arc<AppInner> {
        let mut table = Table::default();
        // The root router's dependencies are the app's. Every dependency
        // (app's first) resolves inside every router's middleware, right
        // before the route, as FastAPI resolves them all after all middleware.
        for pending in self.root.into_pending() {
            let mut endpoint = pending.endpoint;
            if !pending.dependencies.is_empty() {
                endpoint = Box::new(WithDependencies {
                    dependencies: pending.dependencies,
                    inner: endpoint,
                });
            }
            for layers in pending.layers.into_iter().rev() {
                endpoint = Box::new(Layered {
                    layers,
                    inner: endpoint,
                });
            }
            let endpoint: Arc<dyn Endpoint> = Arc::from(endpoint);
            for method in pending.methods {
                let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
                table.insert(
                    &pending.path,
                    &pending.template,
                    Entry {
                        method,
                        endpoint: endpoint.clone(),
                        origin: pending.origin.clone(),
                    },
                );
            }
        }
        Arc::new(AppInner {
            layers: self.layers.into_boxed_slice(),
            table,
            states: self.states,
            overrides: self.overrides,
            handlers: self.handlers,
            config: self.config,
            tracker: Tracker::default(),
        })
    }
}

fn describe(layers: &[Layer]) -> String {
    let mut line = String::from("middleware, outermost first:");
    if layers.is_empty() {
        line.push_str(" (none)");
    }
    for (i, layer) in layers.iter().enumerate() {
        let _ = write!(line, "{} {}", if i == 0 { "" } else { " →" }, layer.name());
    }
    line
}

/// The app as it serves: everything `App` registered, built once.
pub(crate) struct AppInner {
    pub(crate) layers: Box<[Layer]>,
    table: Table,
    states: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    pub(crate) overrides: HashMap<TypeId, Arc<dyn ErasedDependency>>,
    handlers: Vec<Handler>,
    pub(crate) config: Config,
    pub(crate) tracker: Tracker,
}

impl AppInner {
    /// Sends one request through the middleware, the router and its handler.
    // Not an `async fn`, so that the caller's future holds the small future
    // of the first step rather than a copy of the request.
    pub(crate) fn handle(
        self: &Arc<Self>,
        request: http::Request<Body>,
        client: Option<std::net::SocketAddr>,
    ) -> impl std::future::Future<Output = Response> + Send + '_ {
        let mut request = Request::new(request, client, self.clone());
        // Before the onion, so that every middleware sees the real client.
        self.config.proxy_headers.apply(&mut request);
        Next::app(self, &request).run(request)
    }

    /// The innermost step, before the endpoint: which endpoint, or what
    /// answer (404, 405, redirect).
    pub(crate) fn route(&self, request: &mut Request) -> Routed<'_> {
        self.table.route(request)
    }

    /// The innermost step, after the endpoint: the exception handlers see
    /// what it raised, and a `HEAD` answered by a `GET` route loses its body.
    pub(crate) fn finish(&self, mut response: Response, head: bool) -> Response {
        if let Some(error) = response.take_raised() {
            response = self.handle_error(error, response);
        }
        if head {
            routing::strip_body(response)
        } else {
            response
        }
    }

    fn handle_error(&self, mut error: Error, fallback: Response) -> Response {
        for handler in &self.handlers {
            match handler(error) {
                Ok(response) => return response,
                Err(unclaimed) => error = unclaimed,
            }
        }
        tracing::error!("unhandled error: {error}");
        fallback
    }

    pub(crate) fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.states
            .get(&TypeId::of::<T>())
            .and_then(|value| value.clone().downcast().ok())
    }

    pub(crate) fn describe_middleware(&self) -> String {
        describe(&self.layers)
    }
}
