//! The core's seams: parameters placed by trait (renamed imports and an
//! extractor defined here), the route metadata, what the app refuses at
//! start-up, the app as a tower `Service` (called directly, with tower
//! layers inside it, with services mounted in it), and the listeners.

mod common;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use framework::extract::FromRequest;
use framework::meta::{ParamSource, Presence};
use framework::prelude::*;
use framework::{ClientAddr, HeaderMap as Headers, Json as J, Method as Verb, Uri as Target};
use framework::{ValidationError, Version};
use http_body_util::BodyExt;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Parameters placed by their type
// ---------------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct Item {
    name: String,
}

/// Every parameter here is placed by its type, through renamed imports.
#[post("/renamed/{id}")]
async fn renamed(
    id: u32,
    body: J<Item>,
    headers: Headers,
    method: Verb,
    uri: Target,
    version: Version,
    client: ClientAddr,
) -> J<Value> {
    J(json!({
        "id": id,
        "name": body.name,
        "agent": headers.get("user-agent").and_then(|v| v.to_str().ok()),
        "method": method.as_str(),
        "uri": uri.to_string(),
        "version": format!("{version:?}"),
        "client": client.0.map(|c| c.ip().to_string()),
    }))
}

/// An extractor this test crate defines: the `x-caller` header, which
/// must be there. Its problem joins the one 422, filed as a header's.
struct Caller(String);

impl FromRequest for Caller {
    const SOURCE: ParamSource = ParamSource::Header;

    async fn from_request(
        request: &mut Request,
        errors: &mut ValidationError,
    ) -> Result<Option<Self>, Response> {
        match request.header("x-caller") {
            Some("blocked") => Err(HttpError::new(403, "Blocked").into_response()),
            Some(caller) => Ok(Some(Caller(caller.to_owned()))),
            None => {
                errors.push(framework::error::ErrorDetail::missing(vec![
                    "header".into(),
                    "x-caller".into(),
                ]));
                Ok(None)
            }
        }
    }
}

#[get("/caller")]
async fn caller(who: Caller, limit: u32) -> String {
    format!("{} {limit}", who.0)
}

#[tokio::test]
async fn renamed_imports_and_head_parts_are_extracted_by_type() {
    let client = TestClient::new(App::new().route(renamed));
    let response = client
        .post("/renamed/7?x=1")
        .header("user-agent", "probe/1")
        .json(&json!({"name": "hammer"}))
        .send()
        .await;
    assert_eq!(response.status(), 200, "{}", response.text());
    assert_eq!(
        response.json::<Value>(),
        json!({
            "id": 7, "name": "hammer", "agent": "probe/1", "method": "POST",
            "uri": "/renamed/7?x=1", "version": "HTTP/1.1", "client": "127.0.0.1",
        })
    );
    // A renamed `Json` is still the body, with its 422.
    let response = client.post("/renamed/7").json(&json!({})).send().await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.json::<Value>()["detail"][0]["loc"],
        json!(["body", "name"])
    );
}

#[tokio::test]
async fn an_extractor_defined_outside_the_framework_joins_the_one_422() {
    let client = TestClient::new(App::new().route(caller));
    let response = client
        .get("/caller?limit=3")
        .header("x-caller", "ann")
        .send()
        .await;
    assert_eq!(response.text(), "ann 3");
    // Declared first, but a header: listed after the query, as FastAPI orders them.
    let response = client.get("/caller?limit=x").send().await;
    assert_eq!(response.status(), 422);
    let locs: Vec<Value> = response.json::<Value>()["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![json!(["query", "limit"]), json!(["header", "x-caller"])]
    );
    // And it may answer by itself.
    let response = client
        .get("/caller?limit=1")
        .header("x-caller", "blocked")
        .send()
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.text(), r#"{"detail":"Blocked"}"#);
}

// ---------------------------------------------------------------------------
// The route metadata
// ---------------------------------------------------------------------------

struct Settings {
    prefix: &'static str,
}

#[depends]
async fn get_settings(settings: State<Settings>, #[header] x_tenant: Option<String>) -> String {
    format!("{}{}", settings.prefix, x_tenant.unwrap_or_default())
}

