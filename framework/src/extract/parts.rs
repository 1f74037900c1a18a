//! Extractors of the request's head and of what the framework injects:
//! the method, URI, version, headers, the client's address and the
//! background tasks.

use std::future::{ready, Future};
use std::net::SocketAddr;

use http::{HeaderMap, Method, Uri, Version};

use super::FromRequest;
use crate::after::BackgroundTasks;
use crate::error::ValidationError;
use crate::request::Request;
use crate::response::Response;

/// The client's address, as FastAPI's `request.client`: the peer of the
/// connection, or the address a trusted proxy forwarded for; `None` on a
/// Unix socket, or when the app is served by a server that did not say.
///
/// A server that embeds the app tells it the peer by inserting a
/// `ClientAddr` into each request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<SocketAddr>);

macro_rules! head_extractors {
    ($($ty:ty => |$request:ident| $value:expr;)*) => {$(
        impl FromRequest for $ty {
            fn from_request(
                $request: &mut Request,
                _: &mut ValidationError,
            ) -> impl Future<Output = Result<Option<Self>, Response>> + Send {
                ready(Ok(Some($value)))
            }
        }
    )*};
}

head_extractors! {
    Method => |request| request.method().clone();
    Uri => |request| request.uri().clone();
    Version => |request| request.version();
    HeaderMap => |request| request.headers().clone();
    ClientAddr => |request| ClientAddr(request.client());
    BackgroundTasks => |request| request.background_tasks();
}
