//! Issue 5, `CorsMiddleware`: Starlette's answers, header for header, and
//! the configurations refused at start-up.

use framework::middleware::{CorsError, CorsMiddleware};
use framework::prelude::*;
use framework::testing::TestResponse;

#[get("/")]
async fn homepage() -> &'static str {
    "Homepage"
}

#[get("/vary")]
async fn with_vary() -> Response {
    let mut response = Response::text("x");
    response.set_header("vary", "Accept-Encoding");
    response
}

fn client(cors: framework::middleware::CorsBuilder) -> TestClient {
    let cors = cors.build().expect("a valid configuration");
    TestClient::new(App::new().middleware(cors).route(homepage).route(with_vary))
}

const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, \
                              Access-Control-Request-Private-Network";
const ALL_METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY";
const SAFELISTED: &str = "Accept, Accept-Language, Content-Language, Content-Type";

/// origin, method, requested headers; then the status, body and echoed origin.
type PreflightCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    u16,
    &'static str,
    Option<&'static str>,
);

async fn preflight(
    client: &TestClient,
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> TestResponse {
    let mut request = client
        .options("/")
        .header("origin", origin)
        .header("access-control-request-method", method);
    if let Some(headers) = headers {
        request = request.header("access-control-request-headers", headers);
    }
    request.send().await
}

async fn get_from(client: &TestClient, path: &str, origin: &str) -> TestResponse {
    client.get(path).header("origin", origin).send().await
}

#[tokio::test]
async fn any_origin_without_credentials() {
    let client = client(
        CorsMiddleware::new()
            .allow_origins(["*"])
            .allow_headers(["*"])
            .allow_methods(["*"])
            .expose_headers(["X-Status"]),
    );

    // The preflight is answered by the middleware: the route has no OPTIONS.
    let r = preflight(&client, "https://example.org", "GET", Some("X-Example")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "OK");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-headers"), Some("X-Example"));
    assert_eq!(r.header("access-control-allow-methods"), Some(ALL_METHODS));
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.header("vary"), Some(PREFLIGHT_VARY));
    assert_eq!(r.header("access-control-allow-credentials"), None);

    // No requested headers: nothing to echo, and the list is not sent.
    let r = preflight(&client, "https://example.org", "POST", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("access-control-allow-headers"), None);

    let r = get_from(&client, "/", "https://example.org").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "Homepage");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-expose-headers"), Some("X-Status"));
    assert_eq!(r.header("access-control-allow-credentials"), None);
    assert_eq!(r.header("vary"), Some("Origin"));

    // Without an Origin: no CORS headers, but the answer still varies on it.
    let r = client.get("/").send().await;
    assert_eq!(r.text(), "Homepage");
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-expose-headers"), None);
    assert_eq!(r.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn specific_origins_preflight_table() {
    let client = client(
        CorsMiddleware::new()
            .allow_origins(["https://example.org"])
            .allow_headers(["X-Example", "Content-Type"])
            .allow_methods(["GET", "POST"]),
    );
    let allow_headers = "Accept, Accept-Language, Content-Language, Content-Type, X-Example";
    let cases: &[PreflightCase] = &[
        (
            "https://example.org",
            "GET",
            Some("X-Example"),
            200,
            "OK",
            Some("https://example.org"),
        ),
        (
            "https://example.org",
            "POST",
            Some("x-example, content-type, Accept"),
            200,
            "OK",
            Some("https://example.org"),
        ),
        (
            "https://example.org",
            "GET",
            None,
            200,
            "OK",
            Some("https://example.org"),
        ),
        (
            "https://another.org",
            "GET",
            None,
            400,
            "Disallowed CORS origin",
            None,
        ),
        (
            "https://example.org",
            "DELETE",
            None,
            400,
            "Disallowed CORS method",
            Some("https://example.org"),
        ),
        (
            "https://example.org",
            "get",
            None,
            400,
            "Disallowed CORS method",
            Some("https://example.org"),
        ),
        (
            "https://example.org",
            "GET",
            Some("X-Example, X-Other"),
            400,
            "Disallowed CORS headers",
            Some("https://example.org"),
        ),
        (
            "https://example.org",
            "GET",
            Some("X-Example,"),
            400,
            "Disallowed CORS headers",
            Some("https://example.org"),
        ),
        (
            "https://another.org",
            "PUT",
            Some("X-Nope"),
            400,
            "Disallowed CORS origin, method, headers",
            None,
        ),
        (
            "https://EXAMPLE.org",
            "GET",
            None,
            400,
            "Disallowed CORS origin",
            None,
        ),
        (
            "https://example.org/",
            "GET",
            None,
            400,
            "Disallowed CORS origin",
            None,
        ),
    ];
    for (origin, method, headers, status, body, echoed) in cases {
        let r = preflight(&client, origin, method, *headers).await;
        let case = format!("{origin} {method} {headers:?}");
        assert_eq!(r.status(), *status, "{case}");
        assert_eq!(r.text(), *body, "{case}");
        assert_eq!(
            r.header("content-type"),
            Some("text/plain; charset=utf-8"),
            "{case}"
        );
        assert_eq!(r.header("access-control-allow-origin"), *echoed, "{case}");
        // The same headers whether allowed or not.
        assert_eq!(
            r.header("access-control-allow-methods"),
            Some("GET, POST"),
            "{case}"
        );
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some(allow_headers),
            "{case}"
        );
        assert_eq!(r.header("access-control-max-age"), Some("600"), "{case}");
        assert_eq!(r.header("vary"), Some(PREFLIGHT_VARY), "{case}");
    }
}

