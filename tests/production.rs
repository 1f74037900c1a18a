//! Issue 5, the production middleware set (seed 003): timing, request ids
//! on responses, state and log lines, the API-key gate, the in-memory rate
//! limiter, and proxy headers trusted only from trusted proxies.
//!
//! `TestClient` connects from `127.0.0.1:50000`, which the default proxy
//! settings trust; cases about an untrusted peer trust another address.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::capture_logs;
use framework::middleware::rate_limit::{Hit, RateLimitStatus, StoreError};
use framework::middleware::{MemoryStore, ProxyHeaders, RateLimitStore, StoreFailure};
use framework::prelude::*;
use framework::request::{RequestId, Scheme};
use framework::testing::TestResponse;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Routes shared by the tests
// ---------------------------------------------------------------------------

#[get("/")]
async fn root() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

#[get("/health")]
async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Counts the requests that reached a handler.
#[derive(Default)]
struct Reached(AtomicUsize);

#[get("/items")]
async fn items(reached: State<Reached>) -> Json<Value> {
    let reached = reached.0.fetch_add(1, Ordering::SeqCst) + 1;
    Json(json!({"items": ["Foo", "Bar"], "reached": reached}))
}

/// The client, scheme, URL, request id and rate-limit status as the
/// handler sees them.
#[get("/whoami")]
async fn whoami(request: Request) -> Json<Value> {
    tracing::info!("hello from the handler");
    let status = request.state().get::<RateLimitStatus>();
    Json(json!({
        "client": request.client().map(|c| c.to_string()),
        "scheme": if request.scheme() == Scheme::Https { "https" } else { "http" },
        "url": request.url(),
        "request_id": request.state().get::<RequestId>().map(|id| id.0.to_string()),
        "remaining": status.map(|s| s.remaining),
    }))
}

#[get("/panics")]
async fn panics() -> &'static str {
    panic!("boom")
}

/// A handler whose background task fails, to see the failure logged with
/// the request id.
#[get("/fails-later")]
async fn fails_later(background_tasks: BackgroundTasks) -> &'static str {
    background_tasks.add_task(async { Err::<(), _>("disk full") });
    "accepted"
}

#[get("/warns")]
async fn warns() -> &'static str {
    tracing::warn!("running low");
    "ok"
}

fn header<'a>(response: &'a TestResponse, name: &str) -> Option<&'a str> {
    response.header(name)
}

// ---------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------

#[tokio::test]
async fn timing_is_a_decimal_number_of_seconds_on_every_response() {
    let client = TestClient::new(
        App::new()
            .middleware(TimingMiddleware::new())
            .middleware(
                ApiKeyMiddleware::new(["k"])
                    .exempt("/")
                    .exempt("/panics")
                    .exempt("/missing"),
            )
            .routes((root, panics)),
    );
    for (path, status) in [
        ("/", 200),
        ("/missing", 404),
        ("/panics", 500),
        ("/gated", 401),
    ] {
        let response = client.get(path).send().await;
        assert_eq!(response.status(), status, "{path}");
        let value = header(&response, "x-process-time")
            .unwrap_or_else(|| panic!("{path}: no x-process-time"));
        assert!(
            value.bytes().all(|b| b.is_ascii_digit() || b == b'.'),
            "{path}: {value} is not a plain decimal"
        );
        assert!(
            value.parse::<f64>().is_ok_and(|s| s >= 0.0),
            "{path}: {value}"
        );
    }
}

#[tokio::test]
async fn timing_header_name_is_configurable() {
    let client = TestClient::new(
        App::new()
            .middleware(TimingMiddleware::new().header_name("X-Elapsed"))
            .route(root),
    );
    let response = client.get("/").send().await;
    assert!(header(&response, "x-elapsed").is_some());
    assert!(header(&response, "x-process-time").is_none());
}

// ---------------------------------------------------------------------------
// Request id
// ---------------------------------------------------------------------------

fn is_uuid_v4(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
        && groups[2].starts_with('4')
}

/// An app whose first middleware gives each request its id.
fn with_request_ids() -> App {
    App::new().middleware(RequestIdMiddleware::new())
}

