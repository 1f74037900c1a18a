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
//! share of a small request). Here each connection has one watchdog task
//! that looks every quarter of the timeout, and a request only counts
//! itself in and out, without reading the clock: the watchdog closes the
//! connection once it has seen no request in flight and none finished for
//! four looks in a row, so between one and one and a quarter timeouts after
//! the last response.
//!
//! The same watchdog hears when the server shuts down and tells its
//! connection to finish what is in flight and close (hyper's
//! `graceful_shutdown`) through a [`Stop`]: a flag the connection's task
//! reads each time it runs, and its waker, kept once. A shared shutdown
//! signal polled there instead (as `hyper_util`'s graceful watcher does)
//! cost ~130 instructions per request, a oneshot channel ~75.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http_body::Frame;

use tokio::sync::{oneshot, watch as signal};
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

/// What the watchdog of one connection reads: requests in flight in the
/// low 32 bits, responses sent (wrapping) in the high 32.
pub(crate) struct Idle(AtomicU64);

impl Idle {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Idle(AtomicU64::new(0)))
    }

    /// Marks a request as started; dropping the mark says it is done.
    pub(crate) fn busy(self: &Arc<Self>) -> Busy {
        self.0.fetch_add(STARTED, Ordering::Relaxed);
        Busy(self.clone())
    }
}

/// A request in flight on its connection, until dropped: the server drops
/// it with the response body, once hyper has sent it or given up on it.
pub(crate) struct Busy(Arc<Idle>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0 .0.fetch_add(FINISHED, Ordering::Relaxed);
    }
}

/// The watchdog's word to its connection that the server is shutting down.
#[derive(Default)]
pub(crate) struct Stop {
    requested: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Stop {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Whether shutdown was requested; if not, `cx`'s task is woken when
    /// it is. `kept` is the caller's copy of the waker it last left here,
    /// so that the shared one is replaced only when the task's changes.
    pub(crate) fn requested(&self, cx: &Context<'_>, kept: &mut Option<Waker>) -> bool {
        if !kept.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            let waker = cx.waker().clone();
            *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(waker.clone());
            *kept = Some(waker);
        }
        // Read after the waker is left, so that a request made meanwhile
        // is either seen here or wakes the task.
        self.requested.load(Ordering::SeqCst)
    }

    fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// What the watchdog of one connection is given.
pub(crate) struct Watched {
    pub(crate) idle: Arc<Idle>,
    pub(crate) timeout: Duration,
    /// Aborts the connection's task.
    pub(crate) connection: AbortHandle,
    /// Ends when the connection's task ends by itself.
    pub(crate) closed: oneshot::Receiver<()>,
    /// Changes when the server shuts down.
    pub(crate) shutdown: signal::Receiver<()>,
    /// Tells the connection to shut down gracefully.
    pub(crate) stop: Arc<Stop>,
}

/// Watches one connection: aborts its task once it has had no request in
/// flight for the timeout, and passes the server's shutdown on to it;
/// returns when the connection ends by itself.
pub(crate) async fn watch(watched: Watched) {
    let Watched {
        idle,
        timeout,
        connection,
        mut closed,
        mut shutdown,
        stop,
    } = watched;
    let mut stopping = false;
    let look = timeout / LOOKS;
    let mut seen = idle.0.load(Ordering::Relaxed);
    let mut quiet = 0;
    let mut next = Instant::now() + look;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            _ = &mut closed => return,
            _ = shutdown.changed(), if !stopping => {
                stopping = true;
                stop.request();
                continue;
            }
        }
        next += look;
        let now = idle.0.load(Ordering::Relaxed);
        if now != seen || now & u64::from(u32::MAX) != 0 {
            // A request started or finished since the last look, or one
            // is in flight (a slow handler, a long stream): not idle.
            seen = now;
            quiet = 0;
            continue;
        }
        quiet += 1;
        if quiet == LOOKS {
            connection.abort();
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

    /// A connection task that never ends by itself and its watchdog, with
    /// the ends of their channels a test holds (alive until it drops them).
    struct Setup {
        idle: Arc<Idle>,
        connection: tokio::task::JoinHandle<()>,
        watchdog: tokio::task::JoinHandle<()>,
        closed: oneshot::Sender<()>,
        stop: Arc<Stop>,
        shutdown: signal::Sender<()>,
    }

    fn watched() -> Setup {
        let idle = Idle::new();
        let connection = tokio::spawn(std::future::pending::<()>());
        let (closed, closed_rx) = oneshot::channel();
        let (shutdown, shutdown_rx) = signal::channel(());
        let stop = Stop::new();
        let watchdog = tokio::spawn(watch(Watched {
            idle: idle.clone(),
            timeout: TIMEOUT,
            connection: connection.abort_handle(),
            closed: closed_rx,
            shutdown: shutdown_rx,
            stop: stop.clone(),
        }));
        Setup {
            idle,
            connection,
            watchdog,
            closed,
            stop,
            shutdown,
        }
    }

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

    #[tokio::test(start_paused = true)]
    async fn a_connection_with_no_request_closes_after_the_timeout() {
        let setup = watched();
        let opened = Instant::now();
        setup.watchdog.await.unwrap();
        assert_eq!(opened.elapsed(), TIMEOUT);
        assert!(setup.connection.await.unwrap_err().is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_counts_from_the_last_response_and_never_cuts_one_in_flight() {
        let setup = watched();
        // Requests back to back for longer than the timeout, and one that
        // takes three timeouts: the connection stays open throughout.
        for _ in 0..6 {
            let busy = setup.idle.busy();
            sleep(TIMEOUT / 2).await;
            drop(busy);
        }
        let slow = setup.idle.busy();
        sleep(TIMEOUT * 3).await;
        assert!(!setup.watchdog.is_finished());
        drop(slow);
        let last_response = Instant::now();
        setup.watchdog.await.unwrap();
        let idle_for = last_response.elapsed();
        assert!(
            idle_for >= TIMEOUT && idle_for <= TIMEOUT + TIMEOUT / LOOKS,
            "closed {idle_for:?} after the last response"
        );
        assert!(setup.connection.await.unwrap_err().is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_starts_and_ends_between_two_looks_still_counts() {
        let setup = watched();
        sleep(TIMEOUT - TIMEOUT / LOOKS / 2).await;
        drop(setup.idle.busy());
        let last_response = Instant::now();
        setup.watchdog.await.unwrap();
        assert!(last_response.elapsed() >= TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_ends_by_itself_stops_its_watchdog() {
        let setup = watched();
        drop(setup.closed);
        setup.watchdog.await.unwrap();
        assert!(!setup.connection.is_finished());
        setup.connection.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_is_passed_on_to_the_connection_at_once() {
        let setup = watched();
        let began = Instant::now();
        let mut kept = None;
        // The connection's task, asking as it runs; woken by the request.
        std::future::poll_fn(|cx| {
            if setup.stop.requested(cx, &mut kept) {
                std::task::Poll::Ready(())
            } else {
                if began == Instant::now() && kept.is_some() {
                    setup.shutdown.send(()).unwrap();
                }
                std::task::Poll::Pending
            }
        })
        .await;
        assert_eq!(began.elapsed(), Duration::ZERO);
        // The watchdog still closes the connection if it then sits idle.
        setup.watchdog.await.unwrap();
        assert!(setup.connection.await.unwrap_err().is_cancelled());
    }
}
