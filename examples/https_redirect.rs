//! Run with `cargo run --example https_redirect`, then
//! `curl -i 'http://127.0.0.1:8000/?q=1'`: every plain-HTTP request gets
//! `307 Temporary Redirect` to `https://127.0.0.1:8000/?q=1`.
//!
//! FastAPI's `HTTPSRedirectMiddleware` example. In production the TLS is
//! usually ended by a proxy; register the proxy-headers middleware before
//! this one so that the scheme it checks is the client's, not the proxy's.

use framework::prelude::*;
use serde_json::{json, Value};

#[get("/")]
async fn main_route() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    App::new()
        .middleware(HttpsRedirectMiddleware::new())
        .route(main_route)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
