//! Issue 4, background tasks: added by handlers, dependencies and
//! middleware of one request, run in order after the response is sent; the
//! client never waits for them; one that fails or panics does not stop the
//! next; graceful shutdown waits for them; `TestClient` waits for them too.

mod common;

use std::sync::{Arc, Mutex};

use common::{capture_global_logs, fetch, guard, serve, Events, Observer, Running};
use framework::prelude::*;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

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

/// Serves `slow_task` with a hold on its task: the server, the test's end
/// of the hold (sending releases the task), and the news of its end.
async fn serve_slow_task() -> (
    Running,
    oneshot::Sender<()>,
    mpsc::UnboundedReceiver<&'static str>,
) {
    let (release, released) = oneshot::channel();
    let (done, task_done) = mpsc::unbounded_channel();
    let hold = Hold {
        release: Mutex::new(Some(released)),
        done,
    };
    let server = serve(App::new().state(hold).route(slow_task)).await;
    (server, release, task_done)
}

#[tokio::test]
async fn the_client_gets_its_answer_while_the_task_is_still_blocked() {
    let (server, release, mut task_done) = serve_slow_task().await;
    // The whole response arrives while the task waits for the test: had the
    // server waited for the task, this would never return.
    let (status, body) = guard(
        "the response",
        fetch(
            server.addr,
            "POST /slow-task HTTP/1.1\r\nhost: test\r\ncontent-length: 0\r\n\r\n",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"message":"accepted"}"#);
    assert!(task_done.try_recv().is_err(), "the task is still blocked");
    release.send(()).unwrap();
    assert_eq!(guard("the task", task_done.recv()).await, Some("task done"));
    server.shut_down().await.unwrap();
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
    let (server, release, mut task_done) = serve_slow_task().await;
    let (status, _) = guard(
        "the response",
        fetch(server.addr, "POST /slow-task HTTP/1.1\r\nhost: test\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200);

    // Shut down while the task is blocked: the server stops accepting but
    // must not finish before the task does.
    let Running { stop, serving, .. } = server;
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

#[middleware("http")]
async fn tag_request(mut request: Request, call_next: Next) -> Response {
    let id = framework::request::RequestId(Arc::from("req-42"));
    request.state_mut().insert(id);
    call_next(request).await
}

#[tokio::test]
async fn each_failing_task_is_logged_with_its_cause_and_the_request_id() {
    let captured = capture_global_logs();
    let events = Events::default();
    let client = TestClient::new(
        App::new()
            .state(events.clone())
            .middleware(tag_request)
            .route(failing_tasks),
    );
    assert_eq!(client.get("/failing-tasks").send().await.status(), 200);
    let log = captured.text();
    let failures: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("background task failed") && l.contains("req-42"))
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
