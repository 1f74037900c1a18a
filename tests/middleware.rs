//! Issue 3, middleware: the three styles share one onion in the order
//! registered, run for every answer (404, 405, 422, 500 included), never
//! buffer a streaming body, leave the request body for the handler, turn
//! panics and errors into answers the outer layers still see, can be
//! attached to one router, and hand values to handlers through
//! `request.state_mut()`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{assert_onion_order, guard, header, serve, ChunkSource, ChunkStream, RawClient};
use framework::prelude::*;
use framework::{Body, HeaderMap, HttpError};
use http_body_util::BodyExt;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Appends `value` to a comma-separated header, so each layer can leave a
/// mark on the request going in and on the response going out.
fn mark(headers: &mut HeaderMap, name: &'static str, value: &str) {
    let joined = match headers.get(name).and_then(|v| v.to_str().ok()) {
        Some(before) => format!("{before},{value}"),
        None => value.to_owned(),
    };
    headers.insert(name, joined.parse().unwrap());
}

// ---------------------------------------------------------------------------
// The three styles, in the order registered
// ---------------------------------------------------------------------------

#[middleware("http")]
async fn function_layer(mut request: Request, call_next: Next) -> Response {
    mark(request.headers_mut(), "x-in", "function");
    let mut response = call_next(request).await;
    mark(response.headers_mut(), "x-out", "function");
    response
}

/// A class-style middleware carrying its own configuration (its name).
struct ClassLayer {
    name: &'static str,
}

impl Middleware for ClassLayer {
    async fn dispatch(&self, mut request: Request, call_next: Next<'_>) -> Response {
        mark(request.headers_mut(), "x-in", self.name);
        let mut response = call_next.run(request).await;
        mark(response.headers_mut(), "x-out", self.name);
        response
    }
}

/// A streaming-level middleware: marks the head like the others and wraps
/// the body to see each chunk as it passes.
struct ChunkSpy {
    seen: Arc<Mutex<Vec<Bytes>>>,
}

impl Middleware for ChunkSpy {
    async fn dispatch(&self, mut request: Request, call_next: Next<'_>) -> Response {
        mark(request.headers_mut(), "x-in", "streaming");
        let mut response = call_next.run(request).await;
        mark(response.headers_mut(), "x-out", "streaming");
        let seen = self.seen.clone();
        response.map_body(move |body| {
            Body::new(body.map_frame(move |frame| {
                if let Some(data) = frame.data_ref() {
                    seen.lock().unwrap().push(data.clone());
                }
                frame
            }))
        })
    }
}

#[get("/trace")]
async fn trace(request: &Request) -> String {
    request.header("x-in").unwrap_or("").to_owned()
}

#[tokio::test]
async fn three_styles_run_in_the_order_registered_first_is_outermost() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = App::new()
        .middleware(function_layer)
        .middleware(ClassLayer { name: "class" })
        .streaming_middleware(ChunkSpy { seen: seen.clone() })
        .route(trace);
    assert_onion_order(
        &app.describe_middleware(),
        &["function_layer", "ClassLayer", "ChunkSpy"],
    );

    let client = TestClient::new(app);
    let response = client.get("/trace").send().await;
    assert_eq!(response.status(), 200);
    // In: first registered first. Out: first registered last.
    assert_eq!(response.text(), "function,class,streaming");
    assert_eq!(response.header("x-out"), Some("streaming,class,function"));
    // The streaming layer saw the body go by.
    let seen: Vec<Bytes> = seen.lock().unwrap().clone();
    assert_eq!(seen.concat(), b"function,class,streaming");
}

#[tokio::test]
async fn the_same_order_holds_with_the_styles_registered_the_other_way_round() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = TestClient::new(
        App::new()
            .streaming_middleware(ChunkSpy { seen })
            .middleware(ClassLayer { name: "class" })
            .middleware(function_layer)
            .route(trace),
    );
    let response = client.get("/trace").send().await;
    assert_eq!(response.text(), "streaming,class,function");
    assert_eq!(response.header("x-out"), Some("function,class,streaming"));
}

// ---------------------------------------------------------------------------
// Global: every answer passes through the middleware
// ---------------------------------------------------------------------------

#[middleware("http")]
async fn add_process_time_header(request: Request, call_next: Next) -> Response {
    let start = std::time::Instant::now();
    let mut response = call_next(request).await;
    response.set_header("x-process-time", start.elapsed().as_secs_f64().to_string());
    response
}

#[get("/items")]
async fn list_items() -> Json<Value> {
    Json(json!({"items": []}))
}

#[get("/number")]
async fn number(n: i32) -> Json<Value> {
    Json(json!({"n": n}))
}

#[get("/panic")]
async fn panics() -> &'static str {
    panic!("handler failed")
}

