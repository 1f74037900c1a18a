//! Run with `cargo run --release --example hello`, then
//! `curl -i http://127.0.0.1:8000/`.
//!
//! Seed 001's first example: a function middleware that times each request
//! and adds `X-Process-Time`, and `GET /` answering `{"message":"Hello World"}`.

use framework::prelude::*;
use serde_json::{json, Value};

/// Times the rest of the chain, as `@app.middleware("http")` does in FastAPI.
#[middleware("http")]
async fn add_process_time_header(request: Request, call_next: Next) -> Response {
    let start = std::time::Instant::now();
    let mut response = call_next(request).await;
    let process_time = start.elapsed().as_secs_f64();
    response.set_header("x-process-time", process_time.to_string());
    // The seed prints the headers of every response.
    println!("{:?}", response.headers());
    response
}

#[get("/")]
async fn main_route() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    App::new()
        .middleware(add_process_time_header)
        .route(main_route)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
