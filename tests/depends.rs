//! Issue 4, dependencies: resolved once per request (unless a use opts
//! out), nested, short-circuiting with an error, joining the one 422 list,
//! cleaning up after the response (or right after the handler) in reverse
//! order of setup whatever happened, usable from middleware, attached to
//! the app, a router or a route, shaped as a query "class", and overridable.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::{guard, serve, ChunkSource, ChunkStream, Events, Observer, RawClient};
use framework::prelude::*;
use framework::testing::TestResponse;
use framework::HttpError;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// How many times each dependency ran.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<HashMap<&'static str, usize>>>);

impl Calls {
    fn bump(&self, name: &'static str) -> usize {
        let mut calls = self.0.lock().unwrap();
        let count = calls.entry(name).or_default();
        *count += 1;
        *count
    }

    fn get(&self, name: &str) -> usize {
        self.0.lock().unwrap().get(name).copied().unwrap_or(0)
    }
}

/// The `loc` of each error a 422 lists, in order.
fn locs(response: &TestResponse) -> Vec<Value> {
    response.json::<Value>()["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["loc"].clone())
        .collect()
}

// ---------------------------------------------------------------------------
// Cached once per request; nested; opting out of the cache
// ---------------------------------------------------------------------------

#[depends]
async fn get_db(calls: State<Calls>) -> u32 {
    calls.bump("get_db") as u32
}

#[depends]
async fn get_repo(db: Depends<get_db>, calls: State<Calls>) -> String {
    calls.bump("get_repo");
    format!("repo on db {}", *db)
}

#[depends]
async fn get_service(repo: Depends<get_repo>, db: Depends<get_db>) -> String {
    format!("service over {} (db {})", *repo, *db)
}

#[get("/cached")]
async fn cached(
    db: Depends<get_db>,
    repo: Depends<get_repo>,
    service: Depends<get_service>,
) -> Json<Value> {
    Json(json!({"db": *db, "repo": *repo, "service": *service}))
}

#[get("/fresh")]
async fn fresh(
    db: Depends<get_db>,
    #[depends(use_cache = false)] again: Depends<get_db>,
) -> Json<Value> {
    Json(json!({"db": *db, "again": *again}))
}

#[tokio::test]
async fn a_dependency_runs_once_per_request_however_many_ask_for_it() {
    let calls = Calls::default();
    let client = TestClient::new(App::new().state(calls.clone()).routes((cached, fresh)));
    let response = client.get("/cached").send().await;
    assert_eq!(response.status(), 200);
    // get_db is asked for by the handler, by get_repo and by get_service
    // (three levels deep): it ran once, and everyone saw the same value.
    assert_eq!(
        response.json::<Value>(),
        json!({"db": 1, "repo": "repo on db 1", "service": "service over repo on db 1 (db 1)"})
    );
    assert_eq!(calls.get("get_db"), 1);
    assert_eq!(calls.get("get_repo"), 1);

    // The cache is per request: the next request resolves afresh.
    let response = client.get("/cached").send().await;
    assert_eq!(response.json::<Value>()["db"], 2);
    assert_eq!(calls.get("get_db"), 2);
}

#[tokio::test]
async fn use_cache_false_runs_the_dependency_again() {
    let calls = Calls::default();
    let client = TestClient::new(App::new().state(calls.clone()).route(fresh));
    let response = client.get("/fresh").send().await;
    assert_eq!(response.json::<Value>(), json!({"db": 1, "again": 2}));
    assert_eq!(calls.get("get_db"), 2);
}

#[depends]
async fn level_three(q: String) -> String {
    format!("<{q}>")
}

#[depends]
async fn level_two(inner: Depends<level_three>, n: u32) -> String {
    format!("{}x{n}", *inner)
}

#[depends]
fn level_one(inner: Depends<level_two>) -> String {
    format!("[{}]", *inner)
}

#[get("/nested")]
async fn nested(value: Depends<level_one>) -> String {
    value.to_string()
}

#[tokio::test]
async fn dependencies_nest_three_deep_and_may_be_plain_functions() {
    let client = TestClient::new(App::new().route(nested));
    let response = client.get("/nested?q=hi&n=3").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "[<hi>x3]");
    // Bad input three levels down joins one 422 list.
    let response = client.get("/nested?n=x").send().await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        locs(&response),
        vec![json!(["query", "q"]), json!(["query", "n"])]
    );
}

