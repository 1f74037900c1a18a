//! After the response: what a request leaves to run once its response has
//! been sent, and who runs it.
//!
//! A request's handler and dependencies register [`BackgroundTasks`] and
//! dependency cleanups (`Yield`). When the endpoint is done they are moved
//! into a `Scope`, which travels on the [`Response`](crate::Response) out
//! through the middleware and then inside the body handed to the server
//! (`service::ResponseBody`). Whoever drops the scope last starts its work:
//! the body, once the server has sent it or the client went away, or a
//! request that no one answered. So the work runs after the response under
//! any server that drops a body when it is done with it: this crate's, or
//! hyper, axum and tonic serving the app as a `tower::Service`.
//!
//! The work runs on a task counted by the app's `Tracker`, which graceful
//! shutdown and `TestClient` wait on: the tasks one after another, in the
//! order added, then the cleanups in reverse order of setup.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::panic::{catch_unwind, panic_message};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What a task reports: success, or a failure message to log.
type Outcome = Result<(), String>;

enum Task {
    Async(BoxFuture<Outcome>),
    Blocking(Box<dyn FnOnce() -> Outcome + Send>),
}

/// The result a background task may end with: `()`, or a `Result` whose
/// error is logged.
pub trait TaskResult {
    /// `Err(message)` when the task failed.
    fn into_outcome(self) -> Result<(), String>;
}

impl TaskResult for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<T, E: Display> TaskResult for Result<T, E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map(drop).map_err(|e| e.to_string())
    }
}

/// Work to do after the response has been sent, as FastAPI's
/// `BackgroundTasks`.
///
/// Take it as a parameter of a handler or a dependency; every parameter of
/// one request shares the same list. Tasks run one after another in the
/// order added, once the response body is sent. A task that fails or panics
/// is logged and the tasks after it still run.
///
/// ```
/// use framework::prelude::*;
///
/// async fn write_log(message: String) -> std::io::Result<()> {
///     tokio::fs::write("log.txt", message).await
/// }
///
/// #[post("/send-notification/{email}")]
/// async fn send_notification(email: String, background_tasks: BackgroundTasks) -> &'static str {
///     background_tasks.add_task(write_log(format!("message to {email}\n")));
///     "sent"
/// }
/// ```
#[derive(Clone, Default)]
pub struct BackgroundTasks {
    tasks: Arc<Mutex<Vec<Task>>>,
}

impl BackgroundTasks {
    /// An empty list, for a [`Response`](crate::Response) built by hand.
    pub fn new() -> Self {
        BackgroundTasks::default()
    }

    /// Adds async work. Its output may be `()` or a `Result`, whose error is
    /// logged.
    pub fn add_task<F>(&self, task: F)
    where
        F: Future + Send + 'static,
        F::Output: TaskResult,
    {
        self.push(Task::Async(Box::pin(
            async move { task.await.into_outcome() },
        )));
    }

    /// Adds blocking work (file or CPU work, a sync client), run on the
    /// blocking thread pool so that it never stalls the server.
    pub fn add_blocking<F, R>(&self, task: F)
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskResult,
    {
        self.push(Task::Blocking(Box::new(move || task().into_outcome())));
    }

    /// How many tasks wait to run.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no task waits to run.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&self, task: Task) {
        self.lock().push(task);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Task>> {
        // A task list is never left half-written, so a poisoned lock is safe to use.
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take(&self) -> Vec<Task> {
        std::mem::take(&mut *self.lock())
    }
}

impl std::fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundTasks")
            .field("len", &self.len())
            .finish()
    }
}

/// Counts the after-response work still running, so that shutdown (and
/// `TestClient`) can wait for it.
#[derive(Clone, Default)]
pub(crate) struct Tracker {
    inner: Arc<TrackerInner>,
}

#[derive(Default)]
struct TrackerInner {
    running: AtomicUsize,
    idle: tokio::sync::Notify,
}

impl Tracker {
    pub(crate) fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let inner = self.inner.clone();
        inner.running.fetch_add(1, Ordering::SeqCst);
        let run = async move {
            work.await;
            if inner.running.fetch_sub(1, Ordering::SeqCst) == 1 {
                inner.idle.notify_waiters();
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(run);
            }
            // Outside a runtime (a response dropped by a plain test) there
            // is nowhere to run async work: run it to completion here.
            Err(_) => block_on_new_runtime(run),
        }
    }

    /// Waits until nothing runs, or `limit` passes. Returns whether idle.
    pub(crate) async fn wait_idle(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.inner.idle.notified();
                if self.inner.running.load(Ordering::SeqCst) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

fn block_on_new_runtime(work: impl Future<Output = ()>) {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(work),
        Err(e) => tracing::error!("background work dropped: no runtime ({e})"),
    }
}

