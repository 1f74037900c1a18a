//! The routing table: which endpoint a path and method go to, or what to
//! answer instead (404, 405 with `allow`, a trailing-slash redirect), and
//! `HEAD` answered by `GET` routes. Built once when the app starts.

use std::sync::Arc;

use http::{HeaderValue, Method};

use crate::chain::Endpoint;
use crate::error::HttpError;
use crate::request::{Params, Request, MAX_PARAMS};
use crate::response::{IntoResponse, Response};

/// One registered route: its endpoint and where it was declared.
pub(crate) struct Entry {
    pub(crate) method: Method,
    pub(crate) endpoint: Arc<dyn Endpoint>,
    pub(crate) origin: String,
}

/// What a path of the table leads to.
#[derive(Clone, Copy)]
enum Slot {
    /// The routes of one path template.
    Routes(usize),
    /// A mounted service.
    Mount(usize),
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
    matcher: matchit::Router<Slot>,
    paths: Vec<PathRoutes>,
    mounts: Vec<Box<dyn Endpoint>>,
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
    /// the router cannot hold beside the others, are refused with a
    /// message naming both.
    pub(crate) fn insert(
        &mut self,
        router_path: &str,
        template: &str,
        entry: Entry,
    ) -> Result<(), String> {
        let existing = match self.matcher.at(router_path).map(|found| *found.value) {
            Ok(Slot::Routes(index)) if self.paths[index].template == template => Some(index),
            _ => None,
        };
        let index = match existing {
            Some(index) => index,
            None => {
                let index = self.paths.len();
                if let Err(e) = self.matcher.insert(router_path, Slot::Routes(index)) {
                    return Err(format!(
                        "route `{template}` ({}) cannot be added: {e}",
                        entry.origin
                    ));
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
            return Err(format!(
                "route `{} {template}` is declared twice: {} and {}; remove one, or change its path or method",
                entry.method, existing.origin, entry.origin
            ));
        }
        routes.entries.push(entry);
        let mut methods: Vec<&str> = routes.entries.iter().map(|e| e.method.as_str()).collect();
        if methods.contains(&"GET") && !methods.contains(&"HEAD") {
            methods.push("HEAD");
        }
        methods.sort_unstable();
        routes.allow =
            HeaderValue::from_str(&methods.join(", ")).unwrap_or(HeaderValue::from_static(""));
        Ok(())
    }

    /// Mounts `endpoint` at `prefix`: every path under `prefix/` goes to
    /// it, as Starlette's `Mount` (a request for `prefix` itself is
    /// redirected to `prefix/` by the trailing-slash rule).
    pub(crate) fn mount(
        &mut self,
        prefix: &str,
        endpoint: Box<dyn Endpoint>,
    ) -> Result<(), String> {
        let index = self.mounts.len();
        for path in [format!("{prefix}/"), format!("{prefix}/{{*__mounted}}")] {
            if let Err(e) = self.matcher.insert(path, Slot::Mount(index)) {
                return Err(format!("mount `{prefix}` cannot be added: {e}"));
            }
        }
        self.mounts.push(endpoint);
        Ok(())
    }

    pub(crate) fn route(&self, request: &mut Request) -> Routed<'_> {
        let path = request.path();
        let found = match self.matcher.at(path) {
            Ok(found) => found,
            Err(_) => return Routed::Answer(self.not_found(request)),
        };
        let routes = match *found.value {
            Slot::Routes(index) => &self.paths[index],
            Slot::Mount(index) => {
                return Routed::Endpoint {
                    endpoint: &*self.mounts[index],
                    head: false,
                }
            }
        };
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
                let mut response = crate::response::Redirect::to(url).into_response();
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
