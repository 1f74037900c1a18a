//! Run with `cargo run --example logging`, then
//! `curl -i http://127.0.0.1:8000/` and `curl -i http://127.0.0.1:8000/nope`;
//! the terminal prints `Request received` for each.
//!
//! Seed 004: middleware processes every request globally. Its
//! `LoggingMiddleware` prints `Request received` for every request, found
//! or not, so that no route has to log by itself (the seed's pitfall #1);
//! `GET /` answers the seed's `{"message": "Hello"}`.

use framework::prelude::*;
use serde_json::{json, Value};

/// Seed 004's `LoggingMiddleware`: prints a line for every request.
pub struct LoggingMiddleware;

impl Middleware for LoggingMiddleware {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        println!("Request received");
        call_next.run(request).await
    }
}

/// `GET /`: the route stays free of logging code.
#[get("/")]
async fn route() -> Json<Value> {
    Json(json!({"message": "Hello"}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    App::new().middleware(LoggingMiddleware).route(route)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
