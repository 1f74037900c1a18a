//! What the macros' generated code names. Not a public API: the names here
//! change without notice. Every path in generated code goes through this
//! module, so users never import internals and the paths work in this
//! crate's own tests (`extern crate self as framework`).
//!
//! It re-exports, and holds only glue too small to have a home of its own:
//! the lifecycle of an endpoint lives in `endpoint`, the dispatch of a
//! parameter by its type in `extract::probe`, resolution in `depends`.

pub use std::clone::Clone;
pub use std::convert::Into;
pub use std::default::Default;
pub use std::fmt::Debug;
pub use std::future::Future;
pub use std::marker::{Copy, Send};
pub use std::option::Option::{self, None, Some};
pub use std::result::Result::{self, Err, Ok};
pub use std::string::String;
pub use std::vec::Vec;
pub use std::{concat, file, line};

pub use crate::after::BackgroundTasks;
pub use crate::chain::{Middleware, Next};
pub use crate::depends::{
    fallible, plain, Dependency, Depends, DependsParam, IntoResolved, Resolved,
};
pub use crate::endpoint::{
    blocking, catch, early, finish, invalid, respond_with, take_errors, take_scope, HandlerScope,
    Route,
};
pub use crate::error::ValidationError;
pub use crate::extract::probe::*;
pub use crate::extract::Place;
pub use crate::meta::{
    DependencyInfo, MiddlewareInfo, OpenApiArgs, ParamInfo, ParamSource, Presence, RouteMeta,
    TypeInfo,
};
pub use crate::request::{Request, MAX_PARAMS};
pub use crate::response::{IntoResponse, Response};

use crate::extract::FromBody;

/// A `#[body]` parameter: the request body as `T`. `Err` is an answer of
/// its own (413, 400).
pub async fn body<T: FromBody>(
    request: &mut Request,
    errors: &mut ValidationError,
) -> Result<Option<T>, Response> {
    crate::extract::read_body(request, errors).await
}

/// A dependency resolved for its effect (a route's `dependencies(…)`).
pub async fn depends_for_effect<D: Dependency>(
    request: &mut Request,
    errors: &mut ValidationError,
) -> Result<(), Response> {
    crate::depends::resolve::<D>(request, errors, true)
        .await
        .map(drop)
}

/// A `#[depends(use_cache = …)]` parameter.
pub fn depends_param<'a, T: DependsParam>(
    request: &'a mut Request,
    errors: &'a mut ValidationError,
    use_cache: bool,
) -> impl Future<Output = Result<Option<T>, Response>> + Send + 'a {
    T::resolve_param(request, errors, use_cache)
}

/// Turns what a middleware function returned into its response.
pub fn respond<O: IntoResponse>(output: O) -> Response {
    output.into_response()
}

/// Metadata of a parameter the macro placed itself (a path parameter, or
/// one with a placement attribute).
pub fn placed(
    name: &'static str,
    key: &'static str,
    source: ParamSource,
    ty: TypeInfo,
    presence: Presence,
    alias: Option<&'static str>,
) -> ParamInfo {
    let mut info = ParamInfo::new(name, source, ty);
    info.key = key.to_owned();
    info.presence = presence;
    info.alias = alias;
    info
}

/// Checks, while compiling, that a path template has at most
/// [`MAX_PARAMS`] parameters (the request keeps them inline).
pub const fn check_path_params(count: usize) {
    assert!(
        count <= MAX_PARAMS,
        "a path has more parameters than a route can take (`framework::request::MAX_PARAMS`)"
    );
}
