//! Routes as the macros describe them, and the table that matches paths.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::{HeaderValue, Method};

use crate::depends::ErasedDependency;
use crate::middleware::{Layer, Next};
use crate::request::{Params, Request, MAX_PARAMS};
use crate::response::{IntoResponse, Response};
use crate::HttpError;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What `#[get]` and its siblings know about a route, kept for routing,
/// for messages, and for the OpenAPI document to come.
#[derive(Debug)]
pub struct RouteMeta {
    /// The handler's name.
    pub name: &'static str,
    /// The path template as written (`/files/{file_path:path}`).
    pub template: &'static str,
    /// The same template in the router's syntax (`/files/{*file_path}`).
    pub router_path: &'static str,
    /// The methods it answers.
    pub methods: &'static [&'static str],
    /// The path parameters, in template order.
    pub params: &'static [&'static str],
    /// `status_code = N`.
    pub status_code: Option<u16>,
    /// Where the route was declared.
    pub file: &'static str,
    /// The line it was declared on.
    pub line: u32,
}

/// A handler turned into a route by `#[get]` and its siblings.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route",
    label = "not a route",
    note = "mark an `async fn` with `#[get(\"/path\")]` (or `post`, `put`, `patch`, `delete`, `head`, `options`, `route`)"
)]
pub trait Route: Send + Sync + 'static {
    /// What the macro knows about the route.
    #[doc(hidden)]
    fn meta(&self) -> &'static RouteMeta;

    /// Extracts the parameters, calls the handler, and makes the response.
    #[doc(hidden)]
    fn call(request: Request) -> impl Future<Output = Response> + Send + 'static;
}

/// Anything the router can send a matched request to.
pub(crate) trait Endpoint: Send + Sync {
    fn call(&self, request: Request) -> BoxFuture<'_, Response>;
}

pub(crate) struct RouteEndpoint<R>(pub(crate) R);

impl<R: Route> Endpoint for RouteEndpoint<R> {
    fn call(&self, request: Request) -> BoxFuture<'_, Response> {
        Box::pin(R::call(request))
    }
}

/// A route wrapped in its router's middleware.
pub(crate) struct Layered {
    pub(crate) layers: Arc<[Layer]>,
    pub(crate) inner: Box<dyn Endpoint>,
}

impl Endpoint for Layered {
    fn call(&self, request: Request) -> BoxFuture<'_, Response> {
        let next = Next::endpoint(&self.layers, &*self.inner, &request);
        Box::pin(next.run(request))
    }
}

/// A route with dependencies attached by its app or router, resolved for
/// their effect before it runs. Their bad input joins the route's 422.
pub(crate) struct WithDependencies {
    pub(crate) dependencies: Vec<Arc<dyn ErasedDependency>>,
    pub(crate) inner: Box<dyn Endpoint>,
}

impl Endpoint for WithDependencies {
    fn call(&self, mut request: Request) -> BoxFuture<'_, Response> {
        Box::pin(async move {
            let mut errors = request.take_errors();
            for dependency in &self.dependencies {
                if let Err(response) = dependency
                    .resolve_erased(&mut request, &mut errors, true)
                    .await
                {
                    return crate::__private::early(response, &mut request);
                }
            }
            request.put_errors(errors);
            self.inner.call(request).await
        })
    }
}

/// One registered route: its endpoint and where it was declared.
pub(crate) struct Entry {
    pub(crate) method: Method,
    pub(crate) endpoint: Arc<dyn Endpoint>,
    pub(crate) origin: String,
}

/// The routes of one path template.
struct PathRoutes {
    template: String,
    entries: Vec<Entry>,
    /// The `allow` header of a 405: the methods, sorted, so that it is the
    /// same on every run.
    allow: HeaderValue,
}

/// The routing table, built once when the app starts.
#[derive(Default)]
pub(crate) struct Table {
    matcher: matchit::Router<usize>,
    paths: Vec<PathRoutes>,
}

/// What routing decided for a request.
// The answer is the rare case but a response is large; it is moved once.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Routed<'a> {
    /// Send it to this endpoint; `head` means answer a `HEAD` with a `GET`
    /// route and strip the body.
    Endpoint {
        endpoint: &'a dyn Endpoint,
        head: bool,
    },
    /// Answer with this (404, 405, trailing-slash redirect).
    Answer(Response),
}

