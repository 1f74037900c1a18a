//! App state injected into handlers.

use std::ops::Deref;
use std::sync::Arc;

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
