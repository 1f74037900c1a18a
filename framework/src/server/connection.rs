//! One connection: what its responses are written with ([`Outgoing`]),
//! and what watches it: the clock of
//! [`Config::keep_alive_timeout`](crate::app::Config), and the start of a
//! graceful shutdown.
//!
//! A connection that has no request in flight for the timeout is closed,
//! whether it sits idle between requests or a client is sending the
//! headers of the next one too slowly. hyper can keep this clock itself
//! (`header_read_timeout`), but it arms a timer for every request, which
//! cost ~1,500 instructions per request (an eighth of the server's whole
//! share of a small request). Here a request only counts itself in and out
//! of its connection's [`Watch`], without reading the clock, and one
//! [`Sweeper`] per server looks at every connection each quarter of the
//! timeout: it closes a connection once it has seen no request in flight
//! and none finished for four looks in a row, so between one and one and a
//! quarter timeouts after the last response. One sweeper for all (rather
//! than a watchdog task and a timer per connection, as before) keeps an
//! idle connection ~0.7 KiB smaller (BENCHMARKS.md).
//!
//! The sweeper also hears when the server shuts down and tells each
//! connection to finish what is in flight and close (hyper's
//! `graceful_shutdown`) through its `Watch`: a flag the connection's task
//! reads each time it runs, and its waker, kept once. A shared shutdown
//! signal polled there instead (as `hyper_util`'s graceful watcher does)
//! cost ~130 instructions per request, a oneshot channel ~75.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http_body::Frame;
use tokio::sync::watch as signal;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::body::BoxError;
use crate::response::Response;
use crate::service::ResponseBody;

/// How many looks without activity close a connection.
const LOOKS: u32 = 4;

/// Added when a request starts: one more in flight (the low half).
const STARTED: u64 = 1;
/// Added when a response has been sent: one fewer in flight, one more
/// finished (the high half, through the carry), in one step.
const FINISHED: u64 = (1 << 32) - 1;

/// What one connection shares with the sweeper. The connection's task and
/// its requests hold it; once they are gone, the sweeper forgets it.
#[derive(Default)]
pub(crate) struct Watch {
    /// Requests in flight in the low 32 bits, responses sent (wrapping)
    /// in the high 32.
    activity: AtomicU64,
    /// Whether the server asked the connection to stop.
    stop: AtomicBool,
    /// The connection task's waker, to wake it when asked to stop.
    waker: Mutex<Option<Waker>>,
    /// Aborts the connection's task.
    connection: OnceLock<AbortHandle>,
}

impl Watch {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Gives the watch the task that serves its connection.
    pub(crate) fn serves(&self, connection: AbortHandle) {
        let _ = self.connection.set(connection);
    }

    /// Marks a request as started; dropping the mark says it is done.
    pub(crate) fn busy(self: &Arc<Self>) -> Busy {
        self.activity.fetch_add(STARTED, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// Whether shutdown was requested; if not, `cx`'s task is woken when
    /// it is. `kept` is the caller's copy of the waker it last left here,
    /// so that the shared one is replaced only when the task's changes.
    pub(crate) fn stop_requested(&self, cx: &Context<'_>, kept: &mut Option<Waker>) -> bool {
        if !kept.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            let waker = cx.waker().clone();
            *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(waker.clone());
            *kept = Some(waker);
        }
        // Read after the waker is left, so that a request made meanwhile
        // is either seen here or wakes the task.
        self.stop.load(Ordering::SeqCst)
    }

    fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn abort(&self) {
        if let Some(connection) = self.connection.get() {
            connection.abort();
        }
    }
}

/// A request in flight on its connection, until dropped: the server drops
/// it with the response body, once hyper has sent it or given up on it.
pub(crate) struct Busy(Arc<Watch>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.activity.fetch_add(FINISHED, Ordering::Relaxed);
    }
}

/// What the sweeper keeps of one connection.
struct Watched {
    watch: Weak<Watch>,
    /// The activity it saw at the last look.
    seen: u64,
    /// Looks in a row with nothing in flight and nothing finished.
    quiet: u32,
}

