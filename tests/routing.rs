//! Routing: matching, 404/405 in FastAPI's shapes, HEAD from GET, trailing
//! slash redirects, several methods, routers and their prefixes.

use framework::prelude::*;
use framework::Method;
use serde_json::{json, Value};

#[get("/items/{item_id}")]
async fn read_item(item_id: u32) -> Json<Value> {
    Json(json!({ "item_id": item_id }))
}

#[put("/items/{item_id}")]
async fn replace_item(item_id: u32) -> Json<Value> {
    Json(json!({ "replaced": item_id }))
}

#[delete("/items/{item_id}")]
async fn delete_item(item_id: u32) -> StatusCode {
    let _ = item_id;
    StatusCode::NO_CONTENT
}

#[get("/files/{file_path:path}")]
async fn read_file(file_path: String) -> String {
    file_path
}

#[get("/slash/")]
async fn with_slash() -> &'static str {
    "with"
}

#[get("/noslash")]
async fn without_slash() -> &'static str {
    "without"
}

#[route("/multi", methods = ["GET", "POST", "PATCH"])]
async fn multi(request: Request) -> String {
    request.method().to_string()
}

#[options("/opts")]
async fn opts() -> &'static str {
    "options"
}

#[head("/only-head")]
async fn only_head() -> (StatusCode, [(&'static str, &'static str); 1], &'static str) {
    (StatusCode::OK, [("x-head", "yes")], "")
}

#[get("/")]
async fn root() -> &'static str {
    "root"
}

#[get("/users/me")]
async fn users_me() -> &'static str {
    "me"
}

#[get("/users/{user_id}")]
async fn users_one(user_id: String) -> String {
    format!("user {user_id}")
}

fn client() -> TestClient {
    TestClient::new(
        App::new()
            .routes((read_item, replace_item, delete_item, read_file))
            .routes((with_slash, without_slash, multi, opts, only_head, root))
            .include_router(Router::new().prefix("/v1").route(users_me).route(users_one)),
    )
}

#[tokio::test]
async fn unknown_paths_answer_fastapis_404() {
    let client = client();
    for path in ["/nope", "/items", "/items/1/extra", "/v1", "/v1/users/1/x"] {
        let response = client.get(path).send().await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.header("content-type"),
            Some("application/json"),
            "{path}"
        );
        assert_eq!(response.text(), r#"{"detail":"Not Found"}"#, "{path}");
    }
}

#[tokio::test]
async fn wrong_method_answers_405_with_a_sorted_allow_header() {
    let client = client();
    let response = client.post("/items/1").send().await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.text(), r#"{"detail":"Method Not Allowed"}"#);
    // Every run gives the same order; HEAD is listed because GET answers it.
    assert_eq!(response.header("allow"), Some("DELETE, GET, HEAD, PUT"));

    let response = client.delete("/multi").send().await;
    assert_eq!(response.header("allow"), Some("GET, HEAD, PATCH, POST"));
}

#[tokio::test]
async fn each_method_reaches_its_own_handler() {
    let client = client();
    assert_eq!(
        client.get("/items/7").send().await.text(),
        r#"{"item_id":7}"#
    );
    assert_eq!(
        client.put("/items/7").send().await.text(),
        r#"{"replaced":7}"#
    );
    let deleted = client.delete("/items/7").send().await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(deleted.text(), "");
    for (method, expected) in [("GET", "GET"), ("POST", "POST"), ("PATCH", "PATCH")] {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        assert_eq!(
            client.request(method, "/multi").send().await.text(),
            expected
        );
    }
    assert_eq!(client.options("/opts").send().await.text(), "options");
    assert_eq!(client.get("/").send().await.text(), "root");
}

#[tokio::test]
async fn head_is_answered_by_get_routes_without_a_body() {
    let client = client();
    let get = client.get("/items/3").send().await;
    let head = client.head("/items/3").send().await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.text(), "");
    assert_eq!(head.header("content-type"), get.header("content-type"));
    assert_eq!(
        head.header("content-length"),
        Some(get.text().len().to_string().as_str())
    );

    // A route declared for HEAD itself is used as it is.
    let head = client.head("/only-head").send().await;
    assert_eq!(head.header("x-head"), Some("yes"));
    // HEAD on a path without GET is a 405.
    assert_eq!(client.head("/opts").send().await.status(), 405);
}

#[tokio::test]
async fn path_convertor_takes_the_rest_of_the_path() {
    let client = client();
    let cases = [
        ("/files/a.txt", "a.txt"),
        ("/files/dir/sub/a.txt", "dir/sub/a.txt"),
        ("/files/with%20space", "with space"),
    ];
    for (path, expected) in cases {
        let response = client.get(path).send().await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text(), expected, "{path}");
    }
}

#[tokio::test]
async fn a_missing_or_extra_trailing_slash_redirects_with_307() {
    let client = client();
    let cases = [
        ("/slash", "http://testserver/slash/"),
        ("/slash?x=1", "http://testserver/slash/?x=1"),
        ("/noslash/", "http://testserver/noslash"),
        ("/items/5/", "http://testserver/items/5"),
    ];
    for (path, location) in cases {
        let response = client.get(path).send().await;
        assert_eq!(response.status(), 307, "{path}");
        assert_eq!(response.header("location"), Some(location), "{path}");
        assert_eq!(response.header("content-length"), Some("0"), "{path}");
        assert_eq!(response.text(), "", "{path}");
    }
}

#[tokio::test]
async fn static_segments_win_over_parameters_and_prefixes_apply() {
    let client = client();
    assert_eq!(client.get("/v1/users/me").send().await.text(), "me");
    assert_eq!(client.get("/v1/users/42").send().await.text(), "user 42");
    assert_eq!(client.get("/users/me").send().await.status(), 404);
}

#[test]
#[should_panic(expected = "declared twice")]
fn the_same_route_twice_stops_the_app_naming_both() {
    let _ = TestClient::new(App::new().route(read_item).route(read_item));
}

#[test]
fn the_route_meta_records_where_it_was_declared() {
    use framework::routing::Route;
    let meta = read_item().meta();
    assert_eq!(meta.template, "/items/{item_id}");
    assert_eq!(meta.methods, ["GET"]);
    assert_eq!(meta.params, ["item_id"]);
    assert!(meta.file.ends_with("routing.rs"), "{}", meta.file);
    assert!(meta.line > 0);
}
