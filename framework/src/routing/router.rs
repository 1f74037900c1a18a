//! [`Router`]: routes grouped under a prefix, with middleware and
//! dependencies of their own, as FastAPI's `APIRouter`.

use std::sync::Arc;

use crate::chain::{Endpoint, IntoMiddleware, Layer};
use crate::depends::{Dependency, Erased, ErasedDependency};
use crate::endpoint::{self, Route, RouteEndpoint};
use crate::meta::RouteInfo;

/// A route waiting for the app to be built, with what its routers attached
/// to it, outermost router first. The app wraps it once built: every
/// dependency (app's, then each router's) resolves inside every router's
/// middleware, right before the route.
pub(crate) struct Pending {
    /// The template in the router's syntax, with the routers' prefixes.
    pub(crate) router_path: String,
    /// Everything known of the route; its `path` has the prefixes too.
    pub(crate) info: RouteInfo,
    pub(crate) endpoint: Box<dyn Endpoint>,
    pub(crate) dependencies: Vec<Arc<dyn ErasedDependency>>,
    pub(crate) layers: Vec<Arc<[Layer]>>,
}

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
        self.routes.push(Pending {
            router_path: route.meta().router_path.to_owned(),
            info: endpoint::info(&route),
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

    pub(crate) fn into_pending(self) -> Vec<Pending> {
        let layers: Arc<[Layer]> = self.layers.into();
        let shared_layers = (!layers.is_empty()).then_some(layers);
        let prefix = self.prefix;
        let dependencies = self.dependencies;
        let infos: Vec<_> = dependencies.iter().map(|d| d.info()).collect();
        self.routes
            .into_iter()
            .map(|mut pending| {
                // This router is outside the routers it included.
                pending
                    .dependencies
                    .splice(0..0, dependencies.iter().cloned());
                pending
                    .info
                    .dependencies
                    .splice(0..0, infos.iter().cloned());
                if let Some(layers) = &shared_layers {
                    pending.layers.insert(0, layers.clone());
                }
                pending.router_path.insert_str(0, &prefix);
                pending.info.path.insert_str(0, &prefix);
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
