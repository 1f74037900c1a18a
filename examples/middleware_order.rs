//! Run with `cargo run --example middleware_order`, then
//! `curl -i -H 'x-api-key: secret' http://127.0.0.1:8000/` and
//! `curl -i http://127.0.0.1:8000/`.
//!
//! Seeds 003 and 004: middleware runs in the order registered, the first
//! registered outermost. Timing goes first (its clock covers everything,
//! rejections included), then the request id, then authentication, closest
//! to the routes. Each layer wraps the `x-middleware-order` header of the
//! response in its own name on the way out, so the header draws the onion:
//!
//! ```text
//! x-middleware-order: timing(request_id(authentication(route)))   with the key
//! x-middleware-order: timing(request_id(authentication))          401 without it
//! ```
//!
//! Starlette does the reverse: there, the last `add_middleware` is the
//! outermost. Here the code reads in the order the request travels.

use framework::prelude::*;
use framework::uuid::Uuid;
use serde_json::{json, Value};

const ORDER: &str = "x-middleware-order";

/// Wraps the order header in `name(…)`.
fn record(response: &mut Response, name: &str) {
    let inner = response
        .headers()
        .get(ORDER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let order = match inner {
        Some(inner) => format!("{name}({inner})"),
        None => name.to_owned(),
    };
    response.set_header(ORDER, order);
}

/// Outermost: times everything inside it, as `X-Process-Time`.
#[middleware("http")]
async fn timing(request: Request, call_next: Next) -> Response {
    let start = std::time::Instant::now();
    let mut response = call_next(request).await;
    response.set_header("x-process-time", start.elapsed().as_secs_f64().to_string());
    record(&mut response, "timing");
    response
}

/// The request's id: the caller's `X-Request-ID`, or a new UUID v4.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Second: gives every request an id, in `request.state` and the response.
pub struct RequestIdLayer;

impl Middleware for RequestIdLayer {
    async fn dispatch(&self, mut request: Request, call_next: Next<'_>) -> Response {
        let id = match request.header("x-request-id") {
            Some(id) if !id.is_empty() && id.len() <= 128 => id.to_owned(),
            _ => Uuid::new_v4().to_string(),
        };
        request.state_mut().insert(RequestId(id.clone()));
        let mut response = call_next.run(request).await;
        response.set_header("x-request-id", id);
        record(&mut response, "request_id");
        response
    }
}

/// Innermost: answers 401 by itself, without calling `call_next`, unless
/// the request carries the API key.
pub struct Authentication {
    /// The key to expect in `x-api-key`.
    pub api_key: &'static str,
}

impl Middleware for Authentication {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        let mut response = if request.header("x-api-key") == Some(self.api_key) {
            call_next.run(request).await
        } else {
            HttpError::new(401, "Invalid or missing API key").into_response()
        };
        record(&mut response, "authentication");
        response
    }
}

/// `GET /`: marks the innermost point of the onion, and shows the id.
#[get("/")]
async fn main_route(request: &Request) -> Response {
    let id = request.state().get::<RequestId>().map(|id| id.0.clone());
    let mut response = Json(json!({"message": "Hello World", "request_id": id})).into_response();
    response.set_header(ORDER, "route");
    response
}

/// `GET /items`.
#[get("/items")]
async fn items() -> Json<Value> {
    Json(json!({"items": []}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    App::new()
        .middleware(timing) // outermost: first in, last out
        .middleware(RequestIdLayer)
        .middleware(Authentication { api_key: "secret" }) // innermost
        .routes((main_route, items))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = app();
    println!("{}", app.describe_middleware());
    app.run().await
}
