//! Parameter extraction: where each parameter comes from, and the 422s
//! that list every bad input in FastAPI's (pydantic v2's) words.

use framework::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, PartialEq)]
struct Color(String);

impl std::str::FromStr for Color {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "red" | "blue" => Ok(Color(s.to_owned())),
            other => Err(format!("unknown color {other}")),
        }
    }
}

#[get("/scalars/{id}/{ratio}/{flag}/{key}")]
async fn scalars(
    id: i64,
    ratio: f64,
    flag: bool,
    key: framework::uuid::Uuid,
    color: Option<Color>,
) -> Json<Value> {
    Json(
        json!({"id": id, "ratio": ratio, "flag": flag, "key": key.to_string(), "color": color.map(|c| c.0)}),
    )
}

#[get("/query")]
async fn query(
    q: String,
    limit: Option<u32>,
    tag: Vec<i32>,
    #[query(default = "none")] sort: String,
    #[query(default = 10)] size: u8,
    #[query(alias = "item-query", default)] item_query: String,
) -> Json<Value> {
    Json(
        json!({"q": q, "limit": limit, "tag": tag, "sort": sort, "size": size, "item_query": item_query}),
    )
}

#[get("/optional-tags")]
async fn optional_tags(#[query(default)] tag: Vec<String>) -> Json<Value> {
    Json(json!({ "tag": tag }))
}

#[get("/headers")]
async fn headers(
    #[header] user_agent: String,
    #[header] x_count: Option<u32>,
    #[header(alias = "X-Token")] token: Option<String>,
    #[header] x_tag: Vec<String>,
    #[cookie] session: Option<String>,
    #[cookie(default = 0)] visits: u32,
) -> Json<Value> {
    Json(
        json!({"user_agent": user_agent, "x_count": x_count, "token": token, "x_tag": x_tag, "session": session, "visits": visits}),
    )
}

#[derive(Deserialize, Serialize)]
struct Item {
    name: String,
    price: f64,
    #[serde(default)]
    tags: Vec<String>,
}

#[post("/items/")]
async fn create_item(item: Json<Item>, q: Option<String>) -> Json<Value> {
    Json(json!({"name": item.name, "price": item.price, "tags": item.tags, "q": q}))
}

#[derive(Deserialize)]
struct Login {
    username: String,
    age: u32,
}

#[post("/login")]
async fn login(form: Form<Login>) -> String {
    format!("{} {}", form.username, form.age)
}

#[post("/raw")]
async fn raw(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

#[post("/text")]
async fn text(#[body] body: String) -> String {
    body.to_uppercase()
}

#[derive(Deserialize)]
struct Paging {
    skip: u32,
    limit: Option<u32>,
}

#[get("/paging")]
async fn paging(page: Query<Paging>) -> Json<Value> {
    Json(json!({"skip": page.skip, "limit": page.limit}))
}

struct Greeting(&'static str);

#[get("/state")]
async fn state(greeting: State<Greeting>) -> &'static str {
    greeting.0
}

struct Missing;

#[get("/missing-state")]
async fn missing_state(_missing: State<Missing>) -> &'static str {
    "unreachable"
}

#[get("/request/{name}")]
async fn whole_request(name: String, request: Request) -> String {
    format!("{name} {} {}", request.method(), request.uri())
}

#[get("/request-ref")]
async fn request_ref(request: &Request, q: String) -> String {
    format!("{} {q}", request.path())
}

#[get("/sync/{n}")]
fn sync_handler(n: u64) -> String {
    // A plain fn runs on the blocking pool, so blocking here is allowed.
    std::thread::sleep(std::time::Duration::from_millis(1));
    (n * 2).to_string()
}

fn client() -> TestClient {
    TestClient::new(
        App::new()
            .routes((
                scalars,
                query,
                optional_tags,
                headers,
                create_item,
                login,
                raw,
                text,
                paging,
            ))
            .routes((state, whole_request, request_ref, sync_handler))
            .state(Greeting("hello from state"))
            .config(|c| c.body_limit = 64),
    )
}

/// The line of this file that starts with `text` (the macros record the
/// line of the route's attribute).
fn line_of(text: &str) -> usize {
    include_str!("extract.rs")
        .lines()
        .position(|line| line.starts_with(text))
        .expect("the line is in this file")
        + 1
}