#[get("/fails")]
async fn fails() -> Result<&'static str, HttpError> {
    Err(HttpError::new(418, "I'm a teapot"))
}

#[depends]
async fn exploding_dependency() -> u32 {
    panic!("dependency failed")
}

#[get("/dependency-panics")]
async fn dependency_panics(value: Depends<exploding_dependency>) -> String {
    value.to_string()
}

fn timed_app() -> App {
    App::new().middleware(add_process_time_header).routes((
        list_items,
        number,
        panics,
        fails,
        dependency_panics,
    ))
}

#[tokio::test]
async fn middleware_runs_for_every_answer_404_405_422_500_included() {
    let client = TestClient::new(timed_app());

    let ok = client.get("/items").send().await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>(), json!({"items": []}));

    let not_found = client.get("/nope").send().await;
    assert_eq!(not_found.status(), 404);
    assert_eq!(not_found.json::<Value>(), json!({"detail": "Not Found"}));

    let not_allowed = client.post("/items").send().await;
    assert_eq!(not_allowed.status(), 405);
    assert_eq!(
        not_allowed.json::<Value>(),
        json!({"detail": "Method Not Allowed"})
    );
    assert_eq!(not_allowed.header("allow"), Some("GET, HEAD"));

    let invalid = client.get("/number?n=abc").send().await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(
        invalid.json::<Value>()["detail"][0]["loc"],
        json!(["query", "n"])
    );

    let panicked = client.get("/panic").send().await;
    assert_eq!(panicked.status(), 500);
    assert_eq!(panicked.text(), "Internal Server Error");

    let error = client.get("/fails").send().await;
    assert_eq!(error.status(), 418);
    assert_eq!(error.json::<Value>(), json!({"detail": "I'm a teapot"}));

    for response in [&ok, &not_found, &not_allowed, &invalid, &panicked, &error] {
        let time = response
            .header("x-process-time")
            .expect("the timing header is on every answer");
        assert!(time.parse::<f64>().is_ok(), "{time}");
    }
}

#[tokio::test]
async fn a_panicking_dependency_is_a_500_the_middleware_still_sees() {
    let client = TestClient::new(timed_app());
    let response = client.get("/dependency-panics").send().await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.text(), "Internal Server Error");
    assert!(response.header("x-process-time").is_some());
    // The server keeps serving.
    assert_eq!(client.get("/items").send().await.status(), 200);
}

#[tokio::test]
async fn with_no_middleware_at_all_a_panicking_dependency_is_still_a_500() {
    let client = TestClient::new(App::new().route(dependency_panics));
    let response = client.get("/dependency-panics").send().await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.text(), "Internal Server Error");
}

// ---------------------------------------------------------------------------
// No buffering: chunks stream through every layer over a real socket
// ---------------------------------------------------------------------------

#[get("/stream")]
async fn stream(chunks: State<ChunkSource>) -> Streaming<ChunkStream> {
    Streaming::new(chunks.stream())
}

#[tokio::test]
async fn a_streaming_body_is_not_buffered_by_three_middlewares() {
    let (chunks, source) = ChunkSource::channel();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = App::new()
        .middleware(function_layer)
        .middleware(ClassLayer { name: "class" })
        .streaming_middleware(ChunkSpy { seen: seen.clone() })
        .state(source)
        .route(stream);
    let server = serve(app).await;

    let mut client = RawClient::connect(server.addr).await;
    client
        .send("GET /stream HTTP/1.1\r\nhost: test\r\n\r\n")
        .await;
    // The head arrives before the handler has produced any chunk.
    let (status, headers) = guard("the response head", client.head()).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "transfer-encoding"), Some("chunked"));
    assert_eq!(header(&headers, "x-out"), Some("streaming,class,function"));

    // Chunk 2 is produced only once the client has read chunk 1: a layer
    // that buffered would wait for the end forever, and the guard would fail.
    chunks.send(Bytes::from_static(b"first")).unwrap();
    assert_eq!(
        guard("chunk 1", client.chunk()).await.as_deref(),
        Some(&b"first"[..])
    );
    chunks.send(Bytes::from_static(b"second")).unwrap();
    assert_eq!(
        guard("chunk 2", client.chunk()).await.as_deref(),
        Some(&b"second"[..])
    );
    drop(chunks);
    assert_eq!(guard("the end of the body", client.chunk()).await, None);

    let seen: Vec<Bytes> = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![Bytes::from_static(b"first"), Bytes::from_static(b"second")]
    );
    drop(client);
    server.shut_down().await.unwrap();
}

// ---------------------------------------------------------------------------
// The body survives the middleware
// ---------------------------------------------------------------------------

