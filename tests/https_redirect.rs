//! Issue 5, `HttpsRedirectMiddleware`: Starlette's `307` to `https`/`wss`,
//! with the path and query kept and default ports dropped.

mod common;

use common::assert_invalid_host;
use framework::middleware::HttpsRedirectMiddleware;
use framework::prelude::*;
use framework::Method;

#[get("/")]
async fn homepage() -> &'static str {
    "OK"
}

fn client() -> TestClient {
    TestClient::new(
        App::new()
            .middleware(HttpsRedirectMiddleware::new())
            .route(homepage),
    )
}

#[tokio::test]
async fn http_requests_are_redirected_with_307() {
    let client = client();
    // (host header, path and query, expected Location)
    let cases = [
        ("testserver", "/", "https://testserver/"),
        (
            "testserver:80",
            "/a/b?x=1&y=2",
            "https://testserver/a/b?x=1&y=2",
        ),
        ("example.com:443", "/", "https://example.com/"),
        ("example.com:0080", "/", "https://example.com/"),
        (
            "example.com:8080",
            "/p?q=1",
            "https://example.com:8080/p?q=1",
        ),
        (
            "localhost:8000",
            "/items?q=1",
            "https://localhost:8000/items?q=1",
        ),
        ("Example.COM", "/", "https://Example.COM/"),
        ("Example.COM:80", "/", "https://example.com/"),
        ("Example.COM:8080", "/", "https://Example.COM:8080/"),
        (
            "example.com",
            "/a%20b/c?x=%20",
            "https://example.com/a%20b/c?x=%20",
        ),
        ("[::1]:8080", "/", "https://[::1]:8080/"),
        ("[::1]", "/", "https://[::1]/"),
        ("[::1]:80", "/", "https://[::1]/"),
    ];
    for (host, target, location) in cases {
        let r = client.get(target).header("host", host).send().await;
        assert_eq!(r.status(), 307, "{host}{target}");
        assert_eq!(r.header("location"), Some(location), "{host}{target}");
        assert_eq!(r.text(), "", "{host}{target}");
    }
}

#[tokio::test]
async fn every_method_is_redirected_and_keeps_its_method_by_307() {
    let client = client();
    for method in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        let r = client.request(method.clone(), "/x").send().await;
        assert_eq!(r.status(), 307, "{method}");
        assert_eq!(
            r.header("location"),
            Some("https://testserver/x"),
            "{method}"
        );
    }
}

#[tokio::test]
async fn https_requests_pass_through() {
    let client = client();
    let r = client.get("https://testserver/").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "OK");
}

#[tokio::test]
async fn bad_hosts_are_refused() {
    let client = client();
    for host in [
        "user@example.com",
        "exa mple.com",
        "example.com:99999",
        "example.com:",
    ] {
        let r = client.get("/").header("host", host).send().await;
        assert_invalid_host(&r, host);
    }
}

#[tokio::test]
async fn websocket_upgrades_go_to_wss() {
    let client = TestClient::new(
        App::new()
            .streaming_middleware(HttpsRedirectMiddleware::new())
            .route(homepage),
    );
    let cases = [
        ("example.com", "/ws?a=b", "wss://example.com/ws?a=b"),
        ("example.com:80", "/ws", "wss://example.com/ws"),
        ("example.com:8080", "/ws", "wss://example.com:8080/ws"),
    ];
    for (host, target, location) in cases {
        let r = client
            .get(target)
            .header("host", host)
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .send()
            .await;
        assert_eq!(r.status(), 307, "{host}{target}");
        assert_eq!(r.header("location"), Some(location), "{host}{target}");
    }
    // Plain requests through the same app still go to https.
    let r = client.get("/").send().await;
    assert_eq!(r.header("location"), Some("https://testserver/"));
    // And a secure upgrade passes.
    let r = client
        .get("wss://testserver/")
        .header("upgrade", "websocket")
        .send()
        .await;
    assert_ne!(r.status(), 307);
}
