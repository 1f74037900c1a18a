//! Run with `cargo run --example timing_class`, then
//! `curl -i http://127.0.0.1:8000/items` and
//! `curl -i 'http://127.0.0.1:8000/search?q=rust'`.
//!
//! Seed 000: a class-style `TimingMiddleware` (Starlette's
//! `BaseHTTPMiddleware` with its `dispatch`) adding `X-Process-Time`, with
//! `GET /items` → `{"items":[]}` and FastAPI's dependency-injection pattern,
//! `GET /search?q=` → `{"search": q}` where `q` defaults to `""`.
//!
//! (The framework ships a ready-made `TimingMiddleware` too; this one is
//! written out, as the seed writes it, to show the class style. Being
//! defined here, it takes precedence over the prelude's.)

use framework::prelude::*;
use serde_json::{json, Value};

/// Seed 000's `TimingMiddleware`: a type implementing [`Middleware`], whose
/// `dispatch` gets the request and the rest of the chain.
pub struct TimingMiddleware;

impl Middleware for TimingMiddleware {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        let start_time = std::time::Instant::now();
        // `call_next.run(request)` is Starlette's `await call_next(request)`.
        let mut response = call_next.run(request).await;
        let process_time = start_time.elapsed().as_secs_f64();
        response.set_header("X-Process-Time", process_time.to_string());
        response
    }
}

/// `GET /items`.
#[get("/items")]
async fn list_items() -> Json<Value> {
    Json(json!({"items": []}))
}

/// The dependency: `async def get_query(q: str = "")`.
#[depends]
async fn get_query(#[query(default = "")] q: String) -> String {
    q
}

/// `GET /search`: `query: str = Depends(get_query)`.
#[get("/search")]
async fn search(query: Depends<get_query>) -> Json<Value> {
    Json(json!({"search": *query}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    App::new()
        .middleware(TimingMiddleware)
        .routes((list_items, search))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