#[depends]
async fn current_user(tenant: Depends<get_settings>, token: String) -> String {
    format!("{}:{token}", *tenant)
}

#[depends]
async fn audit() {}

/// Reads one item.
///
/// With its owner.
#[get(
    "/items/{item_id}",
    tags = ["items"],
    summary = "Read one",
    deprecated,
    include_in_schema = false,
    operation_id = "read_item_op",
    response_description = "The item",
    dependencies(audit),
    status_code = 203
)]
async fn read_item(
    item_id: i64,
    #[query(alias = "item-query", default = 10)] limit: u32,
    #[header] user_agent: Option<String>,
    user: Depends<current_user>,
) -> J<Value> {
    J(json!({"item_id": item_id, "limit": limit, "agent": user_agent, "user": *user}))
}

#[tokio::test]
async fn every_route_keeps_what_the_macros_and_the_types_said() {
    let service = App::new()
        .state(Settings { prefix: "t-" })
        .dependency(audit)
        .include_router(Router::new().prefix("/v1").route(read_item))
        .into_service();
    let routes = service.routes();
    assert_eq!(routes.len(), 1);
    let route = &routes[0];
    let meta = route.meta;
    assert_eq!(
        (meta.name, meta.template, meta.methods, meta.status_code),
        ("read_item", "/items/{item_id}", &["GET"][..], Some(203))
    );
    assert_eq!(route.path, "/v1/items/{item_id}");
    assert!(
        meta.file.ends_with("seams.rs") && meta.line > 0,
        "{}:{}",
        meta.file,
        meta.line
    );
    assert_eq!(meta.doc, "Reads one item.\n\nWith its owner.");
    let openapi = &meta.openapi;
    assert_eq!(openapi.tags, ["items"]);
    assert_eq!(openapi.summary, Some("Read one"));
    assert!(openapi.deprecated && !openapi.include_in_schema);
    assert_eq!(openapi.operation_id, Some("read_item_op"));
    assert_eq!(openapi.response_description, Some("The item"));
    // The app's dependency first, then the route's own.
    let attached: Vec<&str> = route.dependencies.iter().map(|d| d.name).collect();
    assert_eq!(attached, ["audit", "audit"]);
    assert!(
        route
            .returns
            .name
            .contains("Json<serde_json::value::Value>"),
        "{}",
        route.returns.name
    );

    let params: Vec<(&str, &str, ParamSource)> = route
        .params
        .iter()
        .map(|p| (p.name, p.key.as_str(), p.source))
        .collect();
    assert_eq!(
        params,
        [
            ("item_id", "item_id", ParamSource::Path),
            ("limit", "item-query", ParamSource::Query),
            ("user_agent", "user-agent", ParamSource::Header),
            ("user", "user", ParamSource::Dependency),
        ]
    );
    let [item_id, limit, user_agent, user] = &route.params[..] else {
        unreachable!()
    };
    assert!(matches!(item_id.presence, Presence::Required));
    assert_eq!(item_id.ty.name, "i64");
    assert!(item_id.ty.schema.is_some());
    assert!(matches!(&limit.presence, Presence::Default { value: Some(v) } if *v == json!(10)));
    assert_eq!(limit.alias, Some("item-query"));
    assert!(matches!(user_agent.presence, Presence::Optional));
    // The dependency, with its own parameters, recursively.
    let user = user.dependency.as_ref().unwrap();
    assert_eq!(user.name, "current_user");
    let inner: Vec<(&str, ParamSource)> = user.params.iter().map(|p| (p.name, p.source)).collect();
    assert_eq!(
        inner,
        [
            ("tenant", ParamSource::Dependency),
            ("token", ParamSource::Query)
        ]
    );
    let settings = user.params[0].dependency.as_ref().unwrap();
    assert_eq!(settings.name, "get_settings");
    assert_eq!(settings.params[0].source, ParamSource::Injected);
    assert!(settings.params[0].state.unwrap().name.ends_with("Settings"));
    assert_eq!(settings.params[1].key, "x-tenant");
    assert_eq!(settings.output.name, "alloc::string::String");

    // And the route serves as its metadata says.
    let client = TestClient::from_service(service);
    let response = client
        .get("/v1/items/5?token=abc&item-query=2")
        .header("x-tenant", "acme")
        .send()
        .await;
    assert_eq!(response.status(), 203, "{}", response.text());
    assert_eq!(
        response.json::<Value>(),
        json!({"item_id": 5, "limit": 2, "agent": null, "user": "t-acme:abc"})
    );
}

