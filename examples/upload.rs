//! Run with `cargo run --example upload`, then
//! `curl -i --data-binary @Cargo.toml http://127.0.0.1:8000/upload/`
//! and `cat log.txt`.
//!
//! Seed 002's upload: `POST /upload/` takes the raw request body as bytes,
//! answers at once with `{"status":"File received, processing in
//! background"}`, and `process_file` (which the seed leaves undefined) runs
//! after the response is sent: it appends `processed N bytes` and a
//! newline to `log.txt` (in `LOG_DIR`, default the working directory).
//!
//! Unlike here, FastAPI reads a bare `file: bytes` parameter from the
//! *query string* (`?file=…`), answering a 422 for a body; the body is
//! what the seed means by an upload, so this example reads the body.

use std::io::Write as _;
use std::path::PathBuf;

use framework::prelude::*;
use serde_json::{json, Value};

/// The file the task writes to.
pub struct LogFile(pub PathBuf);

/// The seed's `process_file`: here, it records how many bytes came.
pub async fn process_file(file: Bytes, log: PathBuf) -> std::io::Result<()> {
    let line = format!("processed {} bytes\n", file.len());
    tokio::task::spawn_blocking(move || {
        let mut out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        out.write_all(line.as_bytes())
    })
    .await?
}

/// `POST /upload/`: the body, whatever it holds.
#[post("/upload/")]
async fn upload_file(
    file: Bytes,
    background_tasks: BackgroundTasks,
    log: State<LogFile>,
) -> Json<Value> {
    background_tasks.add_task(process_file(file, log.0.clone()));
    Json(json!({"status": "File received, processing in background"}))
}

/// The app writing `log.txt` into `dir`; tests hand it a directory of their own.
pub fn app_with_log_dir(dir: impl Into<PathBuf>) -> App {
    App::new()
        .state(LogFile(dir.into().join("log.txt")))
        .route(upload_file)
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    app_with_log_dir(std::env::var_os("LOG_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