#[tokio::test]
async fn the_dependency_function_stays_callable_as_written() {
    assert_eq!(level_three::call("x".into()).await, "<x>");
    // A plain `fn` dependency stays a plain `fn`.
    let _: fn(Depends<level_two>) -> String = level_one::call;
}

// ---------------------------------------------------------------------------
// Short-circuit with an error; bad input joins the handler's 422
// ---------------------------------------------------------------------------

#[depends]
async fn current_user(#[header] authorization: Option<String>) -> Result<String, HttpError> {
    match authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
    {
        Some(token) => Ok(format!("user-{token}")),
        None => Err(HttpError::new(401, "Not authenticated").header("www-authenticate", "Bearer")),
    }
}

#[get("/profile")]
async fn profile(user: Depends<current_user>, calls: State<Calls>) -> String {
    calls.bump("profile");
    user.to_string()
}

#[tokio::test]
async fn a_dependency_may_answer_with_an_error_and_the_handler_does_not_run() {
    let calls = Calls::default();
    let client = TestClient::new(App::new().state(calls.clone()).route(profile));
    let response = client.get("/profile").send().await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        response.json::<Value>(),
        json!({"detail": "Not authenticated"})
    );
    assert_eq!(calls.get("profile"), 0);

    let response = client
        .get("/profile")
        .header("authorization", "Bearer abc")
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "user-abc");
    assert_eq!(calls.get("profile"), 1);
}

#[depends]
async fn pagination(page: u32, #[query(default = 10)] size: u32) -> (u32, u32) {
    (page, size)
}

#[get("/items/{item_id}")]
async fn read_item(
    item_id: u32,
    paging: Depends<pagination>,
    #[header] x_trace: i64,
) -> Json<Value> {
    Json(json!({"item_id": item_id, "paging": [paging.0, paging.1], "trace": x_trace}))
}

#[tokio::test]
async fn bad_input_to_a_dependency_joins_the_handlers_422() {
    let client = TestClient::new(App::new().route(read_item));
    let response = client
        .get("/items/abc?page=x&size=y")
        .header("x-trace", "z")
        .send()
        .await;
    assert_eq!(response.status(), 422);
    let body = response.json::<Value>();
    let detail = body["detail"].as_array().unwrap();
    let locs: Vec<Value> = detail.iter().map(|e| e["loc"].clone()).collect();
    // The dependency's errors first, then the handler's, as FastAPI lists them.
    assert_eq!(
        locs,
        vec![
            json!(["query", "page"]),
            json!(["query", "size"]),
            json!(["path", "item_id"]),
            json!(["header", "x-trace"]),
        ]
    );
    assert_eq!(detail[0]["type"], "int_parsing");
    assert_eq!(detail[0]["input"], "x");

    let response = client
        .get("/items/3?page=2")
        .header("x-trace", "-1")
        .send()
        .await;
    assert_eq!(
        response.json::<Value>(),
        json!({"item_id": 3, "paging": [2, 10], "trace": -1})
    );
}

// ---------------------------------------------------------------------------
// Cleanup: after the response and its tasks, or right after the handler
// ---------------------------------------------------------------------------

#[depends]
async fn resource_a(events: State<Events>) -> Yield<&'static str> {
    events.push("setup a");
    let events = events.clone();
    Yield::new("a", async move { events.push("cleanup a") })
}

#[depends]
async fn resource_b(a: Depends<resource_a>, events: State<Events>) -> Yield<String> {
    events.push("setup b");
    let events = events.clone();
    Yield::new(format!("b after {}", *a), async move {
        events.push("cleanup b")
    })
}

#[depends(scope = "function")]
async fn session(events: State<Events>) -> Yield<&'static str> {
    events.push("setup session");
    let events = events.clone();
    Yield::new("session", async move { events.push("cleanup session") })
}

#[depends]
async fn adds_a_task(
    background_tasks: BackgroundTasks,
    events: State<Events>,
) -> Result<Yield<()>, HttpError> {
    let task_events = events.clone();
    background_tasks.add_task(async move { task_events.push("task from dependency") });
    let events = events.clone();
    Ok(Yield::new((), async move { events.push("cleanup tasker") }))
}