// ---------------------------------------------------------------------------
// Refused at start-up
// ---------------------------------------------------------------------------

#[get("/settings")]
async fn needs_settings_through_a_dependency(user: Depends<current_user>) -> String {
    user.to_string()
}

#[middleware("http")]
async fn settings_middleware(
    request: Request,
    call_next: Next,
    settings: State<Settings>,
) -> Response {
    let _ = settings.prefix;
    call_next(request).await
}

#[get("/twice")]
async fn first_twice() -> &'static str {
    "first"
}

#[get("/twice")]
async fn second_twice() -> &'static str {
    "second"
}

#[post("/two-bodies")]
async fn two_bodies(first: Json<Value>, second: Bytes) -> String {
    format!("{first:?}{second:?}")
}

/// The line where the macros say `name` was declared: its attribute's,
/// right above `async fn name(`.
fn declared(name: &str) -> String {
    let fn_line = include_str!("seams.rs")
        .lines()
        .position(|line| line.starts_with(&format!("async fn {name}(")))
        .expect("the function is in this file");
    format!("tests/seams.rs:{fn_line}")
}

#[test]
fn missing_state_duplicate_routes_and_two_bodies_refuse_to_start_naming_each() {
    let refused = App::new()
        .middleware(settings_middleware)
        .routes((
            needs_settings_through_a_dependency,
            first_twice,
            second_twice,
            two_bodies,
        ))
        .try_into_service()
        .unwrap_err();
    let fix =
        "but the app has no `Settings` state: register it with `App::new().state(Settings { … })`";
    assert_eq!(
        refused.problems(),
        [
            format!(
                "route `GET /twice` is declared twice: `first_twice` in {} and `second_twice` in {}; \
                 remove one, or change its path or method",
                declared("first_twice"),
                declared("second_twice"),
            ),
            format!(
                "route `needs_settings_through_a_dependency` in {} asks for `State<Settings>` through \
                 dependency `current_user` in {} through dependency `get_settings` in {}, {fix}",
                declared("needs_settings_through_a_dependency"),
                declared("current_user"),
                declared("get_settings"),
            ),
            format!(
                "route `two_bodies` in {} takes two bodies, `first` and `second`: a route reads one \
                 body (`Json<T>`, `Form<T>` or `Bytes`)",
                declared("two_bodies"),
            ),
            format!(
                "middleware `settings_middleware` in {} asks for `State<Settings>`, {fix}",
                declared("settings_middleware"),
            ),
        ]
    );
    assert!(refused
        .to_string()
        .starts_with("the app cannot start:\n  - route `GET /twice`"));
    // `TestClient` refuses the same way (`App::run` logs it and returns it).
    let Err(panic) = std::panic::catch_unwind(|| {
        TestClient::new(App::new().route(first_twice).route(first_twice))
    }) else {
        panic!("a route declared twice started")
    };
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("the app cannot start: route `GET /twice` is declared twice"),
        "{message}"
    );
    // Given the state, the same routes start.
    assert!(App::new()
        .middleware(settings_middleware)
        .state(Settings { prefix: "" })
        .route(needs_settings_through_a_dependency)
        .try_into_service()
        .is_ok());
}

// ---------------------------------------------------------------------------
// The app as a tower Service
// ---------------------------------------------------------------------------

/// What a test saw happen, in order.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }

    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

#[get("/work")]
async fn work(events: State<Events>, tasks: BackgroundTasks, request: &Request) -> String {
    let events = (*events).clone();
    events.push("handler");
    tasks.add_task(async move { events.push("task") });
    request.header("x-from-layer").unwrap_or("-").to_owned()
}

