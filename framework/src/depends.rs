//! Dependencies: `#[depends]` functions resolved once per request and
//! injected by type, as FastAPI's `Depends`; this module owns their
//! resolution: the per-request cache, the overrides, and registering their
//! cleanups for after the response.

use std::any::{Any, TypeId};
use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use crate::after::Cleanup;
use crate::error::ValidationError;
use crate::extract::{FromRequest, Parameter};
use crate::meta::{DependencyInfo, ParamInfo, ParamSource};
use crate::request::Request;
use crate::response::Response;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The value of a dependency and the cleanup that goes with it, as a
/// FastAPI dependency that `yield`s: the code after `yield` is `cleanup`.
///
/// ```
/// use framework::prelude::*;
///
/// #[derive(Clone)]
/// struct Db;
/// impl Db { async fn close(self) {} }
///
/// #[depends]
/// async fn get_db() -> Yield<Db> {
///     let db = Db;
///     let closing = db.clone();
///     Yield::new(db, async move { closing.close().await })
/// }
/// ```
///
/// The cleanup runs after the response is sent and the request's background
/// tasks are done (FastAPI's default), or right after the handler with
/// `#[depends(scope = "function")]`. Cleanups run in reverse order of setup,
/// also when the handler fails, panics, or the client goes away.
pub struct Yield<T> {
    value: T,
    cleanup: BoxFuture<'static, ()>,
}

impl<T> Yield<T> {
    /// A value and the async cleanup to run when the request is done with it.
    pub fn new(value: T, cleanup: impl Future<Output = ()> + Send + 'static) -> Self {
        Yield {
            value,
            cleanup: Box::pin(cleanup),
        }
    }
}

/// A dependency resolved for the request: its value, and a cleanup if it
/// registered one.
#[doc(hidden)]
pub struct Resolved<T> {
    value: T,
    cleanup: Option<BoxFuture<'static, ()>>,
}

/// What a `#[depends]` function may return: its value, a [`Yield`], or a
/// `Result` of those whose error answers the request (the handler does not
/// run).
#[doc(hidden)]
pub trait IntoResolved<T> {
    fn into_resolved(self) -> Result<Resolved<T>, Response>;
}

impl<T> IntoResolved<T> for Yield<T> {
    fn into_resolved(self) -> Result<Resolved<T>, Response> {
        Ok(Resolved {
            value: self.value,
            cleanup: Some(self.cleanup),
        })
    }
}

impl<T, E: crate::response::IntoResponse> IntoResolved<T> for Result<Yield<T>, E> {
    fn into_resolved(self) -> Result<Resolved<T>, Response> {
        self.map_err(E::into_response)?.into_resolved()
    }
}

/// Wraps a plain value (the macro knows, from the return type, that it is
/// neither a `Yield` nor a `Result`).
#[doc(hidden)]
pub fn plain<T>(value: T) -> Result<Resolved<T>, Response> {
    Ok(Resolved {
        value,
        cleanup: None,
    })
}

/// A plain `Result` (no `Yield` inside it).
#[doc(hidden)]
pub fn fallible<T, E: crate::response::IntoResponse>(
    result: Result<T, E>,
) -> Result<Resolved<T>, Response> {
    result.map_err(E::into_response).and_then(plain)
}

/// A dependency: the type `#[depends]` makes of a function, named in
/// `Depends<D>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a dependency",
    label = "not a `#[depends]` function",
    note = "mark the function with `#[depends]` to use it in `Depends<…>`"
)]
pub trait Dependency: Send + Sync + 'static {
    /// What the dependency gives: the function's return type, without the
    /// `Result` and `Yield` around it.
    type Output: Send + Sync + 'static;

    /// Whether its cleanup runs right after the handler (`scope = "function"`)
    /// rather than after the response is sent.
    const CLEANUP_AFTER_HANDLER: bool = false;

    /// The function's name, for messages.
    const NAME: &'static str;

    /// The function and its parameters, for the route metadata.
    fn info() -> DependencyInfo;

    /// Resolves its parameters from the request and calls the function.
    /// `Ok(None)` means bad input, recorded in `errors`.
    #[doc(hidden)]
    fn resolve<'a>(
        request: &'a mut Request,
        errors: &'a mut ValidationError,
    ) -> impl Future<Output = Result<Option<Resolved<Self::Output>>, Response>> + Send + 'a;
}

/// A dependency's value, injected by type: `q: Depends<get_query>` gives
/// what `get_query` returned, resolved once per request and shared by
/// everything in the request that asks for it.
pub struct Depends<D: Dependency> {
    value: Arc<D::Output>,
    _dependency: PhantomData<fn() -> D>,
}

impl<D: Dependency> Depends<D> {
    /// The shared value.
    pub fn arc(&self) -> &Arc<D::Output> {
        &self.value
    }

    /// The value, cloned out of the shared one.
    pub fn into_inner(self) -> D::Output
    where
        D::Output: Clone,
    {
        Arc::try_unwrap(self.value).unwrap_or_else(|shared| (*shared).clone())
    }
}

impl<D: Dependency> Clone for Depends<D> {
    fn clone(&self) -> Self {
        Depends {
            value: self.value.clone(),
            _dependency: PhantomData,
        }
    }
}

impl<D: Dependency> Deref for Depends<D> {
    type Target = D::Output;

    fn deref(&self) -> &D::Output {
        &self.value
    }
}

impl<D: Dependency> std::fmt::Debug for Depends<D>
where
    D::Output: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}

impl<D: Dependency> FromRequest for Depends<D> {
    const SOURCE: ParamSource = ParamSource::Dependency;

