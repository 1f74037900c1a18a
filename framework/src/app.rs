//! The application builder: routes, middleware, tower layers, mounts,
//! state, dependency overrides, exception handlers and settings, built
//! once into the [`AppService`] that serves requests.

use std::any::{Any, TypeId};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use http::Method;

use crate::body::{Body, BoxError};
use crate::chain::{
    short_type_name, ErasedService, IntoMiddleware, Layer, Middleware, NextService, Onion,
    TowerStep,
};
pub use crate::config::Config;
use crate::context::Context;
use crate::depends::{Dependency, Erased, ErasedDependency, Override};
use crate::endpoint::{Route, WithDependencies};
use crate::exceptions::Exceptions;
use crate::meta::{DependencyInfo, MiddlewareInfo, StateType};
use crate::response::IntoResponse;
use crate::routing::{AppRouter, Entry, Layered, Mount, Router, Routes, Table};
use crate::service::{describe, AppService, Shared};
use crate::startup::{self, StartupError};

/// A layer of the app's onion, as registered.
enum PendingLayer {
    Ready(Layer),
    /// A tower layer, wrapped around the rest of the chain when the app is
    /// built (the rest is only known then).
    Tower {
        name: &'static str,
        wrap: Box<dyn FnOnce(NextService) -> Box<dyn ErasedService> + Send>,
    },
}

impl PendingLayer {
    fn name(&self) -> &'static str {
        match self {
            PendingLayer::Ready(layer) => layer.name(),
            PendingLayer::Tower { name, .. } => name,
        }
    }
}

/// The application, as FastAPI's `FastAPI()`: register routes, middleware,
/// state and dependencies, then [`run`](App::run) it, hand it to a
/// [`TestClient`](crate::TestClient), or make it a `tower::Service` with
/// [`into_service`](App::into_service).
#[derive(Default)]
pub struct App {
    root: Router,
    layers: Vec<PendingLayer>,
    middleware: Vec<MiddlewareInfo>,
    states: Vec<(StateType, Arc<dyn Any + Send + Sync>)>,
    overrides: Vec<(TypeId, Arc<dyn ErasedDependency>)>,
    exceptions: Exceptions,
    mounts: Vec<(String, Box<dyn ErasedService>)>,
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
    /// the outermost (see [`middleware`](mod@crate::middleware#ordering)).
    pub fn middleware<M: IntoMiddleware<Marker>, Marker>(self, middleware: M) -> Self {
        self.add_middleware(middleware.into_middleware(), false)
    }

    /// Adds a streaming-level middleware, as a pure ASGI middleware: like
    /// [`middleware`](App::middleware), and it also sees WebSocket upgrades.
    pub fn streaming_middleware<M: IntoMiddleware<Marker>, Marker>(self, middleware: M) -> Self {
        self.add_middleware(middleware.into_middleware(), true)
    }

    fn add_middleware<M: Middleware>(mut self, middleware: M, streaming: bool) -> Self {
        self.middleware.push(middleware.info());
        self.layers
            .push(PendingLayer::Ready(Layer::new(middleware, streaming)));
        self
    }

