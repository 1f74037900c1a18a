//! The middleware and background-task examples answer as their FastAPI
//! originals do (checked against FastAPI 0.12x with its TestClient), and
//! write the same `log.txt`.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/timing_class.rs"]
mod timing_class;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/custom_header.rs"]
mod custom_header;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/middleware_order.rs"]
mod middleware_order;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/logging.rs"]
mod logging;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/background_tasks.rs"]
mod background_tasks;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/upload.rs"]
mod upload;

mod common;

use std::path::{Path, PathBuf};

// The `send_data` example, which `custom_header` includes for its route
// (a file may be loaded as a module only once).
use custom_header::send_data;

use common::assert_onion_order;
use framework::testing::TestResponse;
use framework::TestClient;
use serde_json::{json, Value};

/// A fresh directory of this test's own for `log.txt`, removed when dropped.
struct LogDir(PathBuf);

impl LogDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("framework-examples-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        LogDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// What `log.txt` holds (TestClient has waited for the tasks).
    fn log(&self) -> String {
        std::fs::read_to_string(self.0.join("log.txt")).unwrap_or_default()
    }
}

impl Drop for LogDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn process_time(response: &TestResponse) -> f64 {
    let value = response
        .header("x-process-time")
        .expect("an x-process-time header");
    value
        .parse()
        .unwrap_or_else(|_| panic!("x-process-time {value} is not seconds"))
}

// ---------------------------------------------------------------------------
// timing_class (seed 000)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn timing_class_times_every_answer_and_searches_through_a_dependency() {
    let client = TestClient::new(timing_class::app());
    let response = client.get("/items").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.text(), r#"{"items":[]}"#);
    assert!(process_time(&response) >= 0.0);

    let response = client.get("/search").send().await;
    assert_eq!(response.text(), r#"{"search":""}"#);
    assert!(process_time(&response) >= 0.0);
    let response = client.get("/search").query("q", "rust web").send().await;
    assert_eq!(response.text(), r#"{"search":"rust web"}"#);

    let response = client.get("/nope").send().await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.text(), r#"{"detail":"Not Found"}"#);
    assert!(process_time(&response) >= 0.0);
}

// ---------------------------------------------------------------------------
// custom_header and send_data (seed 002)
// ---------------------------------------------------------------------------

/// What `POST /send-data/` answers at once.
const DATA_RECEIVED: &str = r#"{"message":"Data received. Logging in background."}"#;

/// Sends the seed's `{"a": 1}` to `POST /send-data/`.
async fn send_a_1(client: &TestClient) -> TestResponse {
    client
        .post("/send-data/")
        .json(&json!({"a": 1}))
        .send()
        .await
}

#[tokio::test]
async fn custom_header_adds_its_header_and_logs_the_data_in_the_background() {
    let dir = LogDir::new("custom_header");
    let client = TestClient::new(custom_header::app_with_log_dir(dir.path()));
    let response = send_a_1(&client).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.header("x-custom-header"),
        Some("Hello from Middleware")
    );
    assert_eq!(response.text(), DATA_RECEIVED);
    assert_eq!(dir.log(), "Received: {'a': 1}\n");

    // Every answer carries the header, errors included.
    for (path, status) in [("/nope", 404), ("/send-data/", 405)] {
        let response = client.get(path).send().await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            response.header("x-custom-header"),
            Some("Hello from Middleware"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn send_data_logs_the_object_as_python_prints_a_dict() {
    let dir = LogDir::new("send_data");
    let client = TestClient::new(send_data::app_with_log_dir(dir.path()));
    let response = send_a_1(&client).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), DATA_RECEIVED);
    assert_eq!(response.header("x-custom-header"), None);

    let tricky =
        r#"{"a": 1, "b": "x'y", "c": [true, null, 1.5, 1e20, {"d": "é\n"}], "e": "it\"s"}"#;
    let response = client
        .post("/send-data/")
        .header("content-type", "application/json")
        .body(tricky)
        .send()
        .await;
    assert_eq!(response.status(), 200);
    // Byte for byte what FastAPI's `f"Received: {data}"` writes.
    assert_eq!(
        dir.log(),
        "Received: {'a': 1}\n\
         Received: {'a': 1, 'b': \"x'y\", 'c': [True, None, 1.5, 1e+20, {'d': 'é\\n'}], 'e': 'it\"s'}\n"
    );
}

#[test]
fn python_repr_of_json_values() {
    let cases = [
        (json!(null), "None"),
        (json!(false), "False"),
        (json!(-7), "-7"),
        (json!(18446744073709551615u64), "18446744073709551615"),
        (json!(1.0), "1.0"),
        (json!(0.1), "0.1"),
        (json!(1e15), "1000000000000000.0"),
        (json!(1e16), "1e+16"),
        (json!(0.0001), "0.0001"),
        (json!(0.00001), "1e-05"),
        (json!(-2.5e-7), "-2.5e-07"),
        (json!(""), "''"),
        (json!("tab\there \\ \u{7}"), r"'tab\there \\ \x07'"),
        (json!("both ' and \""), r#"'both \' and "'"#),
        (json!("日本 \u{a0}"), r"'日本 \xa0'"),
        (json!([]), "[]"),
        (json!({}), "{}"),
        (json!({"k": {"n": [1, "2"]}}), "{'k': {'n': [1, '2']}}"),
    ];
    for (value, expected) in cases {
        assert_eq!(send_data::py_repr(&value), expected, "{value}");
    }
}

#[tokio::test]
async fn send_data_refuses_anything_but_an_object_as_fastapi_does() {
    let dir = LogDir::new("send_data_refuses");
    let client = TestClient::new(send_data::app_with_log_dir(dir.path()));
    let response = client.post("/send-data/").json(&json!([1, 2])).send().await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.json::<Value>(),
        json!({"detail": [{"type": "dict_type", "loc": ["body"], "msg": "Input should be a valid dictionary", "input": [1, 2]}]})
    );
    let response = client.post("/send-data/").send().await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]})
    );
    assert_eq!(dir.log(), "");
}

