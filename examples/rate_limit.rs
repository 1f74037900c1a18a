//! Run with `cargo run --example rate_limit`, then run
//! `curl -i http://127.0.0.1:8000/` six times: the sixth answers `429`.
//!
//! With `REDIS_URL=redis://127.0.0.1:6379/ cargo run --example rate_limit`
//! the counts live in Redis, so several copies of the app (on other
//! `--port`s) share one limit per client.
//!
//! Seed 003's rate limiting: at most 5 requests per client address per
//! minute. Every counted response tells the client where it stands:
//!
//! ```text
//! ratelimit-limit: 5
//! ratelimit-remaining: 4
//! ratelimit-reset: 60
//! ```
//!
//! and the request over the limit gets `429 {"detail":"Too Many Requests"}`
//! with `retry-after`. `/health` is not counted, so that a load balancer's
//! probes never use up anyone's quota.

use std::time::Duration;

use framework::middleware::rate_limit::RateLimitStatus;
use framework::middleware::RedisStore;
use framework::prelude::*;
use serde_json::{json, Value};

#[get("/")]
async fn main_route() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

#[get("/health")]
async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// What the limiter counted for this request, from the request's state.
#[get("/quota")]
async fn quota(request: Request) -> Json<Value> {
    let status = request.state().get::<RateLimitStatus>();
    Json(json!({
        "limit": status.map(|s| s.limit),
        "remaining": status.map(|s| s.remaining),
    }))
}

/// The app, counting in Redis when `REDIS_URL` is set, else in memory.
pub fn app() -> App {
    app_with(std::env::var("REDIS_URL").ok().as_deref())
}

/// The app, counting in the Redis at `redis_url`, or in memory.
pub fn app_with(redis_url: Option<&str>) -> App {
    let limiter = RateLimitMiddleware::new(5, Duration::from_secs(60)).exempt("/health");
    let app = App::new();
    let app = match redis_url {
        Some(url) => {
            let store = RedisStore::new(url)
                .expect("REDIS_URL is not a Redis URL")
                .prefix("example:ratelimit:");
            app.middleware(limiter.store(store))
        }
        None => app.middleware(limiter),
    };
    app.routes((main_route, health, quota))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
