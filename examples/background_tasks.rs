//! Run with `cargo run --example background_tasks`, then
//! `curl -i -X POST 'http://127.0.0.1:8000/send-notification/foo@example.com?q=bar'`
//! and `cat log.txt`.
//!
//! Seed 001's background tasks: `write_log` appends a message to `log.txt`
//! (in `LOG_DIR`, default the working directory) after the response is
//! sent. The `get_query` dependency takes the request's `BackgroundTasks`
//! too and logs `found query: Q` when `q` is given and not empty (Python's
//! `if q:`); the handler logs `message to EMAIL`. Both share one list, so
//! the dependency's line comes first:
//!
//! ```text
//! found query: bar
//! message to foo@example.com
//! ```

use std::io::Write as _;
use std::path::PathBuf;

use framework::prelude::*;
use serde_json::{json, Value};

/// The file the tasks write to.
pub struct LogFile(pub PathBuf);

/// Seed 001's `write_log`: appends the message as it is (it carries its own
/// newline). Blocking file work, so it goes in with `add_blocking`, as
/// FastAPI runs a plain `def` task in its thread pool.
pub fn write_log(path: PathBuf, message: String) -> impl FnOnce() -> std::io::Result<()> {
    move || {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        log.write_all(message.as_bytes())
    }
}

/// `def get_query(background_tasks: BackgroundTasks, q: str = None)`.
#[depends]
fn get_query(
    background_tasks: BackgroundTasks,
    q: Option<String>,
    log: State<LogFile>,
) -> Option<String> {
    if let Some(q) = q.as_deref().filter(|q| !q.is_empty()) {
        let message = format!("found query: {q}\n");
        background_tasks.add_blocking(write_log(log.0.clone(), message));
    }
    q
}

/// `POST /send-notification/{email}`, with `q: str = Depends(get_query)`.
#[post("/send-notification/{email}")]
async fn send_notification(
    email: String,
    background_tasks: BackgroundTasks,
    q: Depends<get_query>,
    log: State<LogFile>,
) -> Json<Value> {
    let _ = q; // resolved for its effect, as in the seed
    let message = format!("message to {email}\n");
    background_tasks.add_blocking(write_log(log.0.clone(), message));
    Json(json!({"message": "Message sent"}))
}

/// The app writing `log.txt` into `dir`; tests hand it a directory of their own.
pub fn app_with_log_dir(dir: impl Into<PathBuf>) -> App {
    App::new()
        .state(LogFile(dir.into().join("log.txt")))
        .route(send_notification)
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    app_with_log_dir(std::env::var_os("LOG_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