    /// Adds any `tower::Layer` (tower-http's `TimeoutLayer`,
    /// `CompressionLayer`, `TraceLayer`, …) to the onion, in registration
    /// order like [`middleware`](App::middleware). It sees the request as
    /// an `http::Request<Body>` and the rest of the chain as a
    /// `tower::Service` ([`NextService`]); like streaming-level middleware,
    /// it also sees WebSocket upgrades.
    ///
    /// What only this framework knows of the request and response (the
    /// client, the dependency scope, the work after the response) rides in
    /// their extensions through the layer; a layer that drops a response's
    /// extensions starts that work early.
    pub fn layer<L, B>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<NextService> + Send + 'static,
        L::Service: tower_service::Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + 'static,
        <L::Service as tower_service::Service<http::Request<Body>>>::Future: Send,
        <L::Service as tower_service::Service<http::Request<Body>>>::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.layers.push(PendingLayer::Tower {
            name: short_type_name(std::any::type_name::<L>()),
            wrap: Box::new(move |next| Box::new(TowerStep::new(layer.layer(next)))),
        });
        self
    }

    /// Serves any `tower::Service` under `prefix` (`/legacy`), as
    /// Starlette's `Mount`: every path under `prefix/` goes to it, and it
    /// sees the path without the prefix (`/legacy/items` as `/items`). The
    /// app's middleware runs around it. A request for `prefix` itself is
    /// redirected to `prefix/`.
    ///
    /// # Panics
    /// If the prefix does not start with `/`, or ends with `/`.
    pub fn mount<S, B>(mut self, prefix: &str, service: S) -> Self
    where
        S: tower_service::Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + 'static,
        S::Future: Send,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        assert!(
            prefix.starts_with('/') && !prefix.ends_with('/'),
            "mount prefix `{prefix}` must start with `/` and not end with `/`"
        );
        self.mounts
            .push((prefix.to_owned(), Box::new(TowerStep::new(service))));
        self
    }

    /// Resolves `D` before every route, for its effect (FastAPI's
    /// `FastAPI(dependencies=[Depends(d)])`): `.dependency(verify_token)`.
    pub fn dependency<D: Dependency>(mut self, dependency: impl FnOnce() -> D) -> Self {
        self.root = self.root.dependency(dependency);
        self
    }

    /// Gives a value to every handler, dependency and middleware that
    /// takes `State<T>`. The app refuses to start when one asks for a type
    /// it was not given.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        let key = StateType::of::<T>();
        self.states.retain(|(k, _)| k.id != key.id);
        self.states.push((key, Arc::new(value)));
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
        let key = TypeId::of::<D>();
        self.overrides.retain(|(k, _)| *k != key);
        self.overrides.push((key, Arc::new(Erased::<W>::new())));
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
        self.exceptions.add(handler);
        self
    }

    /// The server settings, to change.
    pub fn config(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self
    }

    /// The middleware, outermost first, as one line (also logged at start-up).
    pub fn describe_middleware(&self) -> String {
        describe(self.layers.iter().map(PendingLayer::name))
    }

    /// Builds the app into a `tower::Service` that any server can call (see
    /// [`AppService`]).
    ///
    /// # Panics
    /// When the app cannot start (see [`try_into_service`](App::try_into_service)),
    /// with the message that names each problem.
    pub fn into_service(self) -> AppService {
        match self.try_into_service() {
            Ok(service) => service,
            Err(e) => panic!("{e}"),
        }
    }

    /// Builds the app into a `tower::Service`, or says why it cannot start:
    /// state that a route, dependency or middleware asks for and the app
    /// was not given, a route declared twice, paths the router cannot tell
    /// apart. Each problem names where it was declared and the fix.
    pub fn try_into_service(self) -> Result<AppService, StartupError> {
        let mut problems = Vec::new();
        let mut table = Table::default();
        let mut routes = Vec::new();
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
            let endpoint: Arc<dyn crate::chain::Endpoint> = Arc::from(endpoint);
            let info = pending.info;
            for method in info.meta.methods {
                let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
                let entry = Entry {
                    method,
                    endpoint: endpoint.clone(),
                    origin: info.origin(),
                };
                if let Err(problem) = table.insert(&pending.router_path, &info.path, entry) {
                    problems.push(problem);
                }
            }
            routes.push(info);
        }
        for (prefix, service) in self.mounts {
            let mount = Box::new(Mount::new(prefix.clone(), service));
            if let Err(problem) = table.mount(&prefix, mount) {
                problems.push(problem);
            }
        }
        let states: Vec<StateType> = self.states.iter().map(|(k, _)| *k).collect();
        let overrides: Vec<DependencyInfo> = self.overrides.iter().map(|(_, d)| d.info()).collect();
        startup::check(
            &routes,
            &self.middleware,
            &overrides,
            &states,
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(StartupError::new(problems));
        }

        let context = Arc::new(Context::new(
            self.config.body_limit,
            self.states.into_iter().map(|(k, v)| (k.id, v)).collect(),
            self.overrides
                .into_iter()
                .map(|(k, d)| (k, Arc::new(Override(d)) as Arc<dyn Any + Send + Sync>))
                .collect(),
        ));
        let pending_layers = self.layers;
        let router = AppRouter {
            table,
            exceptions: self.exceptions,
        };
        let config = self.config;
        let shared = Arc::new_cyclic(|weak: &Weak<Shared>| {
            let onion: Weak<dyn Onion> = weak.clone();
            let layers = pending_layers
                .into_iter()
                .enumerate()
                .map(|(index, layer)| match layer {
                    PendingLayer::Ready(layer) => layer,
                    PendingLayer::Tower { name, wrap } => {
                        Layer::tower(name, wrap(NextService::new(onion.clone(), index + 1)))
                    }
                })
                .collect();
            Shared {
                context,
                layers,
                router,
                routes,
                config,
            }
        });
        Ok(AppService { shared })
    }
}
