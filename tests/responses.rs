//! What a handler may return, `status_code = N`, `HttpError`, exception
//! handlers, and panics.

use framework::prelude::*;
use framework::response::{FileResponse, Streaming};
use framework::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

#[get("/json", status_code = 201)]
async fn created() -> Json<Value> {
    Json(json!({"httpStatus": 201}))
}

#[get("/html")]
async fn html() -> Html<&'static str> {
    Html("<h1>hi</h1>")
}

#[get("/text")]
async fn text_owned() -> String {
    "owned".to_owned()
}

#[get("/static")]
async fn text_static() -> &'static str {
    "static"
}

#[get("/unit")]
async fn unit() {}

#[delete("/unit-204", status_code = 204)]
async fn unit_no_content() {}

#[get("/status")]
async fn status() -> StatusCode {
    StatusCode::ACCEPTED
}

#[get("/pair", status_code = 201)]
async fn pair() -> (StatusCode, &'static str) {
    // An explicit status wins over the route's default.
    (StatusCode::IM_A_TEAPOT, "teapot")
}

#[get("/triple")]
async fn triple() -> (StatusCode, HeaderMap, Json<Value>) {
    let mut headers = HeaderMap::new();
    headers.insert("x-extra", "1".parse().unwrap());
    (StatusCode::CREATED, headers, Json(json!({"ok": true})))
}

#[get("/response")]
async fn raw_response() -> Response {
    let mut response = Response::text("made by hand");
    response.set_status(StatusCode::ACCEPTED);
    response.set_header("x-hand", "made");
    // Every kind of name; the invalid ones are left out, never a panic.
    response.set_header("X-Upper-Case", "lowered");
    response.set_header(String::from("x-owned"), 7);
    response.set_header(
        framework::header::HeaderName::from_static("x-typed"),
        HeaderValue::from_static("typed"),
    );
    response.set_header("bad name", "dropped");
    response.set_header("x-bad-value", "line\nbreak");
    response
}

#[get("/result/{ok}", status_code = 201)]
async fn result(ok: bool) -> Result<Json<Value>, HttpError> {
    if ok {
        Ok(Json(json!({"ok": true})))
    } else {
        Err(HttpError::new(404, "Item not found").header("x-error", "There goes my error"))
    }
}

#[get("/detail-object")]
async fn detail_object() -> Result<&'static str, HttpError> {
    Err(HttpError::new(400, json!({"code": 7, "why": ["a", "b"]})))
}

#[get("/redirect/{kind}")]
async fn redirect(kind: String) -> Redirect {
    match kind.as_str() {
        "301" => Redirect::moved_permanently("/a"),
        "302" => Redirect::found("/a"),
        "303" => Redirect::see_other("/a"),
        "308" => Redirect::permanent("/a"),
        _ => Redirect::to("/a"),
    }
}

struct Chunks(Vec<&'static str>);

impl framework::Stream for Chunks {
    type Item = Result<&'static str, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(if self.0.is_empty() {
            None
        } else {
            Some(Ok(self.0.remove(0)))
        })
    }
}

#[get("/stream")]
async fn stream() -> Streaming<Chunks> {
    Streaming::new(Chunks(vec!["one ", "two ", "three"]))
}

#[get("/file/{name}")]
async fn file(name: String) -> FileResponse {
    FileResponse::new(std::env::temp_dir().join(name))
}

#[derive(Debug)]
struct UnicornError(String);

impl std::fmt::Display for UnicornError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unicorn {}", self.0)
    }
}

impl std::error::Error for UnicornError {}

#[get("/unicorns/{name}")]
async fn unicorn(name: String) -> Result<String, framework::Error> {
    if name == "yolo" {
        return Err(UnicornError(name).into());
    }
    let n: u32 = name.parse()?;
    Ok(format!("unicorn #{n}"))
}

#[get("/panic")]
async fn panics() -> &'static str {
    panic!("handler blew up")
}

#[get("/ok")]
async fn ok() -> &'static str {
    "still serving"
}

fn client() -> TestClient {
    TestClient::new(
        App::new()
            .routes((
                created,
                html,
                text_owned,
                text_static,
                unit,
                unit_no_content,
                status,
                pair,
            ))
            .routes((
                triple,
                raw_response,
                result,
                detail_object,
                redirect,
                stream,
                file,
            ))
            .routes((unicorn, panics, ok))
            .exception_handler(|error: UnicornError| {
                (
                    StatusCode::IM_A_TEAPOT,
                    Json(json!({"message": format!("Oops! {} did something.", error.0)})),
                )
            }),
    )
}

