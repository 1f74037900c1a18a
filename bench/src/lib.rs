//! The benchmark app of `/work/shared/bench/SPEC.md`, served the same way by
//! four contenders: `framework`, raw hyper, axum and actix-web.
//!
//! Each contender's app lives in its own module, written as a user of that
//! library would write it; the binaries in `src/bin` only parse the flags
//! and serve. What must be the same everywhere (the bodies, the request-id
//! method, the flags) is here, so that the servers differ only in the
//! library that routes, extracts and runs the middleware.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /plaintext` | `Hello, World!`, `text/plain; charset=utf-8` |
//! | `GET /json` | `{"message":"Hello, World!"}` |
//! | `GET /users/{id}?verbose=true` | `{"id":<int>,"verbose":<bool>}`, 422 for a non-integer id |
//! | `POST /echo` | the JSON object sent, 422 when malformed |
//! | `GET /deps` | `{"user":"alice","db":"conn-1"}` through two dependencies |
//!
//! With `--stack`, three middlewares wrap every route, outermost first:
//! timing (`x-process-time`), request id (`x-request-id`, copied or made)
//! and a custom header (`x-custom-header: Hello from Middleware`).

pub mod actix_app;
pub mod axum_app;
pub mod framework_app;
pub mod hyper_app;

use serde::Serialize;

/// The body of `GET /plaintext`.
pub const PLAINTEXT: &str = "Hello, World!";

/// The `content-type` of `GET /plaintext`.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// The message of `GET /json`.
pub const MESSAGE: &str = "Hello, World!";

/// The user `GET /deps` answers with.
pub const USER: &str = "alice";

/// The connection `GET /deps` answers with.
pub const DB_CONN: &str = "conn-1";

/// The value of `x-custom-header` under `--stack`.
pub const CUSTOM_HEADER_VALUE: &str = "Hello from Middleware";

/// The body of `GET /json`.
#[derive(Serialize)]
pub struct Message {
    /// Always [`MESSAGE`].
    pub message: &'static str,
}

/// The body of `GET /users/{id}`.
#[derive(Serialize)]
pub struct User {
    /// The id from the path.
    pub id: i64,
    /// The `verbose` query parameter, `false` when missing.
    pub verbose: bool,
}

/// The body of `GET /deps`.
#[derive(Serialize)]
pub struct DepsOut<'a> {
    /// The name the user dependency gave.
    pub user: &'a str,
    /// The connection the db dependency gave.
    pub db: &'a str,
}

/// What the `db` dependency gives: a "connection" (a string made per request,
/// the same work in every contender).
#[derive(Clone, Debug)]
pub struct Db {
    /// The connection's name, [`DB_CONN`].
    pub conn: String,
}

impl Db {
    /// Opens the "connection".
    pub fn open() -> Self {
        Db {
            conn: DB_CONN.to_owned(),
        }
    }
}

/// What the `user` dependency gives; it needs a [`Db`] to find the user.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    /// The user's name, [`USER`].
    pub name: String,
}

impl CurrentUser {
    /// Looks the user up through the connection.
    pub fn load(db: &Db) -> Self {
        debug_assert_eq!(db.conn, DB_CONN);
        CurrentUser {
            name: USER.to_owned(),
        }
    }
}

/// Makes a new request id (a UUID v4, lowercase, hyphenated), the same way
/// in every contender. Returns the 36 bytes of text.
pub fn new_request_id(buf: &mut [u8; 36]) -> &str {
    uuid::Uuid::new_v4().hyphenated().encode_lower(buf)
}

/// The seconds since `start`, as the decimal string of `x-process-time`.
pub fn process_time(start: std::time::Instant) -> String {
    start.elapsed().as_secs_f64().to_string()
}

/// Parses a `verbose` query value the way the framework does (FastAPI's
/// spellings); for the contenders that parse by hand.
pub fn parse_bool(text: &str) -> Option<bool> {
    const TRUE: [&str; 6] = ["1", "on", "t", "true", "y", "yes"];
    const FALSE: [&str; 6] = ["0", "off", "f", "false", "n", "no"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(text)) {
        Some(true)
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(text)) {
        Some(false)
    } else {
        None
    }
}

/// The flags every server binary takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Args {
    /// `--port N` (default 8000).
    pub port: u16,
    /// `--stack`: wrap every route in the three middlewares.
    pub stack: bool,
}

impl Args {
    /// Reads `--port N` (or `--port=N`) and `--stack` from the command line.
    ///
    /// # Panics
    /// On a port that is not a number: the benchmark script's mistake.
    pub fn from_env() -> Self {
        Args::parse(std::env::args().skip(1))
    }

    /// Reads the flags from `args`.
    ///
    /// # Panics
    /// On a port that is not a number.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Self {
        let mut parsed = Args {
            port: 8000,
            stack: false,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--stack" {
                parsed.stack = true;
            } else if let Some(port) = arg.strip_prefix("--port=") {
                parsed.port = port.parse().expect("--port takes a number");
            } else if arg == "--port" {
                let port = args.next().expect("--port takes a number");
                parsed.port = port.parse().expect("--port takes a number");
            }
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse() {
        let args = |a: &[&str]| Args::parse(a.iter().map(|s| s.to_string()));
        assert_eq!(
            args(&[]),
            Args {
                port: 8000,
                stack: false
            }
        );
        assert_eq!(
            args(&["--port", "9001", "--stack"]),
            Args {
                port: 9001,
                stack: true
            }
        );
        assert_eq!(
            args(&["--port=9002"]),
            Args {
                port: 9002,
                stack: false
            }
        );
    }

    #[test]
    fn request_ids_are_uuids() {
        let mut buf = [0; 36];
        let id = new_request_id(&mut buf).to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        assert_eq!(id.len(), 36);
    }
}

/// Completes on Ctrl-C or SIGTERM, for the servers that handle shutdown
/// themselves (so that a profiler sees the process exit normally).
pub async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

/// The JSON object `POST /echo` is sent in the load test and the checks.
pub const ECHO_BODY: &str = r#"{"name":"alice","tags":["a","b"],"n":1}"#;

/// One endpoint of the benchmark, as the load test and the checks send it.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// Its short name: `plaintext`, `json`, `users`, `echo`, `deps`.
    pub name: &'static str,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path and query sent.
    pub uri: &'static str,
    /// The body sent (JSON), if any.
    pub body: Option<&'static str>,
    /// The body expected back, byte for byte.
    pub expected: &'static str,
}

/// Every endpoint of the benchmark, in table order.
pub const ENDPOINTS: [Endpoint; 5] = [
    Endpoint {
        name: "plaintext",
        method: "GET",
        uri: "/plaintext",
        body: None,
        expected: PLAINTEXT,
    },
    Endpoint {
        name: "json",
        method: "GET",
        uri: "/json",
        body: None,
        expected: r#"{"message":"Hello, World!"}"#,
    },
    Endpoint {
        name: "users",
        method: "GET",
        uri: "/users/42?verbose=true",
        body: None,
        expected: r#"{"id":42,"verbose":true}"#,
    },
    Endpoint {
        name: "echo",
        method: "POST",
        uri: "/echo",
        body: Some(ECHO_BODY),
        expected: ECHO_BODY,
    },
    Endpoint {
        name: "deps",
        method: "GET",
        uri: "/deps",
        body: None,
        expected: r#"{"user":"alice","db":"conn-1"}"#,
    },
];

/// The endpoint of that name.
pub fn endpoint(name: &str) -> Option<Endpoint> {
    ENDPOINTS.iter().copied().find(|e| e.name == name)
}
