//! tower inside the chain: a `tower::Layer` registered with
//! [`App::layer`](crate::App::layer) wraps the rest of the chain, which it
//! sees as a `tower::Service` ([`NextService`]); and any `tower::Service`
//! can be called from inside the chain (the layer so made, or a mounted
//! service, see `routing::mount`).
//!
//! On the way through a tower service the request is an `http::Request`
//! and the response an `http::Response`; what only this framework knows of
//! them (the client, path parameters, dependency scope, the work after the
//! response, a raised error) rides along in their extensions.

use std::convert::Infallible;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use tower_service::Service;

use super::{BoxFuture, Endpoint, Layer, Next};
use crate::body::{Body, BoxError};
use crate::context::Context;
use crate::request::Request;
use crate::response::{internal_server_error, Response};

/// What the rest of the chain after a tower layer needs of the built app.
pub(crate) trait Onion: Send + Sync + 'static {
    fn layers(&self) -> &[Layer];
    fn target(&self) -> &dyn Endpoint;
    fn context(&self) -> &Arc<Context>;
}

/// The rest of the chain after a tower layer, as a `tower::Service`: what
/// a layer given to [`App::layer`](crate::App::layer) wraps.
///
/// It holds the app weakly (the app holds the layer), and answers `503`
/// if the app is gone.
#[derive(Clone)]
pub struct NextService {
    onion: Weak<dyn Onion>,
    /// The layer after the tower layer.
    position: usize,
}

impl NextService {
    pub(crate) fn new(onion: Weak<dyn Onion>, position: usize) -> Self {
        NextService { onion, position }
    }
}

impl std::fmt::Debug for NextService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NextService")
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl<B> Service<http::Request<B>> for NextService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let onion = self.onion.upgrade();
        let position = self.position;
        Box::pin(async move {
            let Some(onion) = onion else {
                let mut response = Response::text("Service Unavailable");
                response.set_status(http::StatusCode::SERVICE_UNAVAILABLE);
                return Ok(response.into_http_carrying());
            };
            let request = Request::from_http(request.map(Body::from_any), onion.context().clone());
            let layers = onion.layers().get(position..).unwrap_or_default();
            let response = Next::new(layers, onion.target(), &request)
                .run(request)
                .await;
            Ok(response.into_http_carrying())
        })
    }
}

/// A tower service as a step of the chain.
pub(crate) trait ErasedService: Send + Sync {
    /// Calls the service with the request as it stands.
    fn call_with(&self, request: Request) -> BoxFuture<'_, Response> {
        self.call_http(request.into_http())
    }

    /// Calls the service with an `http::Request`.
    fn call_http(&self, request: http::Request<Body>) -> BoxFuture<'_, Response>;
}

/// A tower service, cloned for each call as tower's contract asks.
pub(crate) struct TowerStep<S> {
    // In a `Mutex` only to be `Sync` whatever the service is; held just
    // long enough to clone it.
    service: Mutex<S>,
    name: &'static str,
}

impl<S> TowerStep<S> {
    pub(crate) fn new(service: S) -> Self {
        TowerStep {
            service: Mutex::new(service),
            name: std::any::type_name::<S>(),
        }
    }
}

impl<S, B> ErasedService for TowerStep<S>
where
    S: Service<http::Request<Body>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn call_http(&self, request: http::Request<Body>) -> BoxFuture<'_, Response> {
        let mut service = self
            .service
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let name = self.name;
        let failed = move |e: S::Error| {
            let e: BoxError = e.into();
            tracing::error!(service = name, "tower service failed: {e}");
            internal_server_error()
        };
        Box::pin(async move {
            if let Err(e) = poll_fn(|cx| service.poll_ready(cx)).await {
                return failed(e);
            }
            match service.call(request).await {
                Ok(response) => Response::from_http_carrying(response.map(Body::from_any)),
                Err(e) => failed(e),
            }
        })
    }
}