/// `GET path` with the caller's `x-request-id`.
async fn get_with_id(client: &TestClient, path: &str, id: &str) -> TestResponse {
    client.get(path).header("x-request-id", id).send().await
}

#[tokio::test]
async fn request_ids_are_kept_when_well_formed_and_made_otherwise() {
    let client = TestClient::new(with_request_ids().route(whoami));
    let at_limit = "a".repeat(128);
    let over_limit = "a".repeat(129);
    // (incoming x-request-id, kept?)
    let cases: &[(Option<&str>, bool)] = &[
        (None, false),
        (Some("abc-123"), true),
        (Some("0b9f7c1e-4a3d-4c56-9e4b-2f0d8a6c1b23"), true),
        (Some("trace.id_42"), true),
        (Some(&at_limit), true),
        (Some(&over_limit), false),
        (Some(""), false),
        (Some("has space"), false),
        (Some("a;b=c"), false),
        (Some("<script>"), false),
    ];
    for (incoming, kept) in cases {
        let mut request = client.get("/whoami");
        if let Some(id) = incoming {
            request = request.header("x-request-id", id);
        }
        let response = request.send().await;
        assert_eq!(response.status(), 200);
        let id = header(&response, "x-request-id")
            .expect("x-request-id on the response")
            .to_owned();
        if *kept {
            assert_eq!(Some(id.as_str()), *incoming);
        } else {
            assert!(is_uuid_v4(&id), "{incoming:?} gave {id}, not a UUID v4");
        }
        // The handler saw the same id in the request's state.
        let body: Value = response.json();
        assert_eq!(body["request_id"], json!(id), "{incoming:?}");
    }
}

#[tokio::test]
async fn generated_ids_differ_per_request() {
    let client = TestClient::new(with_request_ids().route(root));
    let first = client.get("/").send().await;
    let second = client.get("/").send().await;
    assert_ne!(first.header("x-request-id"), second.header("x-request-id"));
}

#[tokio::test]
async fn request_id_options() {
    let custom = TestClient::new(
        App::new()
            .middleware(
                RequestIdMiddleware::new()
                    .header_name("x-correlation-id")
                    .max_length(4),
            )
            .route(root),
    );
    let response = custom
        .get("/")
        .header("x-correlation-id", "abcd")
        .send()
        .await;
    assert_eq!(response.header("x-correlation-id"), Some("abcd"));
    assert!(response.header("x-request-id").is_none());
    let response = custom
        .get("/")
        .header("x-correlation-id", "abcde")
        .send()
        .await;
    assert!(is_uuid_v4(response.header("x-correlation-id").unwrap()));

    let untrusting = TestClient::new(
        App::new()
            .middleware(RequestIdMiddleware::new().trust_incoming(false))
            .route(root),
    );
    let response = untrusting
        .get("/")
        .header("x-request-id", "abc-123")
        .send()
        .await;
    assert!(is_uuid_v4(response.header("x-request-id").unwrap()));
}

#[tokio::test]
async fn rejections_and_panics_inside_carry_the_request_id() {
    let client = TestClient::new(
        with_request_ids()
            .middleware(ApiKeyMiddleware::new(["k"]).exempt("/panics"))
            .routes((root, panics)),
    );
    for (path, status) in [("/", 401), ("/panics", 500)] {
        let response = get_with_id(&client, path, "req-7").await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(response.header("x-request-id"), Some("req-7"), "{path}");
    }
}

