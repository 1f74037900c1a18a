//! Issue 5, `TrustedHostMiddleware`: Starlette's host matching, its `400
//! Invalid host header`, and its redirect to `www.`.

mod common;

use common::assert_invalid_host;
use framework::middleware::{TrustedHostError, TrustedHostMiddleware};
use framework::prelude::*;

#[get("/p")]
async fn page() -> &'static str {
    "OK"
}

fn client(hosts: &[&str], www_redirect: bool) -> TestClient {
    let middleware = TrustedHostMiddleware::new()
        .allowed_hosts(hosts.iter().copied())
        .www_redirect(www_redirect)
        .build()
        .expect("valid patterns");
    TestClient::new(App::new().middleware(middleware).route(page))
}

async fn get_with_host(client: &TestClient, host: &str) -> framework::testing::TestResponse {
    client.get("/p?q=1").header("host", host).send().await
}

#[tokio::test]
async fn hosts_and_wildcards_with_ports_ignored() {
    let client = client(&["example.com", "*.example.com"], true);
    let cases = [
        ("example.com", true),
        ("EXAMPLE.com", true),
        ("example.com:8080", true),
        ("Example.com:8080", true),
        ("a.example.com", true),
        ("a.b.example.com", true),
        ("www.example.com", true),
        ("badexample.com", false),
        ("evil.com", false),
        ("example.com.evil.com", false),
        ("example.org", false),
        ("example.com:", false),
        ("example.com:abc", false),
        ("exa mple.com", false),
        ("user@example.com", false),
        ("[::1]", false),
        ("[::1]:80", false),
    ];
    for (host, allowed) in cases {
        let r = get_with_host(&client, host).await;
        if allowed {
            assert_eq!(
                (r.status().as_u16(), r.text().as_str()),
                (200, "OK"),
                "{host}"
            );
        } else {
            assert_invalid_host(&r, host);
        }
    }
}

#[tokio::test]
async fn the_default_test_host_is_refused_like_any_other() {
    // TestClient sends `host: testserver`, as Starlette's does.
    let client = client(&["example.com"], true);
    let r = client.get("/p").send().await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.text(), "Invalid host header");
}

#[tokio::test]
async fn ip_literals_can_be_allowed() {
    let client = client(&["127.0.0.1", "[::1]"], true);
    for host in ["127.0.0.1", "127.0.0.1:8000", "[::1]", "[::1]:8000"] {
        assert_eq!(get_with_host(&client, host).await.status(), 200, "{host}");
    }
    assert_eq!(get_with_host(&client, "[::2]").await.status(), 400);
}

#[tokio::test]
async fn star_allows_every_host() {
    for client in [client(&["*"], true), {
        let middleware = TrustedHostMiddleware::new().build().unwrap();
        TestClient::new(App::new().middleware(middleware).route(page))
    }] {
        for host in ["example.com", "evil.com", "exa mple.com", "anything:99999"] {
            let r = get_with_host(&client, host).await;
            assert_eq!(r.status(), 200, "{host}");
        }
    }
}

#[tokio::test]
async fn www_redirect() {
    let client = client(&["www.example.com"], true);
    // (host, scheme of the request URL, expected Location)
    let cases = [
        ("example.com", "", "http://www.example.com/p?q=1"),
        ("example.com:8080", "", "http://www.example.com:8080/p?q=1"),
        ("EXAMPLE.com", "", "http://www.EXAMPLE.com/p?q=1"),
        (
            "example.com",
            "https://example.com",
            "https://www.example.com/p?q=1",
        ),
        (
            "example.com:8443",
            "https://example.com:8443",
            "https://www.example.com:8443/p?q=1",
        ),
    ];
    for (host, base, location) in cases {
        let r = client
            .get(&format!("{base}/p?q=1"))
            .header("host", host)
            .send()
            .await;
        assert_eq!(r.status(), 307, "{host}");
        assert_eq!(r.header("location"), Some(location), "{host}");
        assert_eq!(r.text(), "", "{host}");
    }
    // The allowed host itself is served; others are refused, not redirected.
    assert_eq!(
        get_with_host(&client, "www.example.com").await.status(),
        200
    );
    for host in ["a.example.com", "evil.com", "example.com:99999"] {
        let r = get_with_host(&client, host).await;
        assert_eq!(
            (r.status().as_u16(), r.text().as_str()),
            (400, "Invalid host header"),
            "{host}"
        );
    }
}

#[tokio::test]
async fn www_redirect_can_be_turned_off() {
    let client = client(&["www.example.com"], false);
    let r = get_with_host(&client, "example.com").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.text(), "Invalid host header");
    assert_eq!(r.header("location"), None);
}

#[tokio::test]
async fn websocket_upgrades_are_guarded_when_streaming_level() {
    let middleware = TrustedHostMiddleware::new()
        .allowed_hosts(["www.example.com"])
        .build()
        .unwrap();
    let client = TestClient::new(App::new().streaming_middleware(middleware).route(page));
    let upgrade = |host: &'static str| {
        client
            .get("/ws")
            .header("host", host)
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .send()
    };
    let r = upgrade("evil.com").await;
    assert_eq!(
        (r.status().as_u16(), r.text().as_str()),
        (400, "Invalid host header")
    );
    let r = upgrade("example.com").await;
    assert_eq!(r.status(), 307);
    assert_eq!(r.header("location"), Some("ws://www.example.com/ws"));
}

#[test]
fn misplaced_wildcards_are_refused_with_starlettes_message() {
    for pattern in [
        "example.*",
        "*example.com",
        "a.*.example.com",
        "**.example.com",
        "*.*",
    ] {
        let error = TrustedHostMiddleware::new()
            .allowed_hosts(["example.com", pattern])
            .build()
            .expect_err(pattern);
        assert_eq!(
            error,
            TrustedHostError {
                pattern: pattern.to_owned()
            }
        );
        assert_eq!(
            error.to_string(),
            format!("TrustedHostMiddleware: `{pattern}`: Domain wildcard patterns must be like '*.example.com'.")
        );
    }
    for pattern in ["*", "*.example.com", "example.com", "Example.COM"] {
        assert!(
            TrustedHostMiddleware::new()
                .allowed_hosts([pattern])
                .build()
                .is_ok(),
            "{pattern}"
        );
    }
}

#[tokio::test]
async fn patterns_compare_without_case() {
    let client = client(&["Example.COM"], true);
    assert_eq!(get_with_host(&client, "example.com").await.status(), 200);
}