#[get("/lifecycle")]
async fn lifecycle(
    b: Depends<resource_b>,
    s: Depends<session>,
    _t: Depends<adds_a_task>,
    background_tasks: BackgroundTasks,
    events: State<Events>,
) -> String {
    events.push("handler");
    let task_events = events.clone();
    background_tasks.add_task(async move { task_events.push("task from handler") });
    format!("{} / {}", *b, *s)
}

#[tokio::test]
async fn cleanup_runs_after_the_response_and_its_tasks_in_reverse_order_of_setup() {
    let events = Events::default();
    let client = TestClient::new(
        App::new()
            .middleware(Observer(events.clone()))
            .state(events.clone())
            .route(lifecycle),
    );
    let response = client.get("/lifecycle").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "b after a / session");
    assert_eq!(
        events.all(),
        [
            "setup a",
            "setup b",
            "setup session",
            "handler",
            // scope = "function": right after the handler, before the response.
            "cleanup session",
            "response out",
            "body sent",
            // Then the tasks, in the order added…
            "task from dependency",
            "task from handler",
            // …then the cleanups, last set up first.
            "cleanup tasker",
            "cleanup b",
            "cleanup a",
        ]
    );
}

#[get("/lifecycle-panics")]
async fn lifecycle_panics(b: Depends<resource_b>, s: Depends<session>) -> String {
    let _ = (b, s);
    panic!("handler failed")
}

#[get("/lifecycle-fails")]
async fn lifecycle_fails(b: Depends<resource_b>, s: Depends<session>) -> Result<String, HttpError> {
    let _ = (b, s);
    Err(HttpError::new(409, "Conflict"))
}

#[get("/lifecycle-refused")]
async fn lifecycle_refused(b: Depends<resource_b>, user: Depends<current_user>) -> String {
    format!("{} {}", *b, *user)
}

#[get("/lifecycle-invalid")]
async fn lifecycle_invalid(b: Depends<resource_b>, n: u32) -> String {
    format!("{} {n}", *b)
}

#[tokio::test]
async fn cleanup_runs_when_the_handler_panics_fails_or_never_runs() {
    let cases: [(&str, u16, &[&str]); 4] = [
        (
            "/lifecycle-panics",
            500,
            &[
                "setup a",
                "setup b",
                "setup session",
                "cleanup session",
                "cleanup b",
                "cleanup a",
            ],
        ),
        (
            "/lifecycle-fails",
            409,
            &[
                "setup a",
                "setup b",
                "setup session",
                "cleanup session",
                "cleanup b",
                "cleanup a",
            ],
        ),
        // A later dependency refused the request: the earlier ones clean up.
        (
            "/lifecycle-refused",
            401,
            &["setup a", "setup b", "cleanup b", "cleanup a"],
        ),
        // Bad input elsewhere: the dependencies that ran clean up.
        (
            "/lifecycle-invalid",
            422,
            &["setup a", "setup b", "cleanup b", "cleanup a"],
        ),
    ];
    for (path, status, expected) in cases {
        let events = Events::default();
        let client = TestClient::new(App::new().state(events.clone()).routes((
            lifecycle_panics,
            lifecycle_fails,
            lifecycle_refused,
            lifecycle_invalid,
        )));
        let response = client.get(path).send().await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(events.all(), expected, "{path}");
    }
}

/// Where the streaming handler finds its chunks, and the cleanup its signal.
struct Wires {
    chunks: ChunkSource,
    cleaned: mpsc::UnboundedSender<&'static str>,
}

#[depends]
async fn connection_resource(wires: State<Wires>) -> Yield<()> {
    let cleaned = wires.cleaned.clone();
    Yield::new((), async move {
        let _ = cleaned.send("cleaned up");
    })
}

#[get("/endless")]
async fn endless(
    _resource: Depends<connection_resource>,
    wires: State<Wires>,
) -> Streaming<ChunkStream> {
    Streaming::new(wires.chunks.stream())
}

