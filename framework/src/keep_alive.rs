//! The clock of [`Config::keep_alive_timeout`](crate::app::Config): a
//! connection that has no request in flight for that long is closed,
//! whether it sits idle between requests or a client is sending the
//! headers of the next one too slowly.
//!
//! hyper can keep this clock itself (`header_read_timeout`), but it arms a
//! timer for every request, which cost ~1,500 instructions per request (an
//! eighth of the server's whole share of a small request). Here each
//! connection has one watchdog task that looks every quarter of the
//! timeout, and a request only counts itself in and out, without reading
//! the clock: the watchdog closes the connection once it has seen no
//! request in flight and none finished for four looks in a row, so between
//! one and one and a quarter timeouts after the last response.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// How many looks without activity close a connection.
const LOOKS: u32 = 4;

/// Added when a request starts: one more in flight (the low half).
const STARTED: u64 = 1;
/// Added when a response has been sent: one fewer in flight, one more
/// finished (the high half), in one step.
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
        // The count of finished responses wraps into nothing else: the
        // carry out of the high half is lost, and the low half is exact.
        self.0 .0.fetch_add(FINISHED, Ordering::Relaxed);
    }
}

/// Watches one connection: aborts its task once it has had no request in
/// flight for `timeout`; returns when the connection ends by itself (its
/// task drops `closed`'s sender).
pub(crate) async fn watch(
    idle: Arc<Idle>,
    timeout: Duration,
    connection: AbortHandle,
    mut closed: oneshot::Receiver<()>,
) {
    let look = timeout / LOOKS;
    let mut seen = idle.0.load(Ordering::Relaxed);
    let mut quiet = 0;
    let mut next = Instant::now() + look;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            _ = &mut closed => return,
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::sleep;

    const TIMEOUT: Duration = Duration::from_secs(4);

    /// A connection task that never ends by itself, and its watchdog.
    fn watched() -> (
        Arc<Idle>,
        tokio::task::JoinHandle<()>,
        tokio::task::JoinHandle<()>,
        oneshot::Sender<()>,
    ) {
        let idle = Idle::new();
        let connection = tokio::spawn(std::future::pending::<()>());
        let (closed, closed_rx) = oneshot::channel();
        let watchdog = tokio::spawn(watch(
            idle.clone(),
            TIMEOUT,
            connection.abort_handle(),
            closed_rx,
        ));
        (idle, connection, watchdog, closed)
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_with_no_request_closes_after_the_timeout() {
        let (_idle, connection, watchdog, _closed) = watched();
        let opened = Instant::now();
        watchdog.await.unwrap();
        assert_eq!(opened.elapsed(), TIMEOUT);
        assert!(connection.await.unwrap_err().is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_counts_from_the_last_response_and_never_cuts_one_in_flight() {
        let (idle, connection, watchdog, _closed) = watched();
        // Requests back to back for longer than the timeout, and one that
        // takes three timeouts: the connection stays open throughout.
        for _ in 0..6 {
            let busy = idle.busy();
            sleep(TIMEOUT / 2).await;
            drop(busy);
        }
        let slow = idle.busy();
        sleep(TIMEOUT * 3).await;
        assert!(!watchdog.is_finished());
        drop(slow);
        let last_response = Instant::now();
        watchdog.await.unwrap();
        let idle_for = last_response.elapsed();
        assert!(
            idle_for >= TIMEOUT && idle_for <= TIMEOUT + TIMEOUT / LOOKS,
            "closed {idle_for:?} after the last response"
        );
        assert!(connection.await.unwrap_err().is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_starts_and_ends_between_two_looks_still_counts() {
        let (idle, _connection, watchdog, _closed) = watched();
        sleep(TIMEOUT - TIMEOUT / LOOKS / 2).await;
        drop(idle.busy());
        let last_response = Instant::now();
        watchdog.await.unwrap();
        assert!(last_response.elapsed() >= TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_ends_by_itself_stops_its_watchdog() {
        let (_idle, connection, watchdog, closed) = watched();
        drop(closed);
        watchdog.await.unwrap();
        assert!(!connection.is_finished());
        connection.abort();
    }
}
