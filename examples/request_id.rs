//! Run with `cargo run --example request_id`, then
//! `curl -i http://127.0.0.1:8000/` and
//! `curl -i -H 'x-request-id: abc-123' http://127.0.0.1:8000/whoami`.
//!
//! Seed 003's request-id pattern: every request gets an id (the caller's
//! `X-Request-ID` when well formed, else a new UUID v4), which comes back
//! in the response, sits in the request's state for handlers, and is on
//! every log line of the request. Watch the terminal: the line logged by
//! `whoami` reads `request{request_id=abc-123}: looking up the caller`.

use framework::prelude::*;
use framework::request::RequestId;
use serde_json::{json, Value};

#[get("/")]
async fn main_route() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

/// Reads the id the middleware gave this request, and logs with it.
#[get("/whoami")]
async fn whoami(request: Request) -> Json<Value> {
    // Carries `request_id` without naming it: the middleware's span does.
    tracing::info!("looking up the caller");
    let id = request
        .state()
        .get::<RequestId>()
        .map(|id| id.0.to_string());
    Json(json!({"request_id": id}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    App::new()
        .middleware(TimingMiddleware::new())
        .middleware(RequestIdMiddleware::new())
        .routes((main_route, whoami))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
