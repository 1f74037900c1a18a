//! Run with `cargo run --example send_data`, then
//! `curl -i -H 'content-type: application/json' -d '{"a": 1}' http://127.0.0.1:8000/send-data/`
//! and `cat log.txt`.
//!
//! Seed 002's background task: `POST /send-data/` takes any JSON object
//! (FastAPI's `data: dict`), answers at once with
//! `{"message":"Data received. Logging in background."}`, and appends
//! `Received: {data}` and a newline to `log.txt` after the response is sent.
//!
//! The object is written as Python prints a dict, since that is what the
//! seed's `f"Received: {data}"` writes: `{"a": 1, "b": [true, null]}`
//! becomes `Received: {'a': 1, 'b': [True, None]}` (see [`py_repr`]).
//!
//! `log.txt` goes into the directory named by `LOG_DIR`, default the
//! working directory. Anything but a JSON object is a 422, as in FastAPI.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use framework::prelude::*;
use serde_json::{json, Map, Value};

/// The directory `log.txt` is written to.
pub struct LogDir(pub PathBuf);

impl LogDir {
    /// `LOG_DIR`, or the working directory.
    pub fn from_env() -> Self {
        LogDir(std::env::var_os("LOG_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from))
    }

    /// The log file in it.
    pub fn log_file(&self) -> PathBuf {
        self.0.join("log.txt")
    }
}

/// Seed 002's `write_log`: appends the message and a newline. Blocking
/// file work, so it is added with `add_blocking` (as FastAPI runs a plain
/// `def` task in its thread pool).
pub fn write_log(path: &Path, message: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{message}")
}

/// `POST /send-data/`: the body must be a JSON object.
#[post("/send-data/")]
pub async fn send_data(
    data: Json<Map<String, Value>>,
    background_tasks: BackgroundTasks,
    log_dir: State<LogDir>,
) -> Json<Value> {
    let path = log_dir.log_file();
    let message = format!("Received: {}", py_repr(&Value::Object(data.0)));
    background_tasks.add_blocking(move || write_log(&path, &message));
    Json(json!({"message": "Data received. Logging in background."}))
}

/// A JSON value as Python's `repr` prints what `json.loads` made of it:
/// `None`, `True`, `False`, `'text'`, `1.5`, `1e+20`, `[1, 2]`, `{'k': v}`.
///
/// Strings take Python's quotes (single, or double when the text holds a
/// single quote and no double one) and escapes (`\n`, `\t`, `\\`, `\x07`,
/// `\xa0`, …); printable non-ASCII text stays as it is. Floats use
/// Python's shortest round-trip digits, in exponent form below 1e-4 and
/// from 1e16. (Integers beyond 64 bits, which Python keeps exact, arrive
/// here as floats.)
pub fn py_repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

fn write_repr(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (_, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            (_, _, Some(f)) => out.push_str(&py_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => py_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_str(out, key);
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python's `repr(float)`.
fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Python's repr.
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let plain = format!("{f}");
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// Python's `repr(str)`.
fn py_str(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            // Not printable for Python: the C0 and C1 controls, DEL, the
            // no-break space, the soft hyphen.
            c if c < ' ' || ('\u{7f}'..='\u{a0}').contains(&c) || c == '\u{ad}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// The app writing `log.txt` into `dir`; tests hand it a directory of their own.
pub fn app_with_log_dir(dir: impl Into<PathBuf>) -> App {
    App::new().state(LogDir(dir.into())).route(send_data)
}

/// The app, apart from `main` so that the tests can serve it too.
pub fn app() -> App {
    App::new().state(LogDir::from_env()).route(send_data)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    app().run().await
}
