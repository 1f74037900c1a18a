//! App state injected into handlers.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use super::{FromRequest, Parameter};
use crate::error::ValidationError;
use crate::meta::{ParamInfo, StateType};
use crate::request::Request;
use crate::response::Response;

/// A value given to the app with [`App::state`](crate::App::state), injected
/// into any handler, dependency or middleware that takes `State<T>`.
///
/// ```
/// use framework::prelude::*;
///
/// struct Settings { greeting: String }
///
/// #[get("/")]
/// async fn hello(settings: State<Settings>) -> String {
///     settings.greeting.clone()
/// }
///
/// let app = App::new()
///     .state(Settings { greeting: "hi".into() })
///     .route(hello);
/// ```
pub struct State<T>(pub(crate) Arc<T>);

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for State<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Send + Sync + 'static> FromRequest for State<T> {
    /// Missing state is the program's mistake, not the client's: the app
    /// refuses to start when a route asks for state it was not given (see
    /// [`App::state`](crate::App::state)), so this answer is only for
    /// state asked for outside any route's metadata: a logged 500 naming
    /// the type.
    fn from_request(
        request: &mut Request,
        _: &mut ValidationError,
    ) -> impl Future<Output = Result<Option<Self>, Response>> + Send {
        let state = match request.context().state::<T>() {
            Some(value) => Ok(Some(State(value))),
            None => {
                tracing::error!(
                    "State<{}> was asked for, but the app has no such state: add it with App::state",
                    std::any::type_name::<T>()
                );
                Err(crate::response::internal_server_error())
            }
        };
        std::future::ready(state)
    }

    fn describe(info: &mut ParamInfo) {
        info.state = Some(StateType::of::<T>());
    }
}

impl<T: Send + Sync + 'static> Parameter for State<T> {}