#[tokio::test]
async fn cleanup_runs_when_the_client_disconnects_mid_response() {
    let (chunks, source) = ChunkSource::channel();
    let (cleaned, mut cleanup_done) = mpsc::unbounded_channel();
    let app = App::new()
        .state(Wires {
            chunks: source,
            cleaned,
        })
        .route(endless);
    let server = serve(app).await;

    let mut client = RawClient::connect(server.addr).await;
    client
        .send("GET /endless HTTP/1.1\r\nhost: test\r\n\r\n")
        .await;
    assert_eq!(guard("the response head", client.status()).await, 200);
    chunks.send(Bytes::from_static(b"only chunk")).unwrap();
    assert_eq!(
        guard("the chunk size", client.line())
            .await
            .to_ascii_lowercase(),
        "a"
    );
    assert_eq!(guard("the chunk", client.line()).await, "only chunk");
    // The body is still pending (the sender lives on) when the client leaves.
    drop(client);
    assert_eq!(
        guard("the cleanup", cleanup_done.recv()).await,
        Some("cleaned up")
    );
    drop(chunks);
    server.shut_down().await.unwrap();
}

// ---------------------------------------------------------------------------
// Dependencies in middleware share the request's cache
// ---------------------------------------------------------------------------

#[depends]
async fn user_from_header(#[header] x_user: Option<String>, calls: State<Calls>) -> Option<String> {
    calls.bump("user_from_header");
    x_user
}

#[middleware("http")]
async fn tag_user(request: Request, call_next: Next, user: Depends<user_from_header>) -> Response {
    let mut response = call_next(request).await;
    response.set_header("x-user", user.as_deref().unwrap_or("anonymous"));
    response
}

#[get("/whoami")]
async fn whoami(user: Depends<user_from_header>, calls: State<Calls>) -> Json<Value> {
    Json(json!({"user": *user, "resolved": calls.get("user_from_header")}))
}

#[tokio::test]
async fn a_dependency_resolved_by_middleware_is_cached_for_the_handler() {
    let calls = Calls::default();
    let client = TestClient::new(
        App::new()
            .middleware(tag_user)
            .state(calls.clone())
            .route(whoami),
    );
    let response = client.get("/whoami").header("x-user", "alice").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("x-user"), Some("alice"));
    assert_eq!(
        response.json::<Value>(),
        json!({"user": "alice", "resolved": 1})
    );

    // Also for a 404: the middleware resolved it, no handler ran.
    let response = client.get("/nowhere").send().await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.header("x-user"), Some("anonymous"));
    assert_eq!(calls.get("user_from_header"), 2);
}

#[depends]
async fn required_flag(flag: bool) -> bool {
    flag
}

#[middleware("http")]
async fn needs_flag(request: Request, call_next: Next, flag: Depends<required_flag>) -> Response {
    let _ = *flag;
    call_next(request).await
}

#[tokio::test]
async fn bad_input_to_a_middlewares_dependency_is_a_422() {
    let calls = Calls::default();
    let client = TestClient::new(App::new().middleware(needs_flag).state(calls).route(whoami));
    let response = client.get("/whoami?flag=maybe").send().await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.json::<Value>()["detail"][0]["loc"],
        json!(["query", "flag"])
    );
    let response = client.get("/whoami?flag=true").send().await;
    assert_eq!(response.status(), 200);
}

// ---------------------------------------------------------------------------
// Dependencies attached to the app, a router, a route
// ---------------------------------------------------------------------------

#[depends]
async fn verify_token(#[header] x_token: String, calls: State<Calls>) -> Result<(), HttpError> {
    calls.bump("verify_token");
    if x_token != "fake-super-secret-token" {
        return Err(HttpError::new(400, "X-Token header invalid"));
    }
    Ok(())
}

#[depends]
async fn verify_key(#[header] x_key: String) -> Result<String, HttpError> {
    if x_key != "fake-super-secret-key" {
        return Err(HttpError::new(400, "X-Key header invalid"));
    }
    Ok(x_key)
}

#[get("/items")]
async fn items() -> Json<Value> {
    Json(json!([{"item": "Portal Gun"}, {"item": "Plumbus"}]))
}

#[get("/open")]
async fn open() -> &'static str {
    "open"
}

