//! Turning a panic inside a future into a value, so that one failing
//! handler, middleware or task never takes the server down.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::task::Poll;

/// Polls `future`, returning `Err(payload)` if a poll panics.
pub(crate) async fn catch_unwind<F: Future>(future: F) -> Result<F::Output, Payload> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(move |cx| match catching(|| future.as_mut().poll(cx)) {
        Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
        Ok(Poll::Pending) => Poll::Pending,
        Err(payload) => Poll::Ready(Err(payload)),
    })
    .await
}

/// What a panic was raised with.
pub(crate) type Payload = Box<dyn Any + Send>;

/// Runs `f`, returning `Err(payload)` if it panics.
///
/// Callers never touch what `f` was working on after a panic (a future
/// that panicked is not polled again), so no broken invariant can be
/// observed: asserting unwind safety is sound.
pub(crate) fn catching<T>(f: impl FnOnce() -> T) -> Result<T, Payload> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
}

/// The message a panic was raised with, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "non-string panic payload"
    }
}