#[tokio::test]
async fn specific_origins_simple_requests() {
    let client = client(CorsMiddleware::new().allow_origins(["https://example.org"]));
    let r = get_from(&client, "/", "https://example.org").await;
    assert_eq!(r.text(), "Homepage");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert_eq!(r.header("vary"), Some("Origin"));

    let r = get_from(&client, "/", "https://another.org").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text(), "Homepage");
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("vary"), Some("Origin"));

    // An existing Vary is kept, joined with Origin, whatever the origin.
    for origin in ["https://example.org", "https://another.org"] {
        let r = get_from(&client, "/vary", origin).await;
        assert_eq!(
            r.header("vary"),
            Some("Accept-Encoding, Origin"),
            "{origin}"
        );
    }
    let r = client.get("/vary").send().await;
    assert_eq!(r.header("vary"), Some("Accept-Encoding, Origin"));

    // An OPTIONS without Access-Control-Request-Method is not a preflight:
    // it reaches the app (405 here) and gets the simple-request headers.
    let r = client
        .options("/")
        .header("origin", "https://example.org")
        .send()
        .await;
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    // Nor is one without an Origin.
    let r = client
        .options("/")
        .header("access-control-request-method", "GET")
        .send()
        .await;
    assert_eq!(r.status(), 405);

    // Errors from the app get the headers too.
    let r = get_from(&client, "/missing", "https://example.org").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
}

#[tokio::test]
async fn defaults_allow_no_origin_and_only_get() {
    let client = client(CorsMiddleware::new());
    let r = preflight(&client, "https://example.org", "GET", None).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.text(), "Disallowed CORS origin");
    assert_eq!(r.header("access-control-allow-methods"), Some("GET"));
    assert_eq!(r.header("access-control-allow-headers"), Some(SAFELISTED));
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.header("access-control-allow-origin"), None);

    let r = get_from(&client, "/", "https://example.org").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn credentials_with_listed_origins() {
    let client = client(
        CorsMiddleware::new()
            .allow_origins(["https://example.org"])
            .allow_credentials(true)
            .max_age(0),
    );
    let r = preflight(&client, "https://example.org", "GET", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-max-age"), Some("0"));

    let r = get_from(&client, "/", "https://example.org").await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("vary"), Some("Origin"));

    // As Starlette: the credentials header goes to any request with an
    // Origin; without Allow-Origin the browser still refuses to share.
    let r = get_from(&client, "/", "https://evil.example").await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
}

