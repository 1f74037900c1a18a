//! The router: the innermost step of the app's chain. It matches the path
//! and method to a route or a mounted service (`table`), or answers
//! itself (404, 405, a trailing-slash redirect), and has what the route
//! answered finished by the app's exception handlers (`exceptions`), with
//! `HEAD` answered by a `GET` route without its body.
//!
//! [`Router`] groups routes under a prefix with middleware and
//! dependencies of their own, as FastAPI's `APIRouter`.

mod mount;
mod router;
mod table;

pub use crate::endpoint::Route;
pub use router::{Router, Routes};

pub(crate) use mount::Mount;
pub(crate) use table::{Entry, Table};

use std::sync::Arc;

use crate::chain::{After, Endpoint, Layer, Next, Run};
use crate::exceptions::Exceptions;
use crate::panic::catching;
use crate::request::Request;
use table::Routed;

/// The app's router: its table and what finishes each answer.
pub(crate) struct AppRouter {
    pub(crate) table: Table,
    pub(crate) exceptions: Exceptions,
}

impl Endpoint for AppRouter {
    fn call(&self, mut request: Request) -> Run<'_> {
        // A panic while routing (in a path parameter's parsing, say) is a
        // 500 too.
        match catching(|| self.table.route(&mut request)) {
            Ok(Routed::Endpoint { endpoint, head }) => {
                endpoint.call(request).finished_by(&self.exceptions, head)
            }
            Ok(Routed::Answer(response)) => Run::ready(response),
            Err(panic) => Run::panicked(After::Endpoint, panic),
        }
    }
}

/// A route wrapped in its router's middleware.
pub(crate) struct Layered {
    pub(crate) layers: Arc<[Layer]>,
    pub(crate) inner: Box<dyn Endpoint>,
}

impl Endpoint for Layered {
    fn call(&self, request: Request) -> Run<'_> {
        Next::new(&self.layers, &*self.inner, &request).start(request)
    }
}
