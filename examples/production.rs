//! Run with `cargo run --release --example production`, then
//! `curl -i http://127.0.0.1:8000/` and
//! `curl -i -H 'x-api-key: demo-key' -H 'x-forwarded-for: 203.0.113.7' http://127.0.0.1:8000/whoami`.
//!
//! Seed 003's production stack in one app, in the recommended order. The
//! first middleware registered is the outermost: first to see the
//! request, last to see the response.
//!
//! ```text
//! proxy headers (before the onion: the real client and scheme)
//!   → timing → request id → CORS → rate limit → API-key gate → router → handler
//! ```
//!
//! Behind nginx on the same host, add `--forwarded-allow-ips` for a proxy
//! elsewhere; set `API_KEY` to replace the demo key and `REDIS_URL` to
//! share the rate limit between instances.

use std::time::Duration;

use framework::middleware::{ProxyHeaders, RedisStore};
use framework::prelude::*;
use framework::request::{RequestId, Scheme};
use serde_json::{json, Value};

#[get("/")]
async fn main_route() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

#[get("/health")]
async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// What the stack made of this request: the client and scheme after the
/// proxy headers, and the request id.
#[get("/whoami")]
async fn whoami(request: Request) -> Json<Value> {
    tracing::info!("whoami called");
    Json(json!({
        "client": request.client().map(|c| c.ip().to_string()),
        "scheme": if request.scheme() == Scheme::Https { "https" } else { "http" },
        "request_id": request.state().get::<RequestId>().map(|id| id.0.to_string()),
    }))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    let api_key = std::env::var("API_KEY").unwrap_or_else(|_| "demo-key".into());
    let cors = CorsMiddleware::new()
        .allow_origins(["http://localhost:3000"])
        .allow_headers(["x-api-key"])
        .expose_headers([
            "x-request-id",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
        ])
        .build()
        .expect("the CORS configuration is valid");
    let limiter = RateLimitMiddleware::new(100, Duration::from_secs(60)).exempt("/health");
    let app = App::new()
        // Not a layer: applied to each request before the first middleware,
        // so that every layer (the limiter's per-client key above all) sees
        // the real client. uvicorn's default, written out: trust only a
        // proxy on this host. `HttpsRedirectMiddleware`, when the proxy does
        // not redirect by itself, would be the first layer: it sees the
        // scheme the client used, from `X-Forwarded-Proto`.
        .config(|c| c.proxy_headers = ProxyHeaders::new().trust("127.0.0.1,::1"))
        // Outermost, so that the time covers every layer, rejections too.
        .middleware(TimingMiddleware::new())
        // Next, so that the layers inside it log with the id and their
        // 401s and 429s carry it back to the client.
        .middleware(RequestIdMiddleware::new())
        // Outside the limiter and the gate: browsers' preflights carry no
        // key and should not use up a quota, and a page can read a 401 or
        // 429 only if it has CORS headers too.
        .middleware(cors);
    // Before the gate, so that a client guessing keys is limited too.
    let app = match std::env::var("REDIS_URL") {
        Ok(url) => app.middleware(
            limiter.store(RedisStore::new(&url).expect("REDIS_URL is not a Redis URL")),
        ),
        Err(_) => app.middleware(limiter),
    };
    // Innermost: the most specific check, closest to the routes.
    app.middleware(
        ApiKeyMiddleware::new([api_key])
            .exempt("/")
            .exempt("/health"),
    )
    .routes((main_route, health, whoami))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