#[tokio::test]
async fn any_origin_with_credentials_echoes_the_origin_when_opted_in() {
    let client = client(
        CorsMiddleware::new()
            .allow_origins(["*"])
            .allow_headers(["*"])
            .allow_credentials(true)
            .dangerously_allow_any_origin_with_credentials(),
    );
    let r = preflight(&client, "https://example.org", "GET", Some("X-Example")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-allow-headers"), Some("X-Example"));

    for origin in ["https://example.org", "https://someone.else"] {
        let r = get_from(&client, "/", origin).await;
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(r.header("vary"), Some("Origin"));
    }
    // Nothing leaks from one request to the next.
    let r = client.get("/").send().await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn origin_regex_must_match_the_whole_origin() {
    let client = client(
        CorsMiddleware::new()
            .allow_origin_regex(r"https://.*\.example\.org")
            .allow_headers(["X-Example"])
            .allow_credentials(true),
    );
    let cases = [
        ("https://a.example.org", true),
        ("https://a.b.example.org", true),
        ("https://a.example.org.evil.com", false),
        ("http://a.example.org", false),
        ("https://example.org", false),
    ];
    for (origin, allowed) in cases {
        let r = preflight(&client, origin, "GET", None).await;
        assert_eq!(r.status(), if allowed { 200 } else { 400 }, "{origin}");
        let echoed = allowed.then_some(origin);
        assert_eq!(r.header("access-control-allow-origin"), echoed, "{origin}");
        let r = get_from(&client, "/", origin).await;
        assert_eq!(r.header("access-control-allow-origin"), echoed, "{origin}");
        assert_eq!(r.header("vary"), Some("Origin"), "{origin}");
    }
}

#[tokio::test]
async fn listed_origins_and_regex_combine() {
    let client = client(
        CorsMiddleware::new()
            .allow_origins(["https://listed.example"])
            .allow_origin_regex(r"https://[a-z]+\.example\.net"),
    );
    for (origin, allowed) in [
        ("https://listed.example", true),
        ("https://api.example.net", true),
        ("https://other.example", false),
    ] {
        let r = preflight(&client, origin, "GET", None).await;
        assert_eq!(r.status(), if allowed { 200 } else { 400 }, "{origin}");
    }
}

#[tokio::test]
async fn methods_are_compared_as_written() {
    let client = client(
        CorsMiddleware::new()
            .allow_origins(["*"])
            .allow_methods(["POST", "get"]),
    );
    for (method, status) in [("POST", 200), ("get", 200), ("GET", 400)] {
        let r = preflight(&client, "https://example.org", method, None).await;
        assert_eq!(r.status(), status, "{method}");
        assert_eq!(r.header("access-control-allow-methods"), Some("POST, get"));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
}

#[tokio::test]
async fn private_network_access() {
    let ask = |client: TestClient| async move {
        client
            .options("/")
            .header("origin", "https://example.org")
            .header("access-control-request-method", "GET")
            .header("access-control-request-private-network", "true")
            .send()
            .await
    };
    let refused = ask(client(
        CorsMiddleware::new().allow_origins(["https://example.org"]),
    ))
    .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.text(), "Disallowed CORS private-network");
    assert_eq!(refused.header("access-control-allow-private-network"), None);

    let allowed = ask(client(
        CorsMiddleware::new()
            .allow_origins(["https://example.org"])
            .allow_private_network(true),
    ))
    .await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.header("access-control-allow-private-network"),
        Some("true")
    );
}

#[test]
fn configurations_that_expose_credentials_to_any_site_are_refused() {
    let with_credentials = || CorsMiddleware::new().allow_credentials(true);
    let refused: Vec<(&str, framework::middleware::CorsBuilder, CorsError)> = vec![
        (
            "* with credentials",
            with_credentials().allow_origins(["*"]),
            CorsError::AnyOriginWithCredentials,
        ),
        (
            "* among others",
            with_credentials().allow_origins(["https://example.org", "*"]),
            CorsError::AnyOriginWithCredentials,
        ),
        (
            "null",
            with_credentials().allow_origins(["null"]),
            CorsError::NullOriginWithCredentials,
        ),
        (
            ".*",
            with_credentials().allow_origin_regex(".*"),
            CorsError::BroadRegexWithCredentials {
                regex: ".*".into(),
                admits: "null",
            },
        ),
        (
            "https://.*",
            with_credentials().allow_origin_regex("https://.*"),
            CorsError::BroadRegexWithCredentials {
                regex: "https://.*".into(),
                admits: "https://attacker.invalid",
            },
        ),
        (
            "https?://[^/]+",
            with_credentials().allow_origin_regex("https?://[^/]+"),
            CorsError::BroadRegexWithCredentials {
                regex: "https?://[^/]+".into(),
                admits: "https://attacker.invalid",
            },
        ),
        (
            "invalid regex",
            CorsMiddleware::new().allow_origin_regex("https://(unclosed"),
            CorsError::InvalidRegex {
                regex: "https://(unclosed".into(),
                reason: String::new(),
            },
        ),
        (
            "header value",
            CorsMiddleware::new().expose_headers(["X-Bad\nHeader"]),
            CorsError::InvalidValue {
                option: "expose_headers",
                value: "X-Bad\nHeader".into(),
            },
        ),
    ];
    for (case, builder, expected) in refused {
        let error = builder.build().expect_err(case);
        match (&error, &expected) {
            (
                CorsError::InvalidRegex { regex, .. },
                CorsError::InvalidRegex { regex: want, .. },
            ) => {
                assert_eq!(regex, want, "{case}")
            }
            _ => assert_eq!(error, expected, "{case}"),
        }
        assert!(error.to_string().starts_with("CORS: "), "{case}: {error}");
    }

    let message = with_credentials()
        .allow_origins(["*"])
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("allow_origins contains \"*\""),
        "{message}"
    );
    assert!(
        message.contains("dangerously_allow_any_origin_with_credentials"),
        "{message}"
    );
    let message = with_credentials()
        .allow_origin_regex(".*")
        .build()
        .unwrap_err()
        .to_string();
    assert!(message.contains("allow_origin_regex `.*`"), "{message}");

    let accepted = [
        (
            "listed origins",
            with_credentials().allow_origins(["https://example.org", "http://localhost:8000"]),
        ),
        (
            "anchored regex",
            with_credentials().allow_origin_regex(r"https://.*\.example\.org"),
        ),
        (
            "* without credentials",
            CorsMiddleware::new().allow_origins(["*"]),
        ),
        (
            ".* without credentials",
            CorsMiddleware::new().allow_origin_regex(".*"),
        ),
        (
            "null without credentials",
            CorsMiddleware::new().allow_origins(["null"]),
        ),
        (
            "opted in",
            with_credentials()
                .allow_origins(["*"])
                .dangerously_allow_any_origin_with_credentials(),
        ),
    ];
    for (case, builder) in accepted {
        assert!(builder.build().is_ok(), "{case}");
    }
}