/// The connections one server watches.
#[derive(Default)]
pub(crate) struct Sweeper {
    connections: Mutex<Vec<Watched>>,
}

impl Sweeper {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Watches one more connection. Its first look counts as activity,
    /// so that it too has the whole timeout before the first request.
    pub(crate) fn add(&self, watch: &Arc<Watch>) {
        self.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Watched {
                watch: Arc::downgrade(watch),
                seen: u64::MAX,
                quiet: 0,
            });
    }

    /// One look at every connection: forgets those that ended, closes
    /// those quiet for the whole timeout, and when `stopping`, asks the
    /// rest to stop.
    fn look(&self, stopping: bool) {
        self.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain_mut(|watched| {
                let Some(watch) = watched.watch.upgrade() else {
                    return false;
                };
                if stopping {
                    watch.request_stop();
                }
                let now = watch.activity.load(Ordering::Relaxed);
                if now != watched.seen || now & u64::from(u32::MAX) != 0 {
                    // A request started or finished since the last look,
                    // or one is in flight (a slow handler, a long stream).
                    watched.seen = now;
                    watched.quiet = 0;
                    return true;
                }
                watched.quiet += 1;
                if watched.quiet == LOOKS {
                    watch.abort();
                    return false;
                }
                true
            });
    }
}

/// Looks at every connection each quarter of `timeout` (see the module
/// docs), and passes the server's shutdown on at once; runs until the
/// sweeper is the last to hold itself.
pub(crate) async fn sweep(
    sweeper: Arc<Sweeper>,
    timeout: Duration,
    mut shutdown: signal::Receiver<()>,
) {
    let look = timeout / LOOKS;
    let mut next = Instant::now() + look;
    let mut stopping = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(next) => next += look,
            changed = shutdown.changed(), if !stopping => {
                stopping = true;
                // The server is gone once its sender is: nothing to wait for.
                if changed.is_err() && Arc::strong_count(&sweeper) == 1 {
                    return;
                }
            }
        }
        sweeper.look(stopping);
        if Arc::strong_count(&sweeper) == 1
            && sweeper
                .connections
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty()
        {
            return;
        }
    }
}

/// The response as hyper writes it: its body carries the work after the
/// response and, dropped last, the mark that the request is done.
pub(crate) fn outgoing(response: Response, busy: Option<Busy>) -> http::Response<Outgoing> {
    let (parts, body, scope) = response.into_parts();
    let body = Outgoing {
        body: ResponseBody::new(body, scope),
        rest: Bytes::new(),
        _busy: busy,
    };
    http::Response::from_parts(parts, body)
}

/// The largest piece of a body handed to hyper at once. hyper copies each
/// piece behind the response head (`writev(false)`), into a buffer that
/// stays as large as the largest piece for the life of the connection; a
/// larger chunk is handed over in pieces of this size (without copying).
const MAX_PIECE: usize = 64 * 1024;

/// The body handed to hyper.
pub(crate) struct Outgoing {
    body: ResponseBody,
    /// What is left of a chunk larger than [`MAX_PIECE`].
    rest: Bytes,
    // Dropped last: the connection counts as idle once the body is done.
    _busy: Option<Busy>,
}

