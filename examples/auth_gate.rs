//! Run with `cargo run --example auth_gate`, then
//! `curl -i http://127.0.0.1:8000/items/` (401, no key),
//! `curl -i -H 'x-api-key: alice-demo-key' http://127.0.0.1:8000/items/` (200) and
//! `curl -i -H 'x-api-key: bob-demo-key' http://127.0.0.1:8000/users/me`.
//!
//! Seed 003's two ways to authenticate, side by side:
//!
//! - **The gate**, an [`ApiKeyMiddleware`]: a blanket check in front of the
//!   whole app. A request without a valid `x-api-key` gets `401` before
//!   any route runs, unknown paths included, so nothing behind it is
//!   reachable or even discoverable. `/` and `/health` are exempt, so
//!   that a load balancer can probe the app.
//! - **A dependency**, `current_user`: what seed 003 recommends for auth,
//!   because it is per route and hands the handler a typed identity.
//!   `/users/me` uses it to learn *who* is calling. It checks the key
//!   again, so the route stays safe if it ever moves outside the gate.

use framework::middleware::api_key::keys_match;
use framework::prelude::*;
use serde_json::{json, Value};

/// The demo's keys and whose they are. A real app reads them from a secret
/// store or the environment, never from its source.
const USERS: &[(&str, &str)] = &[("alice-demo-key", "alice"), ("bob-demo-key", "bob")];

/// The caller's name, from the `x-api-key` header, or the same `401`s the
/// gate answers (FastAPI's `APIKeyHeader` wording for a missing key).
#[depends]
async fn current_user(#[header] x_api_key: Option<String>) -> Result<String, HttpError> {
    let challenge = |detail: &str| HttpError::new(401, detail).header("www-authenticate", "APIKey");
    let key = x_api_key
        .filter(|key| !key.is_empty())
        .ok_or_else(|| challenge("Not authenticated"))?;
    // Every key is compared, in constant time, so timing tells nothing.
    let mut user = None;
    for (known, name) in USERS {
        if keys_match(known.as_bytes(), key.as_bytes()) {
            user = Some(name.to_string());
        }
    }
    user.ok_or_else(|| challenge("Invalid API key"))
}

#[get("/")]
async fn main_route() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

#[get("/health")]
async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Protected by the gate alone: any valid key will do.
#[get("/items/")]
async fn read_items() -> Json<Value> {
    Json(json!([{"name": "Foo"}, {"name": "Bar"}]))
}

/// Protected by the gate, and told who the caller is by the dependency.
#[get("/users/me")]
async fn read_me(user: Depends<current_user>) -> Json<Value> {
    Json(json!({"username": *user}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    let keys = USERS.iter().map(|(key, _)| *key);
    App::new()
        .middleware(ApiKeyMiddleware::new(keys).exempt("/").exempt("/health"))
        .routes((main_route, health, read_items, read_me))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