#[middleware("http")]
async fn body_reader(mut request: Request, call_next: Next) -> Response {
    let body = request.body().await.unwrap();
    let parsed: Option<Value> = request.json().await.ok();
    if request.path() == "/replace" {
        request.set_body(r#"{"replaced":true}"#);
    }
    let mut response = call_next(request).await;
    response.set_header("x-body-length", body.len().to_string());
    response.set_header("x-body-was-json", parsed.is_some().to_string());
    response
}

/// Reads the body too, from a class-style layer inside the function one.
struct BodyPeek;

impl Middleware for BodyPeek {
    async fn dispatch(&self, mut request: Request, call_next: Next<'_>) -> Response {
        let body = request.body().await.unwrap();
        let mut response = call_next.run(request).await;
        response.set_header("x-peeked", String::from_utf8_lossy(&body).into_owned());
        response
    }
}

#[post("/echo")]
async fn echo(item: Json<Value>) -> Json<Value> {
    item
}

#[post("/replace")]
async fn replaced(item: Json<Value>) -> Json<Value> {
    item
}

#[post("/raw")]
async fn raw(body: Bytes) -> String {
    String::from_utf8_lossy(&body).into_owned()
}

#[tokio::test]
async fn a_middleware_that_reads_the_body_leaves_it_for_the_handler() {
    let client = TestClient::new(
        App::new()
            .middleware(body_reader)
            .middleware(BodyPeek)
            .routes((echo, replaced, raw)),
    );
    let response = client
        .post("/echo")
        .json(&json!({"name": "Foo", "price": 3}))
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>(), json!({"name": "Foo", "price": 3}));
    assert_eq!(response.header("x-body-length"), Some("24"));
    assert_eq!(response.header("x-body-was-json"), Some("true"));
    assert_eq!(
        response.header("x-peeked"),
        Some(r#"{"name":"Foo","price":3}"#)
    );

    let response = client.post("/raw").body("plain bytes").send().await;
    assert_eq!(response.text(), "plain bytes");
    assert_eq!(response.header("x-body-was-json"), Some("false"));
    assert_eq!(response.header("x-peeked"), Some("plain bytes"));
}

#[tokio::test]
async fn a_middleware_may_replace_the_body() {
    let client = TestClient::new(
        App::new()
            .middleware(body_reader)
            .middleware(BodyPeek)
            .route(replaced),
    );
    let response = client
        .post("/replace")
        .json(&json!({"original": 1}))
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>(), json!({"replaced": true}));
    // The inner layer saw the replacement too; the outer one the original.
    assert_eq!(response.header("x-peeked"), Some(r#"{"replaced":true}"#));
    assert_eq!(response.header("x-body-length"), Some("14"));
}

#[tokio::test]
async fn the_body_survives_the_middleware_over_a_real_socket() {
    let server = serve(
        App::new()
            .middleware(body_reader)
            .middleware(BodyPeek)
            .route(echo),
    )
    .await;
    let mut client = RawClient::connect(server.addr).await;
    let body = r#"{"a":[1,2,3]}"#;
    client
        .send(&format!(
            "POST /echo HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ))
        .await;
    let (status, headers) = guard("the response", client.head()).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-body-length"), Some("13"));
    let length: usize = header(&headers, "content-length").unwrap().parse().unwrap();
    assert_eq!(client.exact(length).await, body.as_bytes());
    drop(client);
    server.shut_down().await.unwrap();
}

// ---------------------------------------------------------------------------
// Errors and short-circuits
// ---------------------------------------------------------------------------

/// A class-style layer that panics on the way in.
struct Exploding;

impl Middleware for Exploding {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        if request.path() == "/items" {
            panic!("middleware failed");
        }
        call_next.run(request).await
    }
}

#[tokio::test]
async fn a_panic_in_a_middleware_is_a_500_the_outer_middleware_sees() {
    let client = TestClient::new(
        App::new()
            .middleware(add_process_time_header)
            .middleware(Exploding)
            .routes((list_items, number)),
    );
    let response = client.get("/items").send().await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.text(), "Internal Server Error");
    assert!(response.header("x-process-time").is_some());
    // The server keeps serving.
    let response = client.get("/number?n=3").send().await;
    assert_eq!(response.json::<Value>(), json!({"n": 3}));
}

#[tokio::test]
async fn a_panic_in_the_outermost_middleware_is_still_a_500() {
    let client = TestClient::new(App::new().middleware(Exploding).route(list_items));
    let response = client.get("/items").send().await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.text(), "Internal Server Error");
}

#[middleware("http")]
async fn require_key(request: Request, call_next: Next) -> Result<Response, HttpError> {
    match request.header("x-key") {
        None => Err(HttpError::new(403, "Forbidden").header("x-reason", "no key")),
        Some("good") => Ok(call_next(request).await),
        Some(_) => {
            let key: u32 = request
                .header("x-key")
                .unwrap_or("")
                .parse()
                .map_err(|_| HttpError::new(400, "Bad key"))?;
            Ok(call_next(request).await).map(|mut r: Response| {
                r.set_header("x-numeric-key", key.to_string());
                r
            })
        }
    }
}

#[tokio::test]
async fn an_http_error_returned_by_a_function_middleware_answers_with_its_status() {
    let client = TestClient::new(
        App::new()
            .middleware(add_process_time_header)
            .middleware(require_key)
            .route(list_items),
    );
    let response = client.get("/items").send().await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.json::<Value>(), json!({"detail": "Forbidden"}));
    assert_eq!(response.header("x-reason"), Some("no key"));
    assert!(response.header("x-process-time").is_some());

    let response = client
        .get("/items")
        .header("x-key", "not a number")
        .send()
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>(), json!({"detail": "Bad key"}));

    let response = client.get("/items").header("x-key", "7").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("x-numeric-key"), Some("7"));

    let response = client.get("/items").header("x-key", "good").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>(), json!({"items": []}));
}