#[get("/guarded", dependencies(verify_token, verify_key))]
async fn guarded() -> &'static str {
    "guarded"
}

const TOKEN: (&str, &str) = ("x-token", "fake-super-secret-token");
const KEY: (&str, &str) = ("x-key", "fake-super-secret-key");

#[tokio::test]
async fn a_dependency_attached_to_the_app_guards_every_route() {
    let calls = Calls::default();
    let client = TestClient::new(
        App::new()
            .dependency(verify_token)
            .state(calls.clone())
            .routes((items, open)),
    );
    let response = client.get("/open").send().await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["header", "x-token"], "msg": "Field required", "input": null}]})
    );
    let response = client.get("/items").header("x-token", "wrong").send().await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>(),
        json!({"detail": "X-Token header invalid"})
    );
    let response = client.get("/items").header(TOKEN.0, TOKEN.1).send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>(),
        json!([{"item": "Portal Gun"}, {"item": "Plumbus"}])
    );
}

#[tokio::test]
async fn a_dependency_attached_to_a_router_guards_its_routes_only() {
    let client = TestClient::new(
        App::new()
            .state(Calls::default())
            .include_router(
                Router::new()
                    .prefix("/keyed")
                    .dependency(verify_key)
                    .route(items),
            )
            .route(open),
    );
    assert_eq!(client.get("/open").send().await.text(), "open");
    let response = client.get("/keyed/items").send().await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.json::<Value>()["detail"][0]["loc"],
        json!(["header", "x-key"])
    );
    let response = client.get("/keyed/items").header(KEY.0, KEY.1).send().await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn dependencies_attached_to_a_route_list_their_bad_input_together() {
    let calls = Calls::default();
    let client = TestClient::new(App::new().state(calls.clone()).routes((guarded, open)));
    assert_eq!(client.get("/open").send().await.status(), 200);
    let response = client.get("/guarded").send().await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        locs(&response),
        vec![json!(["header", "x-token"]), json!(["header", "x-key"])]
    );
    let response = client
        .get("/guarded")
        .header(TOKEN.0, TOKEN.1)
        .header("x-key", "no")
        .send()
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>(),
        json!({"detail": "X-Key header invalid"})
    );
    let response = client
        .get("/guarded")
        .header(TOKEN.0, TOKEN.1)
        .header(KEY.0, KEY.1)
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "guarded");
}

#[tokio::test]
async fn the_same_dependency_attached_at_three_levels_runs_once() {
    let calls = Calls::default();
    let client = TestClient::new(
        App::new()
            .dependency(verify_token)
            .state(calls.clone())
            .include_router(
                Router::new()
                    .prefix("/r")
                    .dependency(verify_token)
                    .dependency(verify_key)
                    .route(guarded),
            ),
    );
    // Both headers missing: the app's, the router's and the route's
    // dependencies report together. A dependency that failed has no value
    // to cache, so each use reports again: FastAPI 0.12x answers with
    // exactly this list for the same app.
    let response = client.get("/r/guarded").send().await;
    assert_eq!(response.status(), 422);
    let (token, key) = (json!(["header", "x-token"]), json!(["header", "x-key"]));
    assert_eq!(
        locs(&response),
        vec![token.clone(), token.clone(), key.clone(), token, key]
    );

    let response = client
        .get("/r/guarded")
        .header(TOKEN.0, TOKEN.1)
        .header(KEY.0, KEY.1)
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(calls.get("verify_token"), 1);
}

#[depends]
async fn app_dependency(events: State<Events>) {
    events.push("app dependency");
}

#[depends]
async fn router_dependency(events: State<Events>) {
    events.push("router dependency");
}

#[depends]
async fn route_dependency(events: State<Events>) {
    events.push("route dependency");
}

/// Records itself on the way in.
struct Named(&'static str, Events);

impl Middleware for Named {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        self.1.push(self.0);
        call_next.run(request).await
    }
}

#[get("/ordered", dependencies(route_dependency))]
async fn ordered(events: State<Events>) -> &'static str {
    events.push("handler");
    "ok"
}

