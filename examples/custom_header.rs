//! Run with `cargo run --example custom_header`, then
//! `curl -i -H 'content-type: application/json' -d '{"a": 1}' http://127.0.0.1:8000/send-data/`.
//!
//! Seed 002's "combining middleware and background tasks": its class
//! middleware `SimpleMiddleware` prints `Request URL: {url}` for every
//! request and adds `X-Custom-Header: Hello from Middleware` to every
//! response, in front of the seed's `POST /send-data/` route, which logs
//! the data to `log.txt` (in `LOG_DIR`, default the working directory)
//! after the response is sent. The route is the one of the `send_data`
//! example, included from there.

use std::path::PathBuf;

use framework::prelude::*;

#[allow(dead_code, unreachable_pub)]
#[path = "send_data.rs"]
pub(crate) mod send_data;

use send_data::LogDir;

/// Seed 002's `SimpleMiddleware`, as Starlette's `BaseHTTPMiddleware`.
pub struct SimpleMiddleware;

impl Middleware for SimpleMiddleware {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        println!("Request URL: {}", request.url());
        let mut response = call_next.run(request).await;
        response.set_header("X-Custom-Header", "Hello from Middleware");
        response
    }
}

/// The app writing `log.txt` into `dir`; tests hand it a directory of their own.
pub fn app_with_log_dir(dir: impl Into<PathBuf>) -> App {
    App::new()
        .middleware(SimpleMiddleware)
        .state(LogDir(dir.into()))
        .route(send_data::send_data)
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    app_with_log_dir(LogDir::from_env().0)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