impl Table {
    /// Adds a route. Two routes for the same path and method, or a path
    /// the router cannot hold beside the others, stop the app at start-up
    /// with a message naming both.
    pub(crate) fn insert(&mut self, router_path: &str, template: &str, entry: Entry) {
        let index = match self.matcher.at(router_path) {
            Ok(found) if self.paths[*found.value].template == template => *found.value,
            _ => {
                let index = self.paths.len();
                if let Err(e) = self.matcher.insert(router_path, index) {
                    panic!("route `{template}` ({}) cannot be added: {e}", entry.origin);
                }
                self.paths.push(PathRoutes {
                    template: template.to_owned(),
                    entries: Vec::new(),
                    allow: HeaderValue::from_static(""),
                });
                index
            }
        };
        let routes = &mut self.paths[index];
        if let Some(existing) = routes.entries.iter().find(|e| e.method == entry.method) {
            panic!(
                "route `{} {template}` is declared twice: at {} and at {}",
                entry.method, existing.origin, entry.origin
            );
        }
        routes.entries.push(entry);
        let mut methods: Vec<&str> = routes.entries.iter().map(|e| e.method.as_str()).collect();
        if methods.contains(&"GET") && !methods.contains(&"HEAD") {
            methods.push("HEAD");
        }
        methods.sort_unstable();
        routes.allow =
            HeaderValue::from_str(&methods.join(", ")).unwrap_or(HeaderValue::from_static(""));
    }

    pub(crate) fn route(&self, request: &mut Request) -> Routed<'_> {
        let path = request.path();
        let found = match self.matcher.at(path) {
            Ok(found) => found,
            Err(_) => return Routed::Answer(self.not_found(request)),
        };
        let routes = &self.paths[*found.value];
        let mut params = Params::default();
        let base = path.as_ptr() as usize;
        for (_, value) in found.params.iter().take(MAX_PARAMS) {
            let start = value.as_ptr() as usize - base;
            params.push(start, start + value.len());
        }
        let method = request.method();
        let (entry, head) = match routes.entries.iter().find(|e| e.method == method) {
            Some(entry) => (entry, false),
            None if method == Method::HEAD => {
                match routes.entries.iter().find(|e| e.method == Method::GET) {
                    Some(entry) => (entry, true),
                    None => return Routed::Answer(method_not_allowed(&routes.allow)),
                }
            }
            None => return Routed::Answer(method_not_allowed(&routes.allow)),
        };
        request.set_params(params);
        Routed::Endpoint {
            endpoint: &*entry.endpoint,
            head,
        }
    }

    /// A 404, or Starlette's `redirect_slashes`: a 307 to the same path
    /// with the trailing slash added or removed, when that one exists.
    fn not_found(&self, request: &Request) -> Response {
        let path = request.path();
        if path != "/" {
            let other = match path.strip_suffix('/') {
                Some(trimmed) => trimmed.to_owned(),
                None => format!("{path}/"),
            };
            if self.matcher.at(&other).is_ok() {
                let mut url = request.url();
                let start = url.find("://").map_or(0, |i| i + 3);
                let path_at = url[start..].find('/').map_or(url.len(), |i| start + i);
                let path_end = path_at + path.len();
                url.replace_range(path_at..path_end, &other);
                let mut response = crate::Redirect::to(url).into_response();
                response.set_header(http::header::CONTENT_LENGTH, "0");
                return response;
            }
        }
        HttpError::new(404, "Not Found").into_response()
    }
}

fn method_not_allowed(allow: &HeaderValue) -> Response {
    let mut response = HttpError::new(405, "Method Not Allowed").into_response();
    response
        .headers_mut()
        .insert(http::header::ALLOW, allow.clone());
    response
}

/// Makes a `HEAD` answer of a `GET` one: the same status and headers, no body.
pub(crate) fn strip_body(mut response: Response) -> Response {
    if let Some(len) = response.body().exact_len() {
        if !response
            .headers()
            .contains_key(http::header::CONTENT_LENGTH)
        {
            response.set_header(http::header::CONTENT_LENGTH, len);
        }
    }
    let length = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .cloned();
    let _ = response.replace_body(crate::Body::empty());
    if let Some(length) = length {
        response
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, length);
    }
    response
}