#[middleware("http")]
async fn outer(request: Request, call_next: Next) -> Response {
    let mut response = call_next(request).await;
    response.set_header("x-outer", "yes");
    response
}

/// A tower layer written by hand: it marks the request and says, on the
/// response, which path it saw.
#[derive(Clone)]
struct Tag;

impl<S> tower_layer::Layer<S> for Tag {
    type Service = Tagged<S>;

    fn layer(&self, inner: S) -> Tagged<S> {
        Tagged(inner)
    }
}

#[derive(Clone)]
struct Tagged<S>(S);

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> tower_service::Service<http::Request<framework::Body>> for Tagged<S>
where
    S: tower_service::Service<
        http::Request<framework::Body>,
        Response = http::Response<framework::Body>,
        Error = Infallible,
    >,
    S::Future: Send + 'static,
{
    type Response = http::Response<framework::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<framework::Body>) -> Self::Future {
        request
            .headers_mut()
            .insert("x-from-layer", http::HeaderValue::from_static("tagged"));
        let path = request.uri().path().to_owned();
        let inner = self.0.call(request);
        Box::pin(async move {
            let mut response = inner.await?;
            response
                .headers_mut()
                .insert("x-layer-saw", http::HeaderValue::try_from(path).unwrap());
            Ok(response)
        })
    }
}

#[tokio::test]
async fn a_tower_layer_sits_in_the_onion_and_the_work_after_the_response_passes_it() {
    let events = Events::default();
    let app = App::new()
        .middleware(outer)
        .layer(Tag)
        .state(events.clone())
        .route(work);
    assert_eq!(
        app.describe_middleware(),
        "middleware, outermost first: outer → Tag"
    );
    let client = TestClient::new(app);
    let response = client.get("/work").send().await;
    assert_eq!(response.text(), "tagged");
    assert_eq!(response.header("x-layer-saw"), Some("/work"));
    assert_eq!(response.header("x-outer"), Some("yes"));
    // The task rode through the layer in the response and ran after it.
    assert_eq!(events.all(), ["handler", "task"]);
    // The layer sees what the router answers too.
    let response = client.get("/nowhere").send().await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.header("x-layer-saw"), Some("/nowhere"));
}

/// A tower service of its own: it answers the path and query it was given.
#[derive(Clone)]
struct Echo;

impl tower_service::Service<http::Request<framework::Body>> for Echo {
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<http::Response<String>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<framework::Body>) -> Self::Future {
        let seen = request
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default();
        std::future::ready(Ok(http::Response::new(seen)))
    }
}

#[tokio::test]
async fn a_mounted_service_sees_the_path_without_its_prefix_inside_the_apps_middleware() {
    let client = TestClient::new(
        App::new()
            .middleware(outer)
            .mount("/legacy", Echo)
            .route(first_twice),
    );
    let response = client.get("/legacy/items/3?x=1").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "/items/3?x=1");
    assert_eq!(response.header("x-outer"), Some("yes"));
    assert_eq!(client.get("/legacy/").send().await.text(), "/");
    // As Starlette's `Mount`: the prefix alone is redirected to `prefix/`.
    let response = client.get("/legacy").send().await;
    assert_eq!(response.status(), 307);
    assert_eq!(
        response.header("location"),
        Some("http://testserver/legacy/")
    );
    // The app's own routes are untouched.
    assert_eq!(client.get("/twice").send().await.text(), "first");
}

