//! Run with `cargo run --example status_codes`, then
//! `curl -i http://127.0.0.1:8000/201/`.
//!
//! Seed 001's custom status codes: each route answers `{"httpStatus": N}`
//! with status N, as FastAPI's `status_code=status.HTTP_N_...` does.

use framework::prelude::*;
use serde_json::{json, Value};

#[get("/201/", status_code = 201)]
async fn item201() -> Json<Value> {
    Json(json!({"httpStatus": 201}))
}

#[get("/302/", status_code = 302)]
async fn items302() -> Json<Value> {
    Json(json!({"httpStatus": 302}))
}

#[get("/404/", status_code = 404)]
async fn items404() -> Json<Value> {
    Json(json!({"httpStatus": 404}))
}

#[get("/500/", status_code = 500)]
async fn items500() -> Json<Value> {
    Json(json!({"httpStatus": 500}))
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    App::new().routes((item201, items302, items404, items500))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
