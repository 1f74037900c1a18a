//! Issue 4, background tasks: added by handlers, dependencies and
//! middleware of one request, run in order after the response is sent; the
//! client never waits for them; one that fails or panics does not stop the
//! next; graceful shutdown waits for them; `TestClient` waits for them too.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use framework::prelude::*;
use framework::Body;
use hyper::body::Frame;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// What happened, in order, shared by the app (as state) and the test.
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

/// A body that records when it has been sent to its end.
struct RecordEnd {
    inner: Body,
    events: Events,
}

impl hyper::body::Body for RecordEnd {
    type Data = Bytes;
    type Error = framework::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.events.push("body sent");
        }
        polled
    }
}

/// Records the response passing out, and the end of its body.
struct Observer(Events);

impl Middleware for Observer {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        let response = call_next.run(request).await;
        self.0.push("response out");
        let events = self.0.clone();
        response.map_body(move |inner| Body::new(RecordEnd { inner, events }))
    }
}

/// Serves `app` on a free port until the returned sender fires.
async fn serve(
    app: App,
) -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let server = app.bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    (addr, stop, serving)
}

/// Sends one request over a real socket and reads the whole response
/// (which must carry a `content-length`): its status and body.
async fn fetch(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection early");
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .expect("a content-length");
        if buf.len() >= end + 4 + length {
            let status = head.split(' ').nth(1).unwrap().parse().unwrap();
            let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).into_owned();
            return (status, body);
        }
    }
}

async fn guard<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(std::time::Duration::from_secs(60), future)
        .await
        .unwrap_or_else(|_| panic!("{what} never happened"))
}

// ---------------------------------------------------------------------------
// Order: dependency's then handler's, async and blocking, after the response
// ---------------------------------------------------------------------------

#[depends]
async fn audit(background_tasks: BackgroundTasks, events: State<Events>) -> &'static str {
    let e = events.clone();
    background_tasks.add_task(async move { e.push("dependency task") });
    let e = events.clone();
    background_tasks.add_blocking(move || e.push("dependency blocking task"));
    "audited"
}

#[post("/send-notification/{email}")]
async fn send_notification(
    email: String,
    background_tasks: BackgroundTasks,
    audited: Depends<audit>,
    events: State<Events>,
) -> Json<Value> {
    events.push("handler");
    let e = events.clone();
    background_tasks.add_task(async move { e.push(format!("message to {email}")) });
    let e = events.clone();
    background_tasks.add_blocking(move || e.push("handler blocking task"));
    Json(json!({"message": "Message sent", "audit": *audited}))
}

#[middleware("http")]
async fn task_in_middleware(mut request: Request, call_next: Next) -> Response {
    let tasks = request.background_tasks();
    let events = request.state().get::<Events>().cloned();
    if let Some(events) = events {
        tasks.add_task(async move { events.push("middleware task") });
    }
    call_next(request).await
}

/// Puts the test's event log in `request.state`, for middleware.
struct ProvideEvents(Events);

impl Middleware for ProvideEvents {
    async fn dispatch(&self, mut request: Request, call_next: Next<'_>) -> Response {
        request.state_mut().insert(self.0.clone());
        call_next.run(request).await
    }
}

#[tokio::test]
async fn tasks_of_a_request_run_in_order_after_the_response_is_sent() {
    let events = Events::default();
    let client = TestClient::new(
        App::new()
            .middleware(Observer(events.clone()))
            .middleware(ProvideEvents(events.clone()))
            .middleware(task_in_middleware)
            .state(events.clone())
            .route(send_notification),
    );
    let response = client
        .post("/send-notification/foo@example.com")
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>(),
        json!({"message": "Message sent", "audit": "audited"})
    );
    // TestClient waited for the tasks: they are all done already.
    assert_eq!(
        events.all(),
        [
            "handler",
            "response out",
            "body sent",
            "middleware task",
            "dependency task",
            "dependency blocking task",
            "message to foo@example.com",
            "handler blocking task",
        ]
    );
}

#[tokio::test]
async fn tasks_added_before_a_middleware_answers_by_itself_still_run() {
    let events = Events::default();
    let client = TestClient::new(
        App::new()
            .middleware(ProvideEvents(events.clone()))
            .middleware(task_in_middleware)
            .state(events.clone())
            .route(send_notification),
    );
    // No route: the router answers 404, and the middleware's task still runs.
    let response = client.get("/missing").send().await;
    assert_eq!(response.status(), 404);
    assert_eq!(events.all(), ["middleware task"]);
}

// ---------------------------------------------------------------------------
// The client never waits
// ---------------------------------------------------------------------------

/// The test's hold on the one background task: it runs until released.
struct Hold {
    release: Mutex<Option<oneshot::Receiver<()>>>,
    done: mpsc::UnboundedSender<&'static str>,
}

#[post("/slow-task")]
async fn slow_task(background_tasks: BackgroundTasks, hold: State<Hold>) -> Json<Value> {
    let release = hold
        .release
        .lock()
        .unwrap()
        .take()
        .expect("one request per test");
    let done = hold.done.clone();
    background_tasks.add_task(async move {
        let _ = release.await;
        let _ = done.send("task done");
    });
    Json(json!({"message": "accepted"}))
}

