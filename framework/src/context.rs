//! What every request of one app carries: the few app-wide things the
//! request's own steps need (the body limit, the app's state, the
//! dependency overrides, the tracker of work left after responses), and
//! nothing of the app's routing or middleware.

use std::any::{Any, TypeId};
use std::sync::Arc;

use crate::after::Tracker;

type Value = Arc<dyn Any + Send + Sync>;

/// The per-app context of a request, built once with the app.
pub(crate) struct Context {
    pub(crate) body_limit: usize,
    /// `App::state` values, by type. A short list scanned in order: apps
    /// hold a few states, and a scan of a few `TypeId`s is cheaper than
    /// hashing one.
    states: Vec<(TypeId, Value)>,
    /// Dependency overrides, by the overridden dependency's type. The value
    /// is the `depends` module's erased dependency; this module only keeps it.
    overrides: Vec<(TypeId, Value)>,
    pub(crate) tracker: Tracker,
}

impl Context {
    pub(crate) fn new(
        body_limit: usize,
        states: Vec<(TypeId, Value)>,
        overrides: Vec<(TypeId, Value)>,
    ) -> Self {
        Context {
            body_limit,
            states,
            overrides,
            tracker: Tracker::default(),
        }
    }

    /// The app's state of type `T`, if it was given one.
    pub(crate) fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        find(&self.states, TypeId::of::<T>()).and_then(|value| value.clone().downcast().ok())
    }

    /// The override registered for the dependency `key`, if any.
    pub(crate) fn dependency_override(&self, key: TypeId) -> Option<&Value> {
        if self.overrides.is_empty() {
            return None;
        }
        find(&self.overrides, key)
    }
}

fn find(values: &[(TypeId, Value)], key: TypeId) -> Option<&Value> {
    values.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}
