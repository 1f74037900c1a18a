//! The clock of [`Config::keep_alive_timeout`](crate::app::Config): a
//! connection that has no request in flight for that long is closed,
//! whether it sits idle between requests or a client is sending the
//! headers of the next one too slowly.
//!
//! hyper can keep this clock itself (`header_read_timeout`), but it arms a
//! timer for every request, which cost ~1,500 instructions per request (an
//! eighth of the server's whole share of a small request). Here each
//! connection has one watchdog task that sleeps until the connection could
//! first have been idle for the whole timeout, and each request only marks
//! when it starts and when its response has been sent.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// What the watchdog of one connection reads.
pub(crate) struct Idle {
    opened: Instant,
    /// Requests whose response is not yet sent in full.
    busy: AtomicUsize,
    /// When the last response was sent, as nanoseconds after `opened`.
    since: AtomicU64,
}

impl Idle {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Idle {
            opened: Instant::now(),
            busy: AtomicUsize::new(0),
            since: AtomicU64::new(0),
        })
    }

    /// Marks a request as started; dropping the mark says it is done.
    pub(crate) fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    fn idle_since(&self) -> Instant {
        self.opened + Duration::from_nanos(self.since.load(Ordering::Acquire))
    }
}

/// A request in flight on its connection, until dropped: the server drops
/// it with the response body, once hyper has sent it or given up on it.
pub(crate) struct Busy(Arc<Idle>);

impl Drop for Busy {
    fn drop(&mut self) {
        let idle = &self.0;
        let nanos = idle.opened.elapsed().as_nanos();
        // Written before the count drops, so that a watchdog that sees no
        // request in flight also sees when the last one ended.
        idle.since
            .fetch_max(u64::try_from(nanos).unwrap_or(u64::MAX), Ordering::AcqRel);
        idle.busy.fetch_sub(1, Ordering::AcqRel);
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
    let mut deadline = idle.opened + timeout;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            _ = &mut closed => return,
        }
        if idle.busy.load(Ordering::Acquire) > 0 {
            // A request is in flight: check again a whole timeout after
            // now, since it may end at any moment.
            deadline = Instant::now() + timeout;
            continue;
        }
        let due = idle.idle_since() + timeout;
        if due <= Instant::now() {
            connection.abort();
            return;
        }
        deadline = due;
    }
}