fn detail(response: &framework::testing::TestResponse) -> Vec<Value> {
    assert_eq!(response.status(), 422, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    response.json::<Value>()["detail"]
        .as_array()
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn path_parameters_parse_into_their_types() {
    let response = client()
        .get("/scalars/5/0.5/yes/6ba7b810-9dad-11d1-80b4-00c04fd430c8")
        .query("color", "red")
        .send()
        .await;
    assert_eq!(response.status(), 200, "{}", response.text());
    assert_eq!(
        response.json::<Value>(),
        json!({"id": 5, "ratio": 0.5, "flag": true, "key": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "color": "red"})
    );
}

#[tokio::test]
async fn booleans_accept_fastapis_spellings() {
    let client = client();
    let cases = [
        ("true", true),
        ("1", true),
        ("on", true),
        ("YES", true),
        ("t", true),
        ("false", false),
        ("0", false),
        ("off", false),
        ("no", false),
        ("F", false),
    ];
    for (spelling, expected) in cases {
        let response = client
            .get(&format!(
                "/scalars/1/1/{spelling}/6ba7b810-9dad-11d1-80b4-00c04fd430c8"
            ))
            .send()
            .await;
        assert_eq!(
            response.json::<Value>()["flag"],
            json!(expected),
            "{spelling}"
        );
    }
}

#[tokio::test]
async fn every_bad_parameter_is_listed_at_once() {
    let response = client()
        .get("/scalars/abc/x/maybe/nope")
        .query("color", "green")
        .send()
        .await;
    let detail = detail(&response);
    assert_eq!(
        detail,
        vec![
            json!({"type": "int_parsing", "loc": ["path", "id"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"}),
            json!({"type": "float_parsing", "loc": ["path", "ratio"], "msg": "Input should be a valid number, unable to parse string as a number", "input": "x"}),
            json!({"type": "bool_parsing", "loc": ["path", "flag"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"}),
            json!({"type": "uuid_parsing", "loc": ["path", "key"], "msg": detail[3]["msg"], "input": "nope"}),
            json!({"type": "value_error", "loc": ["query", "color"], "msg": "Value error, unknown color green", "input": "green"}),
        ]
    );
    assert!(detail[3]["msg"]
        .as_str()
        .unwrap()
        .starts_with("Input should be a valid UUID, "));
}

#[tokio::test]
async fn query_parameters_are_required_optional_repeated_or_defaulted() {
    let client = client();
    let response = client.get("/query?q=hi&tag=1&tag=2").send().await;
    assert_eq!(
        response.json::<Value>(),
        json!({"q": "hi", "limit": null, "tag": [1, 2], "sort": "none", "size": 10, "item_query": ""})
    );
    let response = client
        .get("/query?q=a%20b&limit=3&tag=7&sort=asc&size=2&item-query=x")
        .send()
        .await;
    assert_eq!(
        response.json::<Value>(),
        json!({"q": "a b", "limit": 3, "tag": [7], "sort": "asc", "size": 2, "item_query": "x"})
    );

    let response = client
        .get("/query?limit=-1&tag=1&tag=x&size=300")
        .send()
        .await;
    assert_eq!(
        detail(&response),
        vec![
            json!({"type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": null}),
            json!({"type": "int_parsing", "loc": ["query", "limit"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "-1"}),
            json!({"type": "int_parsing", "loc": ["query", "tag", 1], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"}),
            json!({"type": "int_parsing", "loc": ["query", "size"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "300"}),
        ]
    );
    // A repeated parameter with no default is required, as FastAPI's `List[int] = Query()`.
    let response = client.get("/query?q=x").send().await;
    assert_eq!(
        detail(&response),
        vec![
            json!({"type": "missing", "loc": ["query", "tag"], "msg": "Field required", "input": null})
        ]
    );
    // With a default it is not.
    assert_eq!(
        client.get("/optional-tags").send().await.json::<Value>(),
        json!({"tag": []})
    );
}

#[tokio::test]
async fn headers_and_cookies_are_read_by_name() {
    let client = client();
    let response = client
        .get("/headers")
        .header("user-agent", "curl/8")
        .header("x-count", "3")
        .header("x-token", "secret")
        .header("x-tag", "a")
        .header("x-tag", "b")
        .header("cookie", "visits=4; session=abc")
        .send()
        .await;
    assert_eq!(
        response.json::<Value>(),
        json!({"user_agent": "curl/8", "x_count": 3, "token": "secret", "x_tag": ["a", "b"], "session": "abc", "visits": 4})
    );
    let response = client
        .get("/headers")
        .header("x-count", "z")
        .header("x-tag", "a")
        .send()
        .await;
    assert_eq!(
        detail(&response),
        vec![
            json!({"type": "missing", "loc": ["header", "user-agent"], "msg": "Field required", "input": null}),
            json!({"type": "int_parsing", "loc": ["header", "x-count"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "z"}),
        ]
    );
}

#[tokio::test]
async fn json_bodies_and_their_errors() {
    let client = client();
    let response = client
        .post("/items/?q=1")
        .json(&json!({"name": "pen", "price": 1.5}))
        .send()
        .await;
    assert_eq!(
        response.json::<Value>(),
        json!({"name": "pen", "price": 1.5, "tags": [], "q": "1"})
    );

    // Malformed JSON: the position is a character offset, as Python's decoder gives.
    let response = client
        .post("/items/")
        .header("content-type", "application/json")
        .body("{bad")
        .send()
        .await;
    let detail = detail(&response);
    assert_eq!(detail.len(), 1);
    assert_eq!(detail[0]["type"], "json_invalid");
    assert_eq!(detail[0]["loc"], json!(["body", 1]));
    assert_eq!(detail[0]["msg"], "JSON decode error");
    assert_eq!(detail[0]["input"], json!({}));
    assert!(detail[0]["ctx"]["error"].is_string());

    let cases = [
        (
            json!({"name": 3, "price": 1}),
            json!({"type": "string_type", "loc": ["body", "name"], "msg": "Input should be a valid string", "input": 3}),
        ),
        (
            json!({"name": "x"}),
            json!({"type": "missing", "loc": ["body", "price"], "msg": "Field required", "input": {"name": "x"}}),
        ),
        (
            json!({"name": "x", "price": 1, "tags": ["a", 2]}),
            json!({"type": "string_type", "loc": ["body", "tags", 1], "msg": "Input should be a valid string", "input": 2}),
        ),
        (
            json!({"name": "x", "price": "cheap"}),
            json!({"type": "float_type", "loc": ["body", "price"], "msg": "Input should be a valid number", "input": "cheap"}),
        ),
        (
            json!([1]),
            json!({"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": [1]}),
        ),
    ];
    for (body, expected) in cases {
        let response = client.post("/items/").json(&body).send().await;
        assert_eq!(self::detail(&response), vec![expected], "{body}");
    }

    // No body at all: the body is missing.
    let response = client.post("/items/").send().await;
    assert_eq!(
        self::detail(&response),
        vec![json!({"type": "missing", "loc": ["body"], "msg": "Field required", "input": null})]
    );
    // A body that is not JSON by its content type is not parsed as JSON.
    let response = client
        .post("/items/")
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await;
    assert_eq!(
        self::detail(&response),
        vec![
            json!({"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": "name=x"})
        ]
    );
}

#[tokio::test]
async fn bad_query_and_bad_body_share_one_422() {
    let response = client().get("/query?tag=1").send().await;
    assert_eq!(detail(&response).len(), 1);
    let response = client()
        .post("/items/?q=1")
        .json(&json!({"price": 1}))
        .send()
        .await;
    assert_eq!(detail(&response)[0]["loc"], json!(["body", "name"]));
}

#[tokio::test]
async fn forms_bytes_and_text_bodies() {
    let client = client();
    let response = client
        .post("/login")
        .form(&[("username", "ann"), ("age", "30")])
        .send()
        .await;
    assert_eq!(response.text(), "ann 30");
    let response = client.post("/login").form(&[("age", "x")]).send().await;
    let detail = detail(&response);
    assert_eq!(detail.len(), 1);
    assert!(
        detail[0]
            == json!({"type": "missing", "loc": ["body", "username"], "msg": "Field required", "input": null})
            || detail[0]
                == json!({"type": "int_parsing", "loc": ["body", "age"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"}),
        "{detail:?}"
    );
    assert_eq!(
        client
            .post("/raw")
            .body(vec![0u8, 1, 2, 255])
            .send()
            .await
            .text(),
        "4 bytes"
    );
    assert_eq!(
        client.post("/text").body("shout").send().await.text(),
        "SHOUT"
    );
    let response = client.post("/text").body(vec![0xffu8, 0xfe]).send().await;
    assert_eq!(self::detail(&response)[0]["type"], "string_unicode");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let response = client().post("/raw").body(vec![b'x'; 65]).send().await;
    assert_eq!(response.status(), 413);
    assert_eq!(response.text(), r#"{"detail":"Request Entity Too Large"}"#);
    assert_eq!(
        client()
            .post("/raw")
            .body(vec![b'x'; 64])
            .send()
            .await
            .text(),
        "64 bytes"
    );
}

#[tokio::test]
async fn a_query_model_reads_the_whole_query_string() {
    let client = client();
    assert_eq!(
        client.get("/paging?skip=5").send().await.json::<Value>(),
        json!({"skip": 5, "limit": null})
    );
    let response = client.get("/paging?skip=x&limit=2").send().await;
    assert_eq!(
        detail(&response),
        vec![
            json!({"type": "int_parsing", "loc": ["query", "skip"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"})
        ]
    );
    let response = client.get("/paging").send().await;
    assert_eq!(
        detail(&response),
        vec![
            json!({"type": "missing", "loc": ["query", "skip"], "msg": "Field required", "input": null})
        ]
    );
}

#[tokio::test]
async fn state_the_request_and_plain_fns_are_injected() {
    let client = client();
    assert_eq!(client.get("/state").send().await.text(), "hello from state");
    // State asked for and never given is refused when the app is built,
    // naming the route, where it is, and the fix; not a 500 per request.
    let refused = App::new()
        .route(missing_state)
        .state(Greeting("other state"))
        .try_into_service()
        .unwrap_err();
    let line = line_of("#[get(\"/missing-state\")]");
    assert_eq!(
        refused.to_string(),
        format!(
            "the app cannot start: route `missing_state` in tests/extract.rs:{line} asks for \
             `State<Missing>`, but the app has no `Missing` state: register it with \
             `App::new().state(Missing {{ … }})`"
        )
    );
    assert_eq!(
        client.get("/request/ann?x=1").send().await.text(),
        "ann GET /request/ann?x=1"
    );
    assert_eq!(
        client.get("/request-ref?q=z").send().await.text(),
        "/request-ref z"
    );
    assert_eq!(client.get("/sync/21").send().await.text(), "42");
}