impl http_body::Body for Outgoing {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.rest.is_empty() {
            match std::task::ready!(Pin::new(&mut this.body).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => this.rest = data,
                    Err(trailers) => return Poll::Ready(Some(Ok(trailers))),
                },
                other => return Poll::Ready(other),
            }
        }
        let piece = this.rest.split_to(this.rest.len().min(MAX_PIECE));
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty() && http_body::Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let mut hint = http_body::Body::size_hint(&self.body);
        let rest = self.rest.len() as u64;
        hint.set_lower(hint.lower() + rest);
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper + rest);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::sleep;

    const TIMEOUT: Duration = Duration::from_secs(4);

    #[tokio::test]
    async fn a_large_chunk_goes_to_hyper_in_pieces_and_whole() {
        use http_body_util::BodyExt;
        let big: Vec<u8> = (0..super::MAX_PIECE * 2 + 100).map(|i| i as u8).collect();
        let response = crate::response::Response::new(big.clone());
        let mut body = super::outgoing(response, None).into_body();
        assert_eq!(
            http_body::Body::size_hint(&body).exact(),
            Some(big.len() as u64)
        );
        let mut pieces = Vec::new();
        while let Some(frame) = body.frame().await {
            pieces.push(frame.unwrap().into_data().unwrap());
        }
        let sizes: Vec<usize> = pieces.iter().map(|p| p.len()).collect();
        assert_eq!(sizes, [super::MAX_PIECE, super::MAX_PIECE, 100]);
        assert_eq!(pieces.concat(), big);
    }

    /// A connection task that never ends by itself, watched by a sweeper,
    /// with what a test holds: the watch, the task, the server's shutdown.
    struct Setup {
        watch: Arc<Watch>,
        connection: tokio::task::JoinHandle<()>,
        shutdown: signal::Sender<()>,
        sweeper: Arc<Sweeper>,
    }

    fn watched() -> Setup {
        let watch = Watch::new();
        let connection = tokio::spawn(std::future::pending::<()>());
        watch.serves(connection.abort_handle());
        let sweeper = Sweeper::new();
        sweeper.add(&watch);
        let (shutdown, shutdown_rx) = signal::channel(());
        tokio::spawn(sweep(sweeper.clone(), TIMEOUT, shutdown_rx));
        Setup {
            watch,
            connection,
            shutdown,
            sweeper,
        }
    }

    /// Waits until the connection's task was aborted, and says when.
    async fn aborted(connection: tokio::task::JoinHandle<()>) -> Instant {
        assert!(connection.await.unwrap_err().is_cancelled());
        Instant::now()
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_with_no_request_closes_after_the_timeout() {
        let setup = watched();
        let opened = Instant::now();
        let idle_for = aborted(setup.connection).await - opened;
        assert!(
            idle_for >= TIMEOUT && idle_for <= TIMEOUT + TIMEOUT / LOOKS,
            "closed {idle_for:?} after it opened"
        );
        // And the sweeper forgot it.
        assert!(setup.sweeper.connections.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_counts_from_the_last_response_and_never_cuts_one_in_flight() {
        let setup = watched();
        // Requests back to back for longer than the timeout, and one that
        // takes three timeouts: the connection stays open throughout.
        for _ in 0..6 {
            let busy = setup.watch.busy();
            sleep(TIMEOUT / 2).await;
            drop(busy);
        }
        let slow = setup.watch.busy();
        sleep(TIMEOUT * 3).await;
        assert!(!setup.connection.is_finished());
        drop(slow);
        let last_response = Instant::now();
        let idle_for = aborted(setup.connection).await - last_response;
        assert!(
            idle_for >= TIMEOUT && idle_for <= TIMEOUT + TIMEOUT / LOOKS,
            "closed {idle_for:?} after the last response"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_starts_and_ends_between_two_looks_still_counts() {
        let setup = watched();
        sleep(TIMEOUT - TIMEOUT / LOOKS / 2).await;
        drop(setup.watch.busy());
        let last_response = Instant::now();
        assert!(aborted(setup.connection).await - last_response >= TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_ends_by_itself_is_forgotten() {
        let setup = watched();
        setup.connection.abort();
        drop(setup.watch);
        sleep(TIMEOUT / LOOKS).await;
        sleep(Duration::from_millis(1)).await;
        assert!(setup.sweeper.connections.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_is_passed_on_to_the_connection_at_once() {
        let setup = watched();
        let began = Instant::now();
        let mut kept = None;
        // The connection's task, asking as it runs; woken by the request.
        std::future::poll_fn(|cx| {
            if setup.watch.stop_requested(cx, &mut kept) {
                Poll::Ready(())
            } else {
                if began == Instant::now() && kept.is_some() {
                    setup.shutdown.send(()).unwrap();
                }
                Poll::Pending
            }
        })
        .await;
        assert_eq!(began.elapsed(), Duration::ZERO);
        // The sweeper still closes the connection if it then sits idle.
        let idle_for = aborted(setup.connection).await - began;
        assert!(idle_for >= TIMEOUT && idle_for <= TIMEOUT + TIMEOUT / LOOKS);
    }
}