// ---------------------------------------------------------------------------
// middleware_order (seeds 003, 004)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn middleware_order_draws_the_onion_first_registered_outermost() {
    let client = TestClient::new(middleware_order::app());
    let response = client.get("/").header("x-api-key", "secret").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.header("x-middleware-order"),
        Some("timing(request_id(authentication(route)))")
    );
    assert!(process_time(&response) >= 0.0);
    let id = response
        .header("x-request-id")
        .expect("a request id")
        .to_owned();
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(
        response.json::<Value>(),
        json!({"message": "Hello World", "request_id": id})
    );

    // The caller's id is kept.
    let response = client
        .get("/items")
        .header("x-api-key", "secret")
        .header("x-request-id", "abc-123")
        .send()
        .await;
    assert_eq!(response.text(), r#"{"items":[]}"#);
    assert_eq!(response.header("x-request-id"), Some("abc-123"));

    // Authentication, innermost, answers by itself; the outer layers still
    // time it and give it an id.
    let response = client.get("/").send().await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>(),
        json!({"detail": "Invalid or missing API key"})
    );
    assert_eq!(
        response.header("x-middleware-order"),
        Some("timing(request_id(authentication))")
    );
    assert!(response.header("x-request-id").is_some());
    assert!(process_time(&response) >= 0.0);

    assert_onion_order(
        &middleware_order::app().describe_middleware(),
        &["timing", "RequestIdLayer", "Authentication"],
    );
}

// ---------------------------------------------------------------------------
// logging (seed 004)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn logging_lets_every_request_through() {
    let client = TestClient::new(logging::app());
    let response = client.get("/").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), r#"{"message":"Hello"}"#);
    let response = client.get("/nope").send().await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.text(), r#"{"detail":"Not Found"}"#);
}

// ---------------------------------------------------------------------------
// background_tasks (seed 001)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn background_tasks_logs_the_query_then_the_message() {
    let dir = LogDir::new("background_tasks");
    let client = TestClient::new(background_tasks::app_with_log_dir(dir.path()));
    let response = client
        .post("/send-notification/foo@example.com?q=bar")
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.text(), r#"{"message":"Message sent"}"#);
    assert_eq!(dir.log(), "found query: bar\nmessage to foo@example.com\n");

    // No `q`, or an empty one (falsy in Python): only the message.
    client.post("/send-notification/a@b.c").send().await;
    client.post("/send-notification/d@e.f?q=").send().await;
    assert_eq!(
        dir.log(),
        "found query: bar\nmessage to foo@example.com\nmessage to a@b.c\nmessage to d@e.f\n"
    );

    let response = client
        .get("/send-notification/foo@example.com")
        .send()
        .await;
    assert_eq!(response.status(), 405);
}

// ---------------------------------------------------------------------------
// upload (seed 002)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn upload_answers_at_once_and_counts_the_bytes_in_the_background() {
    let dir = LogDir::new("upload");
    let client = TestClient::new(upload::app_with_log_dir(dir.path()));
    let response = client.post("/upload/").body(vec![0u8; 1024]).send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text(),
        r#"{"status":"File received, processing in background"}"#
    );
    let response = client.post("/upload/").body("abc").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(dir.log(), "processed 1024 bytes\nprocessed 3 bytes\n");
}
