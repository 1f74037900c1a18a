//! Issue 5: the CORS, trusted-host and HTTPS-redirect examples answer what
//! their FastAPI originals answer (checked against FastAPI 0.165 /
//! Starlette 1.10 with its `TestClient`).

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/cors.rs"]
mod cors;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/trusted_host.rs"]
mod trusted_host;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/https_redirect.rs"]
mod https_redirect;

mod common;

use common::assert_invalid_host;
use framework::TestClient;
use serde_json::{json, Value};

const HELLO: &str = r#"{"message":"Hello World"}"#;
const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, \
                              Access-Control-Request-Private-Network";
const ALL_METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY";

#[tokio::test]
async fn cors_simple_requests() {
    let client = TestClient::new(cors::app());

    let r = client.get("/").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), HELLO);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("vary"), Some("Origin"));
    assert_eq!(r.header("access-control-allow-origin"), None);

    for origin in [
        "https://gzky.live",
        "https://google.com",
        "http://localhost:5000",
        "http://localhost:8000",
    ] {
        let r = client.get("/").header("origin", origin).send().await;
        assert_eq!(r.json::<Value>(), json!({"message": "Hello World"}));
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(r.header("vary"), Some("Origin"));
    }

    // Another site gets the answer without Allow-Origin, so its page cannot read it.
    let r = client
        .get("/")
        .header("origin", "https://evil.com")
        .send()
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("vary"), Some("Origin"));

    // Errors from the app carry the headers too.
    let r = client
        .post("/")
        .header("origin", "https://gzky.live")
        .send()
        .await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.json::<Value>(), json!({"detail": "Method Not Allowed"}));
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://gzky.live")
    );
    let r = client
        .get("/nope")
        .header("origin", "https://gzky.live")
        .send()
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>(), json!({"detail": "Not Found"}));
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://gzky.live")
    );
    assert_eq!(r.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn cors_preflights() {
    let client = TestClient::new(cors::app());
    let preflight = |origin: &'static str, method: &'static str| {
        client
            .options("/")
            .header("origin", origin)
            .header("access-control-request-method", method)
    };

    let r = preflight("https://gzky.live", "PUT")
        .header("access-control-request-headers", "X-Token, Content-Type")
        .send()
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "OK");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://gzky.live")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-allow-methods"), Some(ALL_METHODS));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("X-Token, Content-Type")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.header("vary"), Some(PREFLIGHT_VARY));

    let r = preflight("https://gzky.live", "PUT").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("access-control-allow-headers"), None);

    let r = preflight("https://evil.com", "GET").send().await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.text(), "Disallowed CORS origin");
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-allow-methods"), Some(ALL_METHODS));

    let r = preflight("https://gzky.live", "TRACE").send().await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.text(), "Disallowed CORS method");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://gzky.live")
    );

    // Not a preflight: the app answers (FastAPI: 405, with Vary: Origin).
    let r = client.options("/").send().await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.json::<Value>(), json!({"detail": "Method Not Allowed"}));
    assert_eq!(r.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn trusted_host_example() {
    let client = TestClient::new(trusted_host::app());
    for host in [
        "example.com",
        "api.example.com",
        "www.example.com:8000",
        "EXAMPLE.COM",
    ] {
        let r = client.get("/").header("host", host).send().await;
        assert_eq!(r.status(), 200, "{host}");
        assert_eq!(r.text(), HELLO, "{host}");
    }
    // TestClient's own `testserver` is not in the list, as in FastAPI.
    for r in [
        client.get("/").send().await,
        client.get("/").header("host", "evil.com").send().await,
        client
            .get("/")
            .header("host", "example.com.evil.com")
            .send()
            .await,
    ] {
        assert_invalid_host(&r, "");
    }
    let r = client
        .get("/nope")
        .header("host", "example.com")
        .send()
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>(), json!({"detail": "Not Found"}));
}

#[tokio::test]
async fn https_redirect_example() {
    let client = TestClient::new(https_redirect::app());
    let cases = [
        ("testserver", "/", "https://testserver/"),
        ("testserver", "/?a=1", "https://testserver/?a=1"),
        (
            "localhost:8000",
            "/items?q=1",
            "https://localhost:8000/items?q=1",
        ),
        ("localhost:80", "/", "https://localhost/"),
    ];
    for (host, target, location) in cases {
        let r = client.get(target).header("host", host).send().await;
        assert_eq!(r.status(), 307, "{host}{target}");
        assert_eq!(r.header("location"), Some(location), "{host}{target}");
        assert_eq!(r.text(), "");
    }
    let r = client.post("/x").send().await;
    assert_eq!(r.status(), 307);
    assert_eq!(r.header("location"), Some("https://testserver/x"));

    let r = client.get("https://testserver/").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), HELLO);
}