/// A cleanup registered by a dependency, and when it runs.
pub(crate) struct Cleanup {
    pub(crate) work: BoxFuture<()>,
    /// `scope = "function"`: right after the handler, before the response.
    pub(crate) after_handler: bool,
}

/// What must happen after a request's response is sent: its background
/// tasks, then its dependencies' cleanup in reverse order of setup. Dropping
/// it starts the work (see the module docs).
pub(crate) struct Scope {
    tasks: Option<BackgroundTasks>,
    cleanups: Vec<BoxFuture<()>>,
    tracker: Tracker,
    request_id: Option<Arc<str>>,
}

/// Splits what a request registered into the work that runs after the
/// response (its tasks and request-scoped cleanups) and the cleanups that
/// run right after the handler (`scope = "function"`).
pub(crate) fn split(
    tasks: Option<BackgroundTasks>,
    cleanups: Vec<Cleanup>,
    tracker: &Tracker,
    request_id: Option<Arc<str>>,
) -> (Option<Scope>, Option<Scope>) {
    let (after_handler, after_response): (Vec<_>, Vec<_>) =
        cleanups.into_iter().partition(|c| c.after_handler);
    let work = |cleanups: Vec<Cleanup>| cleanups.into_iter().map(|c| c.work).collect();
    (
        Scope::new(
            tasks,
            work(after_response),
            tracker.clone(),
            request_id.clone(),
        ),
        Scope::new(None, work(after_handler), tracker.clone(), request_id),
    )
}

impl Scope {
    fn new(
        tasks: Option<BackgroundTasks>,
        cleanups: Vec<BoxFuture<()>>,
        tracker: Tracker,
        request_id: Option<Arc<str>>,
    ) -> Option<Self> {
        if tasks.is_none() && cleanups.is_empty() {
            return None;
        }
        Some(Scope {
            tasks,
            cleanups,
            tracker,
            request_id,
        })
    }

    /// Runs the cleanups now (those of `scope = "function"`, right after the handler).
    pub(crate) async fn run_cleanups_now(mut self) {
        run_cleanups(std::mem::take(&mut self.cleanups)).await;
    }

    /// Merges a scope that belongs to the same response: its tasks after
    /// ours, its cleanups (set up later) before ours.
    pub(crate) fn absorb(&mut self, mut other: Scope) {
        match (&self.tasks, other.tasks.take()) {
            (Some(mine), Some(theirs)) if !Arc::ptr_eq(&mine.tasks, &theirs.tasks) => {
                let moved = theirs.take();
                mine.lock().extend(moved);
            }
            (None, theirs) => self.tasks = theirs,
            _ => {}
        }
        self.cleanups.append(&mut other.cleanups);
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let tasks = self.tasks.take().map(|t| t.take()).unwrap_or_default();
        let cleanups = std::mem::take(&mut self.cleanups);
        if tasks.is_empty() && cleanups.is_empty() {
            return;
        }
        let request_id = self.request_id.take();
        self.tracker.spawn(async move {
            run_tasks(tasks, request_id.as_deref()).await;
            run_cleanups(cleanups).await;
        });
    }
}

async fn run_tasks(tasks: Vec<Task>, request_id: Option<&str>) {
    for (index, task) in tasks.into_iter().enumerate() {
        let outcome = match task {
            Task::Async(work) => catch_unwind(work)
                .await
                .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_message(&*panic)))),
            Task::Blocking(work) => match tokio::task::spawn_blocking(work).await {
                Ok(outcome) => outcome,
                Err(e) if e.is_panic() => {
                    Err(format!("panicked: {}", panic_message(&*e.into_panic())))
                }
                Err(e) => Err(e.to_string()),
            },
        };
        if let Err(cause) = outcome {
            tracing::error!(
                request_id = request_id.unwrap_or("-"),
                task = index,
                "background task failed: {cause}"
            );
        }
    }
}

/// Runs cleanups last-registered first; one that panics does not stop the rest.
pub(crate) async fn run_cleanups(cleanups: Vec<BoxFuture<()>>) {
    for work in cleanups.into_iter().rev() {
        if let Err(panic) = catch_unwind(work).await {
            tracing::error!("dependency cleanup panicked: {}", panic_message(&*panic));
        }
    }
}