#[tokio::test]
async fn every_dependency_resolves_after_every_middleware() {
    let events = Events::default();
    let inner = Router::new()
        .prefix("/inner")
        .middleware(Named("inner router middleware", events.clone()))
        .dependency(router_dependency)
        .route(ordered);
    let outer = Router::new()
        .prefix("/outer")
        .middleware(Named("outer router middleware", events.clone()))
        .include_router(inner);
    let client = TestClient::new(
        App::new()
            .middleware(Named("app middleware", events.clone()))
            .dependency(app_dependency)
            .state(events.clone())
            .include_router(outer),
    );
    let response = client.get("/outer/inner/ordered").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        events.all(),
        [
            "app middleware",
            "outer router middleware",
            "inner router middleware",
            "app dependency",
            "router dependency",
            "route dependency",
            "handler",
        ]
    );
}

// ---------------------------------------------------------------------------
// Class dependencies: FastAPI's CommonQueryParams
// ---------------------------------------------------------------------------

fn default_limit() -> u32 {
    100
}

/// FastAPI's `CommonQueryParams` class, as a serde struct of query parameters.
#[derive(Deserialize, Debug, Clone)]
struct CommonQueryParams {
    q: Option<String>,
    #[serde(default)]
    skip: u32,
    #[serde(default = "default_limit")]
    limit: u32,
}

#[depends]
async fn common_parameters(params: Query<CommonQueryParams>) -> CommonQueryParams {
    params.0
}

#[get("/catalog")]
async fn catalog(commons: Depends<common_parameters>) -> Json<Value> {
    let names = ["Foo", "Bar", "Baz"];
    let items: Vec<Value> = names
        .iter()
        .skip(commons.skip as usize)
        .take(commons.limit as usize)
        .map(|name| json!({"item_name": name}))
        .collect();
    let mut response = json!({"items": items});
    if let Some(q) = &commons.q {
        response["q"] = json!(q);
    }
    Json(response)
}

#[tokio::test]
async fn a_query_class_is_a_dependency() {
    let client = TestClient::new(App::new().route(catalog));
    let response = client.get("/catalog").send().await;
    assert_eq!(
        response.json::<Value>(),
        json!({"items": [{"item_name": "Foo"}, {"item_name": "Bar"}, {"item_name": "Baz"}]})
    );
    let response = client.get("/catalog?q=x&skip=1&limit=1").send().await;
    assert_eq!(
        response.json::<Value>(),
        json!({"items": [{"item_name": "Bar"}], "q": "x"})
    );
    let response = client.get("/catalog?skip=-1").send().await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.json::<Value>()["detail"][0]["loc"],
        json!(["query", "skip"])
    );
}

// ---------------------------------------------------------------------------
// Overrides
// ---------------------------------------------------------------------------

#[depends]
async fn real_db() -> String {
    "real database".to_owned()
}

#[depends]
async fn fake_db(calls: State<Calls>) -> String {
    format!("fake database #{}", calls.bump("fake_db"))
}

#[depends]
async fn users_repo(db: Depends<real_db>) -> String {
    format!("users in {}", *db)
}

#[get("/db")]
async fn which_db(db: Depends<real_db>, repo: Depends<users_repo>) -> Json<Value> {
    Json(json!({"db": *db, "repo": *repo}))
}

#[get("/db-fresh")]
async fn which_db_fresh(
    db: Depends<real_db>,
    #[depends(use_cache = false)] again: Depends<real_db>,
) -> Json<Value> {
    Json(json!({"db": *db, "again": *again}))
}

#[tokio::test]
async fn an_override_replaces_a_dependency_everywhere() {
    let real = TestClient::new(App::new().route(which_db));
    assert_eq!(
        real.get("/db").send().await.json::<Value>(),
        json!({"db": "real database", "repo": "users in real database"})
    );

    let calls = Calls::default();
    let faked = TestClient::new(
        App::new()
            .override_dependency(real_db, fake_db)
            .state(calls.clone())
            .routes((which_db, which_db_fresh)),
    );
    assert_eq!(
        faked.get("/db").send().await.json::<Value>(),
        json!({"db": "fake database #1", "repo": "users in fake database #1"})
    );
    // `use_cache = false` runs the override again too.
    assert_eq!(
        faked.get("/db-fresh").send().await.json::<Value>(),
        json!({"db": "fake database #2", "again": "fake database #3"})
    );
}