#[tokio::test]
async fn log_lines_of_a_request_carry_its_id() {
    // This test's runtime runs every task on this thread, the handler and
    // the background tasks included, so a thread-local subscriber sees all.
    let (captured, _guard) = capture_logs(tracing::Level::INFO);

    let client = TestClient::new(with_request_ids().routes((whoami, fails_later)));
    get_with_id(&client, "/whoami", "trace-me-1").await;
    get_with_id(&client, "/fails-later", "trace-me-2").await;
    tracing::info!("outside any request");

    let logs = captured.text();
    let line_with = |needle: &str| {
        logs.lines()
            .find(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{logs}"))
            .to_owned()
    };
    assert!(line_with("hello from the handler").contains("request_id=trace-me-1"));
    let failure = line_with("background task failed");
    assert!(
        failure.contains("trace-me-2") && failure.contains("disk full"),
        "{failure}"
    );
    assert!(!line_with("outside any request").contains("request_id"));
}

#[tokio::test]
async fn the_id_stays_on_log_lines_when_only_warnings_are_logged() {
    let (captured, _guard) = capture_logs(tracing::Level::WARN);
    let client = TestClient::new(with_request_ids().route(warns));
    get_with_id(&client, "/warns", "quiet-1").await;
    let logs = captured.text();
    let line = logs.lines().find(|line| line.contains("running low"));
    assert!(
        line.is_some_and(|line| line.contains("request_id=quiet-1")),
        "{logs}"
    );
}

// ---------------------------------------------------------------------------
// API-key gate
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_gate_answers_401_before_any_route_runs() {
    let app = App::new()
        .middleware(
            ApiKeyMiddleware::new(["key-one", "key-two"])
                .exempt("/")
                .exempt("/health")
                .exempt_prefix("/public"),
        )
        .routes((root, health, items));
    let client = TestClient::new(app.state(Reached::default()));
    // (path, x-api-key, status, detail of a 401)
    let cases: &[(&str, Option<&str>, u16, Option<&str>)] = &[
        ("/", None, 200, None),
        ("/health", None, 200, None),
        ("/health/", None, 401, Some("Not authenticated")),
        ("/healthz", None, 401, Some("Not authenticated")),
        ("/public", None, 404, None),
        ("/public/logo.png", None, 404, None),
        ("/publicity", None, 401, Some("Not authenticated")),
        ("/items", None, 401, Some("Not authenticated")),
        ("/items", Some(""), 401, Some("Not authenticated")),
        ("/items", Some("key-on"), 401, Some("Invalid API key")),
        ("/items", Some("key-one "), 401, Some("Invalid API key")),
        ("/items", Some("KEY-ONE"), 401, Some("Invalid API key")),
        ("/items", Some("key-one"), 200, None),
        ("/items", Some("key-two"), 200, None),
        // Unknown paths are hidden behind the gate too.
        ("/nowhere", None, 401, Some("Not authenticated")),
        ("/nowhere", Some("key-one"), 404, None),
    ];
    for (path, key, status, detail) in cases {
        let mut request = client.get(path);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let response = request.send().await;
        assert_eq!(response.status(), *status, "{path} {key:?}");
        if let Some(detail) = detail {
            assert_eq!(
                response.json::<Value>(),
                json!({"detail": detail}),
                "{path} {key:?}"
            );
            assert_eq!(response.header("www-authenticate"), Some("APIKey"));
        }
    }
}

#[tokio::test]
async fn rejected_requests_never_reach_the_handler() {
    let client = TestClient::new(
        App::new()
            .middleware(ApiKeyMiddleware::new(["secret"]).header_name("x-token"))
            .state(Reached::default())
            .route(items),
    );
    // The key in the default header does not count: the gate reads x-token.
    for key in [None, Some("wrong"), Some("secret")] {
        let mut request = client.get("/items");
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        assert_eq!(request.send().await.status(), 401, "{key:?}");
    }
    // The first request to pass is the first to reach the handler.
    let response = client
        .get("/items")
        .header("x-token", "secret")
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>()["reached"], json!(1));
}