#[tokio::test]
async fn another_server_can_call_the_app_and_the_tasks_wait_for_the_body() {
    use tower_service::Service;
    let events = Events::default();
    let mut service = App::new().state(events.clone()).route(work).into_service();
    type Full = http_body_util::Full<Bytes>;
    let request = http::Request::get("/work")
        .body(Full::new(Bytes::new()))
        .unwrap();
    std::future::poll_fn(|cx| Service::<http::Request<Full>>::poll_ready(&mut service, cx))
        .await
        .unwrap();
    let response = service.call(request).await.unwrap();
    assert_eq!(response.status(), 200);
    // The response is made; its body is not sent yet, so the task waits.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(events.all(), ["handler"]);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "-");
    common::guard("the task after the body", async {
        while events.all().len() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(events.all(), ["handler", "task"]);
}

#[tokio::test]
async fn the_app_served_by_plain_hyper_answers_over_a_socket() {
    let service = App::new()
        .middleware(outer)
        .route(first_twice)
        .into_service();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, peer) = listener.accept().await.unwrap();
        let hyper_service =
            hyper::service::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
                // How a server tells the app who the client is.
                request.extensions_mut().insert(ClientAddr(Some(peer)));
                let mut service = service.clone();
                tower_service::Service::call(&mut service, request)
            });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(stream), hyper_service)
            .await;
    });
    let (status, body) = common::fetch(
        addr,
        "GET /twice HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "first"));
}

// ---------------------------------------------------------------------------
// Listeners
// ---------------------------------------------------------------------------

#[get("/client")]
async fn client_of(client: ClientAddr) -> String {
    format!("{:?}", client.0.map(|c| c.ip()))
}

#[tokio::test]
async fn the_server_serves_a_unix_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = std::env::temp_dir().join(format!("framework-uds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("app.sock");
    // A socket file left by an earlier run is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let listener = framework::server::listener::bind_unix(&path).unwrap();
    let server = App::new().route(client_of).serve(listener);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    stream
        .write_all(b"GET /client HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    // A Unix socket's peer has no address.
    assert!(answer.ends_with("\r\n\r\nNone"), "{answer}");
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_server_serves_a_socket_inherited_as_a_descriptor() {
    use std::os::fd::IntoRawFd;
    let bound = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = bound.local_addr().unwrap();
    let fd = bound.into_raw_fd();
    let framework::server::listener::Inherited::Tcp(listener) =
        framework::server::listener::from_fd(fd as u32).unwrap()
    else {
        panic!("a TCP socket was taken for another kind")
    };
    let server = App::new().route(client_of).serve(listener);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    let (status, body) = common::fetch(
        addr,
        "GET /client HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "Some(127.0.0.1)"));
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
    // What is not an open socket is refused, naming it.
    let error = framework::server::listener::from_fd(2).unwrap_err();
    assert_eq!(
        error.to_string(),
        "--fd 2 is standard input, output or error, not a socket"
    );
}

/// The real `hello` binary, listening where `args` say, until it is killed.
fn spawn_hello(args: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new(common::hello_binary())
        .args(args)
        .arg("--no-access-log")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn hello_listens_on_a_unix_socket_with_uds() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let path = std::env::temp_dir().join(format!("framework-hello-{}.sock", std::process::id()));
    let _child = spawn_hello(&["--uds", path.to_str().unwrap()]);
    let mut stream = common::guard("the socket to appear", async {
        loop {
            if let Ok(stream) = tokio::net::UnixStream::connect(&path).await {
                break stream;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with(r#"{"message":"Hello World"}"#), "{answer}");
    let _ = std::fs::remove_file(&path);
}

/// A socket bound by another process and passed on as a descriptor, as a
/// supervisor or systemd does; Python's `pass_fds` does the passing, since
/// passing a descriptor to a child from Rust needs `unsafe`.
#[tokio::test]
async fn hello_serves_a_socket_passed_to_it_with_fd() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(std::env::var_os("CI").is_none(), "python3 is needed in CI");
        eprintln!("skipped: no python3 to pass a socket");
        return;
    }
    let script = r#"
import socket, subprocess, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
child = subprocess.Popen([sys.argv[1], "--fd", str(s.fileno()), "--no-access-log"], pass_fds=[s.fileno()], stdout=subprocess.DEVNULL)
s.close()
sys.stdin.read()
child.kill()
"#;
    let mut python = tokio::process::Command::new("python3")
        .args(["-c", script, common::hello_binary().to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(python.stdout.take().unwrap()).lines();
    let port: u16 = lines
        .next_line()
        .await
        .unwrap()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    // The socket listens before the child runs: the request waits for it.
    let (status, body) = common::fetch(
        addr,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"message":"Hello World"}"#)
    );
    drop(python.stdin.take());
    let _ = python.wait().await;
}