    fn from_request(
        request: &mut Request,
        errors: &mut ValidationError,
    ) -> impl Future<Output = Result<Option<Self>, Response>> + Send {
        resolve::<D>(request, errors, true)
    }

    fn describe(info: &mut ParamInfo) {
        info.dependency = Some(D::info());
    }
}

impl<D: Dependency> Parameter for Depends<D> {}

/// A `#[depends(use_cache = false)]` parameter: a `Depends<D>`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`#[depends(…)]` goes on a `Depends<D>` parameter",
    label = "not a `Depends<D>`"
)]
pub trait DependsParam: Sized {
    /// The dependency, resolved from the cache when `use_cache`.
    fn resolve_param<'a>(
        request: &'a mut Request,
        errors: &'a mut ValidationError,
        use_cache: bool,
    ) -> impl Future<Output = Result<Option<Self>, Response>> + Send + 'a;
    /// Its metadata.
    fn describe_param(name: &'static str, ty: crate::meta::TypeInfo) -> ParamInfo;
}

impl<D: Dependency> DependsParam for Depends<D> {
    fn resolve_param<'a>(
        request: &'a mut Request,
        errors: &'a mut ValidationError,
        use_cache: bool,
    ) -> impl Future<Output = Result<Option<Self>, Response>> + Send + 'a {
        resolve::<D>(request, errors, use_cache)
    }

    fn describe_param(name: &'static str, ty: crate::meta::TypeInfo) -> ParamInfo {
        let mut info = ParamInfo::new(name, ParamSource::Dependency, ty);
        info.dependency = Some(D::info());
        info
    }
}

type ErasedValue = Arc<dyn Any + Send + Sync>;

/// A dependency with its type erased, for overrides and for dependencies
/// attached to the app or a router.
pub(crate) trait ErasedDependency: Send + Sync {
    fn resolve_erased<'a>(
        &'a self,
        request: &'a mut Request,
        errors: &'a mut ValidationError,
        use_cache: bool,
    ) -> BoxFuture<'a, Result<Option<ErasedValue>, Response>>;

    fn info(&self) -> DependencyInfo;
}

/// What the app's context keeps for an override (the context holds it as
/// `Any`, knowing nothing of dependencies).
pub(crate) struct Override(pub(crate) Arc<dyn ErasedDependency>);

pub(crate) struct Erased<D>(PhantomData<fn() -> D>);

impl<D> Erased<D> {
    pub(crate) fn new() -> Self {
        Erased(PhantomData)
    }
}

impl<D: Dependency> ErasedDependency for Erased<D> {
    fn resolve_erased<'a>(
        &'a self,
        request: &'a mut Request,
        errors: &'a mut ValidationError,
        use_cache: bool,
    ) -> BoxFuture<'a, Result<Option<ErasedValue>, Response>> {
        Box::pin(async move {
            Ok(resolve::<D>(request, errors, use_cache)
                .await?
                .map(|d| d.value as ErasedValue))
        })
    }

    fn info(&self) -> DependencyInfo {
        D::info()
    }
}

/// Resolves `D` afresh (no cache), registering its cleanup.
async fn run<D: Dependency>(
    request: &mut Request,
    errors: &mut ValidationError,
) -> Result<Option<Arc<D::Output>>, Response> {
    let Some(resolved) = D::resolve(request, errors).await? else {
        return Ok(None);
    };
    if let Some(work) = resolved.cleanup {
        request
            .scope_mut()
            .cleanups
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .push(Cleanup {
                work,
                after_handler: D::CLEANUP_AFTER_HANDLER,
            });
    }
    Ok(Some(Arc::new(resolved.value)))
}

/// Resolves `D` for the request: from the cache when `use_cache` and it
/// was resolved already, else through its override if the app has one,
/// else by calling it. What its parameters got wrong joins `errors` as one
/// block, before the asking function's own parameters (FastAPI's order).
pub(crate) async fn resolve<D: Dependency>(
    request: &mut Request,
    errors: &mut ValidationError,
    use_cache: bool,
) -> Result<Option<Depends<D>>, Response> {
    let key = TypeId::of::<D>();
    if use_cache {
        if let Some(value) = cached(request, key) {
            if let Ok(value) = value.downcast::<D::Output>() {
                return Ok(Some(Depends {
                    value,
                    _dependency: PhantomData,
                }));
            }
        }
    }
    let overridden = request
        .context()
        .dependency_override(key)
        .and_then(|o| o.downcast_ref::<Override>())
        .map(|o| o.0.clone());
    let mut own = ValidationError::new();
    let value = match overridden {
        None => run::<D>(request, &mut own).await,
        Some(with) => match with.resolve_erased(request, &mut own, use_cache).await {
            Ok(Some(erased)) => match erased.downcast::<D::Output>() {
                Ok(value) => Ok(Some(value)),
                Err(_) => {
                    tracing::error!(
                        "the override of dependency `{}` gives another type",
                        D::NAME
                    );
                    Err(crate::response::internal_server_error())
                }
            },
            Ok(None) => Ok(None),
            Err(response) => Err(response),
        },
    };
    errors.append(ParamSource::Dependency.rank(), own);
    let Some(value) = value? else { return Ok(None) };
    if use_cache {
        request
            .scope_mut()
            .resolved
            .insert(key, value.clone() as ErasedValue);
    }
    Ok(Some(Depends {
        value,
        _dependency: PhantomData,
    }))
}

fn cached(request: &Request, key: TypeId) -> Option<ErasedValue> {
    request.scope()?.resolved.get(key).cloned()
}