#[test]
#[should_panic(expected = "at least one key")]
fn a_gate_without_keys_is_refused_at_start_up() {
    let _ = ApiKeyMiddleware::new(Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// Rate limit, in memory
// ---------------------------------------------------------------------------

fn limits(response: &TestResponse) -> (Option<&str>, Option<&str>, Option<&str>) {
    (
        response.header("ratelimit-limit"),
        response.header("ratelimit-remaining"),
        response.header("ratelimit-reset"),
    )
}

#[tokio::test(start_paused = true)]
async fn the_limit_holds_per_window_and_says_so_in_headers() {
    let client = TestClient::new(
        App::new()
            .middleware(RateLimitMiddleware::new(3, Duration::from_secs(60)))
            .routes((root, whoami)),
    );
    for remaining in ["2", "1", "0"] {
        let response = client.get("/").send().await;
        assert_eq!(response.status(), 200);
        assert_eq!(limits(&response), (Some("3"), Some(remaining), Some("60")));
        assert!(response.header("retry-after").is_none());
    }
    tokio::time::advance(Duration::from_millis(20_500)).await;
    let refused = client.get("/").send().await;
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.json::<Value>(),
        json!({"detail": "Too Many Requests"})
    );
    assert_eq!(refused.header("retry-after"), Some("40"));
    assert_eq!(limits(&refused), (Some("3"), Some("0"), Some("40")));
    // Not found is counted and refused like the rest.
    assert_eq!(client.get("/missing").send().await.status(), 429);

    // The window ends: a new one opens with the next request.
    tokio::time::advance(Duration::from_secs(40)).await;
    let response = client.get("/whoami").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(limits(&response), (Some("3"), Some("2"), Some("60")));
    assert_eq!(response.json::<Value>()["remaining"], json!(2));
}

#[tokio::test]
async fn clients_are_limited_apart_by_their_address() {
    // The default proxy settings trust TestClient's 127.0.0.1, so
    // X-Forwarded-For names the client, as nginx on the same host would.
    let client = TestClient::new(
        App::new()
            .middleware(RateLimitMiddleware::new(2, Duration::from_secs(60)))
            .route(root),
    );
    // (client address, expected status)
    let cases: &[(&str, u16)] = &[
        ("203.0.113.1", 200),
        ("203.0.113.1", 200),
        ("203.0.113.1", 429),
        ("203.0.113.2", 200),
        // One IPv6 host owns its /64: other addresses in it share the limit.
        ("2001:db8::1", 200),
        ("[2001:db8::2]:4711", 200),
        ("2001:db8::ffff", 429),
        ("2001:db8:0:1::1", 200),
    ];
    for (address, status) in cases {
        let response = client
            .get("/")
            .header("x-forwarded-for", address)
            .send()
            .await;
        assert_eq!(response.status(), *status, "{address}");
    }
}

#[tokio::test]
async fn an_untrusted_peer_cannot_dodge_the_limit_with_forwarded_for() {
    let client = TestClient::new(
        App::new()
            .config(|c| c.proxy_headers = ProxyHeaders::new().trust("10.0.0.1"))
            .middleware(RateLimitMiddleware::new(2, Duration::from_secs(60)))
            .route(root),
    );
    let statuses: Vec<u16> = statuses_from(&client, ["1.1.1.1", "2.2.2.2", "3.3.3.3"]).await;
    assert_eq!(statuses, [200, 200, 429]);
}

async fn statuses_from<const N: usize>(client: &TestClient, addresses: [&str; N]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for address in addresses {
        let response = client
            .get("/")
            .header("x-forwarded-for", address)
            .send()
            .await;
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn exempt_paths_and_keyless_requests_are_not_counted() {
    let client = TestClient::new(
        App::new()
            .middleware(
                RateLimitMiddleware::new(1, Duration::from_secs(60))
                    .key(|request| request.header("x-api-key").map(|key| format!("key:{key}")))
                    .exempt("/health"),
            )
            .routes((root, health)),
    );
    for _ in 0..3 {
        let response = client.get("/health").header("x-api-key", "a").send().await;
        assert_eq!(response.status(), 200);
        assert_eq!(limits(&response), (None, None, None));
        let keyless = client.get("/").send().await;
        assert_eq!(keyless.status(), 200);
        assert_eq!(limits(&keyless), (None, None, None));
    }
    let mut statuses = Vec::new();
    for key in ["a", "a", "b"] {
        let response = client.get("/").header("x-api-key", key).send().await;
        statuses.push(response.status());
    }
    assert_eq!(statuses, [200, 429, 200]);
}

/// A store that always fails, as Redis does when it is down.
struct BrokenStore;

impl RateLimitStore for BrokenStore {
    async fn hit(&self, _key: &str, _window: Duration) -> Result<Hit, StoreError> {
        Err(StoreError::new("connection refused"))
    }
}

#[tokio::test]
async fn a_failing_store_fails_open_by_default_or_closed_on_request() {
    let open = TestClient::new(
        App::new()
            .middleware(RateLimitMiddleware::new(1, Duration::from_secs(60)).store(BrokenStore))
            .route(root),
    );
    for _ in 0..3 {
        let response = open.get("/").send().await;
        assert_eq!(response.status(), 200);
        assert_eq!(limits(&response), (None, None, None));
    }
    let closed = TestClient::new(
        App::new()
            .middleware(
                RateLimitMiddleware::new(1, Duration::from_secs(60))
                    .store(BrokenStore)
                    .on_store_failure(StoreFailure::FailClosed),
            )
            .route(root),
    );
    let response = closed.get("/").send().await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.json::<Value>(),
        json!({"detail": "Service Unavailable"})
    );
    assert_eq!(response.header("retry-after"), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_memory_store_counts_exactly_under_concurrency() {
    let store = MemoryStore::new();
    let tasks: Vec<_> = (0..400)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .hit("same-client", Duration::from_secs(60))
                    .await
                    .unwrap()
                    .count
            })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=400).collect::<Vec<u64>>());
}

