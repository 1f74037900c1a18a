//! The app's exception handlers, as FastAPI's `@app.exception_handler`:
//! what they make of an error a handler raised as `framework::Error`. The
//! router's step finishes each response it hands back with them (see
//! `routing`), as Starlette's `ExceptionMiddleware` sits right outside its
//! router.

use crate::body::BoxError;
use crate::error::Error;
use crate::response::{IntoResponse, Response};

type Handler = Box<dyn Fn(Error) -> Result<Response, Error> + Send + Sync>;

/// The handlers, in registration order: the first that takes the error
/// answers it.
#[derive(Default)]
pub(crate) struct Exceptions {
    handlers: Vec<Handler>,
}

impl Exceptions {
    /// Adds a handler for errors of type `E`.
    pub(crate) fn add<E, F, R>(&mut self, handler: F)
    where
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(E) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.handlers.push(Box::new(move |error: Error| {
            error.downcast::<E>().map(|e| handler(e).into_response())
        }));
    }

    /// What the router hands back for an endpoint's `response`: the
    /// answer to an error it raised, and for a `HEAD` answered by a `GET`
    /// route, no body.
    #[inline]
    pub(crate) fn finish(&self, mut response: Response, head: bool) -> Response {
        if let Some(raised) = response.take_raised() {
            response = self.answer(raised, response);
        }
        if head {
            response.without_body()
        } else {
            response
        }
    }

    /// The answer to `raised`: a handler's, or `fallback` (the 500 the
    /// error made) with the error logged.
    #[cold]
    fn answer(&self, raised: BoxError, fallback: Response) -> Response {
        let mut error = Error::from_raised(raised);
        for handler in &self.handlers {
            match handler(error) {
                Ok(response) => return response,
                Err(unclaimed) => error = unclaimed,
            }
        }
        tracing::error!("unhandled error: {error}");
        fallback
    }
}
