//! Run with `cargo run --example trusted_host`, then
//! `curl -i -H 'Host: api.example.com' http://127.0.0.1:8000/` (served) and
//! `curl -i http://127.0.0.1:8000/` (`400 Invalid host header`: the host is
//! `127.0.0.1:8000`, which is not in the list).
//!
//! FastAPI's `TrustedHostMiddleware` example: only `example.com` and its
//! subdomains are served, which stops Host-header attacks (poisoned
//! password-reset links, cache poisoning) before any handler runs.

use framework::prelude::*;
use serde_json::{json, Value};

#[get("/")]
async fn main_route() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    // Registered first, so that it is the outermost layer: a refused host
    // never reaches the rest of the app.
    let trusted = TrustedHostMiddleware::new()
        .allowed_hosts(["example.com", "*.example.com"])
        .build()
        .expect("the host patterns are valid");
    App::new().middleware(trusted).route(main_route)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