#[tokio::test(start_paused = true)]
async fn the_memory_store_drops_ended_windows_and_caps_its_keys() {
    // Ended windows go as new requests arrive, with no cap needed.
    let store = MemoryStore::new();
    for i in 0..1000 {
        store
            .hit(&format!("client-{i}"), Duration::from_secs(1))
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    assert!(store.len() <= 16, "{} windows held", store.len());
    let again = store.hit("client-0", Duration::from_secs(1)).await.unwrap();
    assert_eq!(again.count, 1);

    // Open windows past the cap make room by dropping the oldest.
    let capped = MemoryStore::with_max_keys(64);
    for i in 0..10_000 {
        capped
            .hit(&format!("client-{i}"), Duration::from_secs(3600))
            .await
            .unwrap();
    }
    assert!(
        capped.len() <= capped.max_keys(),
        "{} > {}",
        capped.len(),
        capped.max_keys()
    );
    assert_eq!(capped.max_keys(), 64);
    // The newest client is still counted.
    assert_eq!(
        capped
            .hit("client-9999", Duration::from_secs(3600))
            .await
            .unwrap()
            .count,
        2
    );
}

// ---------------------------------------------------------------------------
// Proxy headers
// ---------------------------------------------------------------------------

struct ProxyCase {
    /// `None`: the default settings.
    settings: Option<ProxyHeaders>,
    headers: &'static [(&'static str, &'static str)],
    client: &'static str,
    scheme: &'static str,
}

#[tokio::test]
async fn forwarded_headers_are_believed_only_from_trusted_proxies() {
    let case = |settings: Option<ProxyHeaders>, headers, client, scheme| ProxyCase {
        settings,
        headers,
        client,
        scheme,
    };
    let untrusting = || Some(ProxyHeaders::new().trust("10.0.0.1"));
    let cases = [
        case(None, &[], "127.0.0.1:50000", "http"),
        case(
            None,
            &[("x-forwarded-for", "203.0.113.7")],
            "203.0.113.7:0",
            "http",
        ),
        case(
            None,
            &[("x-forwarded-for", "203.0.113.7:8080")],
            "203.0.113.7:8080",
            "http",
        ),
        case(
            None,
            &[("x-forwarded-for", "[2001:db8::1]:4711")],
            "[2001:db8::1]:4711",
            "http",
        ),
        // The rightmost untrusted entry: what the trusted proxy saw.
        case(
            None,
            &[("x-forwarded-for", "6.6.6.6, 203.0.113.7")],
            "203.0.113.7:0",
            "http",
        ),
        case(
            None,
            &[("x-forwarded-for", "203.0.113.7, 127.0.0.1")],
            "203.0.113.7:0",
            "http",
        ),
        // All trusted: the leftmost.
        case(
            None,
            &[("x-forwarded-for", "127.0.0.1, ::1")],
            "127.0.0.1:0",
            "http",
        ),
        // Several headers are one list.
        case(
            None,
            &[
                ("x-forwarded-for", "6.6.6.6"),
                ("x-forwarded-for", "203.0.113.7"),
            ],
            "203.0.113.7:0",
            "http",
        ),
        // Not an address: the client stays the peer.
        case(
            None,
            &[("x-forwarded-for", "unknown")],
            "127.0.0.1:50000",
            "http",
        ),
        case(None, &[("x-forwarded-for", "")], "127.0.0.1:50000", "http"),
        case(
            None,
            &[("x-forwarded-proto", "https")],
            "127.0.0.1:50000",
            "https",
        ),
        case(
            None,
            &[("x-forwarded-proto", " wss ")],
            "127.0.0.1:50000",
            "https",
        ),
        case(
            None,
            &[("x-forwarded-proto", "HTTPS")],
            "127.0.0.1:50000",
            "http",
        ),
        case(
            None,
            &[("x-forwarded-proto", "https, http")],
            "127.0.0.1:50000",
            "http",
        ),
        case(
            None,
            &[("x-forwarded-proto", "ftp")],
            "127.0.0.1:50000",
            "http",
        ),
        // The last X-Forwarded-Proto wins.
        case(
            None,
            &[
                ("x-forwarded-proto", "http"),
                ("x-forwarded-proto", "https"),
            ],
            "127.0.0.1:50000",
            "https",
        ),
        // An untrusted peer changes nothing.
        case(
            untrusting(),
            &[
                ("x-forwarded-for", "203.0.113.7"),
                ("x-forwarded-proto", "https"),
            ],
            "127.0.0.1:50000",
            "http",
        ),
        // Turned off, nothing either.
        case(
            Some(ProxyHeaders::disabled()),
            &[
                ("x-forwarded-for", "203.0.113.7"),
                ("x-forwarded-proto", "https"),
            ],
            "127.0.0.1:50000",
            "http",
        ),
        // A network of proxies: the client is past all of them.
        case(
            Some(ProxyHeaders::new().trust("127.0.0.1, 10.0.0.0/8")),
            &[(
                "x-forwarded-for",
                "6.6.6.6, 203.0.113.7, 10.1.2.3, 10.9.8.7",
            )],
            "203.0.113.7:0",
            "http",
        ),
        // `*` trusts everyone, so the leftmost entry is the client.
        case(
            Some(ProxyHeaders::new().trust("*")),
            &[("x-forwarded-for", "6.6.6.6, 203.0.113.7")],
            "6.6.6.6:0",
            "http",
        ),
    ];
    for ProxyCase {
        settings,
        headers,
        client: expected_client,
        scheme,
    } in cases
    {
        let mut app = App::new().route(whoami);
        if let Some(settings) = settings.clone() {
            app = app.config(|c| c.proxy_headers = settings);
        }
        let client = TestClient::new(app);
        let mut request = client.get("/whoami");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let body: Value = request.send().await.json();
        assert_eq!(
            body["client"],
            json!(expected_client),
            "{settings:?} {headers:?}"
        );
        assert_eq!(body["scheme"], json!(scheme), "{settings:?} {headers:?}");
        assert_eq!(body["url"], json!(format!("{scheme}://testserver/whoami")));
    }
}

#[tokio::test]
async fn middleware_sees_the_forwarded_client() {
    // Applied before the onion: the first middleware already sees it.
    struct SeeClient;
    impl Middleware for SeeClient {
        async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
            let seen = request
                .client()
                .map(|c| c.ip().to_string())
                .unwrap_or_default();
            let mut response = call_next.run(request).await;
            response.set_header("x-seen-client", seen);
            response
        }
    }
    let client = TestClient::new(App::new().middleware(SeeClient).route(root));
    let response = client
        .get("/")
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await;
    assert_eq!(response.header("x-seen-client"), Some("203.0.113.7"));
}
