//! Run with `cargo run --example cors`, then ask as a browser would:
//! `curl -i -H 'Origin: http://localhost:8000' http://127.0.0.1:8000/` for a
//! simple request, or
//! `curl -i -X OPTIONS -H 'Origin: https://gzky.live' -H 'Access-Control-Request-Method: PUT' http://127.0.0.1:8000/`
//! for a preflight.
//!
//! Seed 001's CORS example: the same four origins, credentials, and every
//! method and header allowed, in front of `GET /` answering
//! `{"message":"Hello World"}`. Answers are Starlette's `CORSMiddleware`'s.

use framework::prelude::*;
use serde_json::{json, Value};

/// The origins whose pages may call this API with the user's cookies. Each is
/// written as browsers send it: scheme, host, port, no trailing slash.
const ORIGINS: [&str; 4] = [
    "https://gzky.live",
    "https://google.com",
    "http://localhost:5000",
    "http://localhost:8000",
];

#[get("/")]
async fn main_route() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    // `build` checks the configuration: credentials with `"*"` as an origin
    // would be refused here, at start-up, rather than expose every user.
    let cors = CorsMiddleware::new()
        .allow_origins(ORIGINS)
        .allow_credentials(true)
        .allow_methods(["*"])
        .allow_headers(["*"])
        .build()
        .expect("the CORS configuration is valid");
    App::new().middleware(cors).route(main_route)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
