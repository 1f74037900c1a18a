//! A `tower::Service` mounted under a path prefix (`App::mount`), as
//! Starlette's `Mount`: it sees the path without the prefix.

use crate::chain::{After, Endpoint, ErasedService, Run};
use crate::request::Request;

/// A mounted service and its prefix.
pub(crate) struct Mount {
    prefix: String,
    service: Box<dyn ErasedService>,
}

impl Mount {
    pub(crate) fn new(prefix: String, service: Box<dyn ErasedService>) -> Self {
        Mount { prefix, service }
    }
}

impl Endpoint for Mount {
    fn call(&self, mut request: Request) -> Run<'_> {
        // The service answers for the whole request; what the request's
        // middleware registered still waits for the response to be sent.
        let (after_response, after_handler) = request.take_scope();
        let mut request = request.into_http();
        strip_prefix(&mut request, &self.prefix);
        Run::start(After::Endpoint, || {
            Box::pin(async move {
                let mut response = self.service.call_http(request).await;
                response.attach_scope(after_handler);
                response.attach_scope(after_response);
                response
            })
        })
    }
}

/// `/prefix/rest?query` becomes `/rest?query`.
fn strip_prefix(request: &mut http::Request<crate::body::Body>, prefix: &str) {
    let uri = request.uri();
    let path = uri.path();
    let rest = path.strip_prefix(prefix).unwrap_or(path);
    let rest = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match uri.query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    match path_and_query.parse() {
        Ok(path_and_query) => parts.path_and_query = Some(path_and_query),
        Err(_) => return,
    }
    if let Ok(uri) = http::Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
}