#[tokio::test]
async fn the_client_gets_its_answer_while_the_task_is_still_blocked() {
    let (release, released) = oneshot::channel();
    let (done, mut task_done) = mpsc::unbounded_channel();
    let hold = Hold {
        release: Mutex::new(Some(released)),
        done,
    };
    let (addr, stop, serving) = serve(App::new().state(hold).route(slow_task)).await;
    // The whole response arrives while the task waits for the test: had the
    // server waited for the task, this would never return.
    let (status, body) = guard(
        "the response",
        fetch(
            addr,
            "POST /slow-task HTTP/1.1\r\nhost: test\r\ncontent-length: 0\r\n\r\n",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"message":"accepted"}"#);
    assert!(task_done.try_recv().is_err(), "the task is still blocked");
    release.send(()).unwrap();
    assert_eq!(guard("the task", task_done.recv()).await, Some("task done"));
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
}

// ---------------------------------------------------------------------------
// Failures are logged and do not stop the next task
// ---------------------------------------------------------------------------

#[get("/failing-tasks")]
async fn failing_tasks(background_tasks: BackgroundTasks, events: State<Events>) -> &'static str {
    background_tasks.add_task(async { Err::<(), _>(std::io::Error::other("disk full")) });
    let e = events.clone();
    background_tasks.add_task(async move { e.push("after a failing task") });
    background_tasks.add_task(async {
        if true {
            panic!("task panicked");
        }
    });
    let e = events.clone();
    background_tasks.add_task(async move { e.push("after a panicking task") });
    background_tasks.add_blocking(|| -> Result<(), String> { Err("blocking failure".into()) });
    background_tasks.add_blocking(|| -> () { panic!("blocking task panicked") });
    let e = events.clone();
    background_tasks.add_blocking(move || e.push("after a panicking blocking task"));
    "queued"
}

#[tokio::test]
async fn a_failing_or_panicking_task_does_not_stop_the_next() {
    let events = Events::default();
    let client = TestClient::new(App::new().state(events.clone()).route(failing_tasks));
    let response = client.get("/failing-tasks").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "queued");
    assert_eq!(
        events.all(),
        [
            "after a failing task",
            "after a panicking task",
            "after a panicking blocking task"
        ]
    );
    // The server keeps serving.
    let response = client.get("/failing-tasks").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(events.all().len(), 6);
}

// ---------------------------------------------------------------------------
// Graceful shutdown waits for the tasks of answered requests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn graceful_shutdown_waits_for_the_tasks_of_answered_requests() {
    let (release, released) = oneshot::channel();
    let (done, mut task_done) = mpsc::unbounded_channel();
    let hold = Hold {
        release: Mutex::new(Some(released)),
        done,
    };
    let (addr, stop, serving) = serve(App::new().state(hold).route(slow_task)).await;
    let (status, _) = guard(
        "the response",
        fetch(addr, "POST /slow-task HTTP/1.1\r\nhost: test\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200);

    // Shut down while the task is blocked: the server stops accepting but
    // must not finish before the task does.
    stop.send(()).unwrap();
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert!(
        !serving.is_finished(),
        "the server finished with a task still running"
    );
    release.send(()).unwrap();
    guard("the shutdown", serving).await.unwrap().unwrap();
    // The task had finished by the time the server did.
    assert_eq!(task_done.try_recv(), Ok("task done"));
}

// ---------------------------------------------------------------------------
// TestClient waits for the tasks
// ---------------------------------------------------------------------------

#[post("/deferred")]
async fn deferred(background_tasks: BackgroundTasks, events: State<Events>) -> StatusCode {
    let e = events.clone();
    background_tasks.add_task(async move {
        // Let everything else run first: the write happens late.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        tokio::task::spawn_blocking(|| ()).await.unwrap();
        e.push("written");
    });
    StatusCode::ACCEPTED
}

#[tokio::test]
async fn test_client_waits_for_the_tasks_before_returning() {
    let events = Events::default();
    let client = TestClient::new(App::new().state(events.clone()).route(deferred));
    let response = client.post("/deferred").send().await;
    assert_eq!(response.status(), 202);
    assert_eq!(events.all(), ["written"]);
}

// ---------------------------------------------------------------------------
// Each failure is logged with its cause and the request id
// ---------------------------------------------------------------------------

/// Collects formatted log lines.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[middleware("http")]
async fn tag_request(mut request: Request, call_next: Next) -> Response {
    let id = framework::request::RequestId(Arc::from("req-42"));
    request.state_mut().insert(id);
    call_next(request).await
}

#[tokio::test]
async fn each_failing_task_is_logged_with_its_cause_and_the_request_id() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // The test runtime is single-threaded, so the thread's default
    // subscriber sees the task runner's events.
    let _guard = tracing::subscriber::set_default(subscriber);
    let events = Events::default();
    let client = TestClient::new(
        App::new()
            .state(events.clone())
            .middleware(tag_request)
            .route(failing_tasks),
    );
    assert_eq!(client.get("/failing-tasks").send().await.status(), 200);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let failures: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("background task failed"))
        .collect();
    assert_eq!(failures.len(), 4, "{log}");
    for (line, cause) in failures.iter().zip([
        "disk full",
        "task panicked",
        "blocking failure",
        "blocking task panicked",
    ]) {
        assert!(line.contains(cause), "{line}");
        assert!(line.contains("req-42"), "{line}");
    }
}