#[tokio::test]
async fn each_return_type_sets_status_type_and_body() {
    let client = client();
    let cases: &[(&str, u16, Option<&str>, &str)] = &[
        (
            "/json",
            201,
            Some("application/json"),
            r#"{"httpStatus":201}"#,
        ),
        (
            "/html",
            200,
            Some("text/html; charset=utf-8"),
            "<h1>hi</h1>",
        ),
        ("/text", 200, Some("text/plain; charset=utf-8"), "owned"),
        ("/static", 200, Some("text/plain; charset=utf-8"), "static"),
        ("/unit", 200, Some("application/json"), "null"),
        ("/status", 202, None, ""),
        ("/pair", 418, Some("text/plain; charset=utf-8"), "teapot"),
        ("/triple", 201, Some("application/json"), r#"{"ok":true}"#),
        (
            "/response",
            202,
            Some("text/plain; charset=utf-8"),
            "made by hand",
        ),
        (
            "/result/true",
            201,
            Some("application/json"),
            r#"{"ok":true}"#,
        ),
        (
            "/result/false",
            404,
            Some("application/json"),
            r#"{"detail":"Item not found"}"#,
        ),
        (
            "/detail-object",
            400,
            Some("application/json"),
            r#"{"detail":{"code":7,"why":["a","b"]}}"#,
        ),
        (
            "/stream",
            200,
            Some("text/plain; charset=utf-8"),
            "one two three",
        ),
    ];
    for (path, status, content_type, body) in cases {
        let response = client.get(path).send().await;
        assert_eq!(response.status(), *status, "{path}");
        assert_eq!(response.header("content-type"), *content_type, "{path}");
        assert_eq!(response.text(), *body, "{path}");
    }
    let response = client.delete("/unit-204").send().await;
    assert_eq!(
        (response.status().as_u16(), response.text().as_str()),
        (204, "")
    );
    assert_eq!(
        client.get("/triple").send().await.header("x-extra"),
        Some("1")
    );
    let response = client.get("/response").send().await;
    assert_eq!(response.header("x-hand"), Some("made"));
    assert_eq!(response.header("x-upper-case"), Some("lowered"));
    assert_eq!(response.header("x-owned"), Some("7"));
    assert_eq!(response.header("x-typed"), Some("typed"));
    assert_eq!(response.header("x-bad-value"), None);
    assert!(
        !response
            .headers()
            .keys()
            .any(|name| name.as_str().contains(' ')),
        "{:?}",
        response.headers()
    );
    assert_eq!(
        client.get("/result/false").send().await.header("x-error"),
        Some("There goes my error")
    );
}

#[tokio::test]
async fn redirects_use_their_status_and_location() {
    let client = client();
    for (kind, status) in [
        ("default", 307),
        ("301", 301),
        ("302", 302),
        ("303", 303),
        ("308", 308),
    ] {
        let response = client.get(&format!("/redirect/{kind}")).send().await;
        assert_eq!(response.status(), status, "{kind}");
        assert_eq!(response.header("location"), Some("/a"), "{kind}");
    }
}

#[tokio::test]
async fn files_are_sent_with_a_guessed_type_and_missing_ones_are_404() {
    let name = format!("framework-test-{}.json", std::process::id());
    std::fs::write(std::env::temp_dir().join(&name), br#"{"from":"disk"}"#).unwrap();
    let response = client().get(&format!("/file/{name}")).send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("content-length"), Some("15"));
    assert_eq!(response.text(), r#"{"from":"disk"}"#);
    std::fs::remove_file(std::env::temp_dir().join(&name)).unwrap();
    assert_eq!(
        client()
            .get("/file/does-not-exist.txt")
            .send()
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn exception_handlers_answer_their_error_type() {
    let client = client();
    let response = client.get("/unicorns/yolo").send().await;
    assert_eq!(response.status(), 418);
    assert_eq!(
        response.text(),
        r#"{"message":"Oops! yolo did something."}"#
    );
    assert_eq!(client.get("/unicorns/3").send().await.text(), "unicorn #3");
    // An error no handler claims is a plain 500.
    let response = client.get("/unicorns/three").send().await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.text(), "Internal Server Error");
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_app_keeps_serving() {
    let client = client();
    let response = client.get("/panic").send().await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.text(), "Internal Server Error");
    assert_eq!(client.get("/ok").send().await.text(), "still serving");
}