/// Counts the handler's runs, to show a short-circuit never reaches it.
struct Calls(AtomicUsize);

#[middleware("http")]
async fn api_key_gate(request: Request, call_next: Next) -> Response {
    if request.header("x-api-key") != Some("secret") {
        let mut response = Json(json!({"detail": "Invalid or missing API key"})).into_response();
        response.set_status(StatusCode::UNAUTHORIZED);
        return response;
    }
    call_next(request).await
}

#[get("/counted")]
async fn counted(calls: State<Calls>) -> String {
    (calls.0.fetch_add(1, Ordering::SeqCst) + 1).to_string()
}

#[tokio::test]
async fn a_middleware_may_answer_without_calling_call_next() {
    let client = TestClient::new(
        App::new()
            .middleware(add_process_time_header)
            .middleware(api_key_gate)
            .state(Calls(AtomicUsize::new(0)))
            .route(counted),
    );
    let response = client.get("/counted").send().await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>(),
        json!({"detail": "Invalid or missing API key"})
    );
    assert!(response.header("x-process-time").is_some());
    let response = client
        .get("/counted")
        .header("x-api-key", "secret")
        .send()
        .await;
    assert_eq!(response.status(), 200);
    // The handler ran once: for the second request only.
    assert_eq!(response.text(), "1");
}

// ---------------------------------------------------------------------------
// Per-router middleware
// ---------------------------------------------------------------------------

#[get("/dashboard")]
async fn dashboard(request: &Request) -> String {
    request.header("x-in").unwrap_or("").to_owned()
}

#[get("/public")]
async fn public(request: &Request) -> String {
    request.header("x-in").unwrap_or("").to_owned()
}

#[tokio::test]
async fn router_middleware_applies_to_its_routes_only_inside_the_global_onion() {
    let admin = Router::new()
        .prefix("/admin")
        .middleware(ClassLayer { name: "admin" })
        .route(dashboard);
    let client = TestClient::new(
        App::new()
            .middleware(function_layer)
            .include_router(admin)
            .route(public),
    );
    let response = client.get("/admin/dashboard").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "function,admin");
    assert_eq!(response.header("x-out"), Some("admin,function"));

    let response = client.get("/public").send().await;
    assert_eq!(response.text(), "function");
    assert_eq!(response.header("x-out"), Some("function"));

    // A 404 under the prefix never reached a router: only the global layer.
    let response = client.get("/admin/missing").send().await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.header("x-out"), Some("function"));
}

// ---------------------------------------------------------------------------
// request.state: from middleware to handler
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
struct User {
    name: String,
}

#[middleware("http")]
async fn authenticate(mut request: Request, call_next: Next) -> Response {
    if let Some(name) = request.header("x-user").map(str::to_owned) {
        request.state_mut().insert(User { name });
    }
    call_next(request).await
}

#[get("/me")]
async fn me(request: Request) -> Json<Value> {
    let user = request.state().get::<User>().map(|u| u.name.clone());
    Json(json!({"user": user}))
}

#[get("/me-borrowed")]
async fn me_borrowed(request: &Request, q: Option<String>) -> Json<Value> {
    let user = request.state().get::<User>().map(|u| u.name.clone());
    Json(json!({"user": user, "q": q}))
}

#[tokio::test]
async fn state_set_by_middleware_is_visible_to_the_handler() {
    let client = TestClient::new(
        App::new()
            .middleware(authenticate)
            .routes((me, me_borrowed)),
    );
    let response = client.get("/me").header("x-user", "alice").send().await;
    assert_eq!(response.json::<Value>(), json!({"user": "alice"}));
    let response = client.get("/me").send().await;
    assert_eq!(response.json::<Value>(), json!({"user": null}));
    let response = client
        .get("/me-borrowed?q=x")
        .header("x-user", "bob")
        .send()
        .await;
    assert_eq!(response.json::<Value>(), json!({"user": "bob", "q": "x"}));
}
