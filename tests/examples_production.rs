//! The production examples (seed 003), served through `TestClient`: each
//! does what its opening comment says.

use framework::prelude::*;
use serde_json::{json, Value};

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/request_id.rs"]
mod request_id;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/auth_gate.rs"]
mod auth_gate;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/rate_limit.rs"]
mod rate_limit;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/production.rs"]
mod production;

fn hello() -> Value {
    json!({"message": "Hello World"})
}

#[tokio::test]
async fn request_id_example() {
    let client = TestClient::new(request_id::app());
    let response = client.get("/").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>(), hello());
    assert_eq!(response.header("x-request-id").map(str::len), Some(36));
    assert!(response.header("x-process-time").is_some());

    let response = client
        .get("/whoami")
        .header("x-request-id", "abc-123")
        .send()
        .await;
    assert_eq!(response.header("x-request-id"), Some("abc-123"));
    assert_eq!(response.json::<Value>(), json!({"request_id": "abc-123"}));
}

#[tokio::test]
async fn auth_gate_example() {
    let client = TestClient::new(auth_gate::app());
    // (path, x-api-key, status, body)
    let cases: &[(&str, Option<&str>, u16, Value)] = &[
        ("/", None, 200, hello()),
        ("/health", None, 200, json!({"status": "ok"})),
        ("/items/", None, 401, json!({"detail": "Not authenticated"})),
        (
            "/items/",
            Some("guess"),
            401,
            json!({"detail": "Invalid API key"}),
        ),
        (
            "/items/",
            Some("alice-demo-key"),
            200,
            json!([{"name": "Foo"}, {"name": "Bar"}]),
        ),
        (
            "/users/me",
            None,
            401,
            json!({"detail": "Not authenticated"}),
        ),
        (
            "/users/me",
            Some("alice-demo-key"),
            200,
            json!({"username": "alice"}),
        ),
        (
            "/users/me",
            Some("bob-demo-key"),
            200,
            json!({"username": "bob"}),
        ),
    ];
    for (path, key, status, body) in cases {
        let mut request = client.get(path);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let response = request.send().await;
        assert_eq!(response.status(), *status, "{path} {key:?}");
        assert_eq!(response.json::<Value>(), *body, "{path} {key:?}");
        if *status == 401 {
            assert_eq!(response.header("www-authenticate"), Some("APIKey"));
        }
    }
}

#[tokio::test]
async fn rate_limit_example() {
    // In memory, whatever REDIS_URL says, so that runs never share counts.
    let client = TestClient::new(rate_limit::app_with(None));
    for remaining in ["4", "3", "2", "1", "0"] {
        let response = client.get("/").send().await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>(), hello());
        assert_eq!(response.header("ratelimit-limit"), Some("5"));
        assert_eq!(response.header("ratelimit-remaining"), Some(remaining));
    }
    let refused = client.get("/").send().await;
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.json::<Value>(),
        json!({"detail": "Too Many Requests"})
    );
    assert!(refused.header("retry-after").is_some());
    let health = client.get("/health").send().await;
    assert_eq!(health.status(), 200);
    assert!(health.header("ratelimit-limit").is_none());

    let other = client
        .get("/quota")
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await;
    assert_eq!(other.json::<Value>(), json!({"limit": 5, "remaining": 4}));

    // `app()` serves too (its store depends on the environment).
    let health = TestClient::new(rate_limit::app())
        .get("/health")
        .send()
        .await;
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn production_example() {
    let client = TestClient::new(production::app());
    let response = client.get("/").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>(), hello());
    for header in ["x-process-time", "x-request-id", "ratelimit-limit"] {
        assert!(response.header(header).is_some(), "{header}");
    }
    // Rejected by the gate, yet timed, identified and counted on the way out.
    let rejected = client.get("/whoami").send().await;
    assert_eq!(rejected.status(), 401);
    for header in ["x-process-time", "x-request-id", "ratelimit-remaining"] {
        assert!(rejected.header(header).is_some(), "{header}");
    }
    // A preflight is answered by CORS, before the gate asks for a key.
    let preflight = client
        .options("/whoami")
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x-api-key")
        .send()
        .await;
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    if std::env::var_os("API_KEY").is_none() {
        let response = client
            .get("/whoami")
            .header("x-api-key", "demo-key")
            .header("x-forwarded-for", "203.0.113.7")
            .header("x-forwarded-proto", "https")
            .header("x-request-id", "req-1")
            .send()
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.json::<Value>(),
            json!({"client": "203.0.113.7", "scheme": "https", "request_id": "req-1"})
        );
    }
}
