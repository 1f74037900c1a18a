//! How handler, dependency and middleware parameters get their values.
//!
//! The macros decide by syntax only what syntax can decide: a name in the
//! path template is a path parameter, and `#[query]`, `#[header]`,
//! `#[cookie]`, `#[body]` and `#[path]` place a parameter explicitly. Every
//! other parameter is placed by its type, through traits resolved while
//! compiling (no lookup per request):
//!
//! 1. a type that implements [`FromRequest`] is an **extractor**: the
//!    request itself, `State<T>`, `BackgroundTasks`, `Depends<D>`,
//!    `Json<T>`, `Form<T>`, `Bytes`, `Query<T>`, `HeaderMap`, `Method`,
//!    `Uri`, `Version`, [`ClientAddr`], or one of your own;
//! 2. else a type read from text ([`FromParam`], or any `FromStr`), or an
//!    `Option` or `Vec` of one, is a **query parameter** of the
//!    parameter's name;
//! 3. else it is a compile error on the parameter's type, naming the ways
//!    out.
//!
//! Every bad input is recorded before anything answers, so one 422 lists
//! them all.
//!
//! # An extractor of your own
//!
//! ```
//! use framework::prelude::*;
//! use framework::extract::FromRequest;
//! use framework::ValidationError;
//!
//! /// The caller's `user-agent`, or `"unknown"`.
//! struct UserAgent(String);
//!
//! impl FromRequest for UserAgent {
//!     async fn from_request(
//!         request: &mut Request,
//!         _errors: &mut ValidationError,
//!     ) -> Result<Option<Self>, Response> {
//!         Ok(Some(UserAgent(request.header("user-agent").unwrap_or("unknown").to_owned())))
//!     }
//! }
//!
//! #[get("/ua")]
//! async fn ua(agent: UserAgent) -> String {
//!     agent.0
//! }
//! ```

mod body;
mod param;
mod parts;
#[doc(hidden)]
pub mod probe;
mod query;
mod serde_error;
mod state;

use std::future::Future;

pub use body::{BodyRejection, Form, FromBody, Json};
pub use param::{FromParam, ParamError};
pub use parts::ClientAddr;
pub use query::Query;
pub use state::State;

pub(crate) use body::read_body;
#[doc(hidden)]
pub use param::Place;

use crate::error::ValidationError;
use crate::meta::{ParamInfo, ParamSource};
use crate::request::Request;
use crate::response::Response;

/// A type a parameter can be extracted as, from the request.
///
/// Implement it to make a parameter type of your own; the macros find it
/// by the trait, so a renamed import or a type from another crate works
/// the same.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor",
    label = "not an extractor",
    note = "implement `framework::extract::FromRequest` for it"
)]
pub trait FromRequest: Sized + Send + 'static {
    /// What kind of parameter it is: where the route metadata says it
    /// comes from, and where its 422 entries go in FastAPI's order.
    const SOURCE: ParamSource = ParamSource::Injected;

    /// Extracts the value. Bad input is recorded in `errors` and gives
    /// `Ok(None)`, so that the other parameters are still checked and one
    /// 422 lists everything; `Err` answers the request at once (a 413, a
    /// dependency that refuses).
    fn from_request(
        request: &mut Request,
        errors: &mut ValidationError,
    ) -> impl Future<Output = Result<Option<Self>, Response>> + Send;

    /// Adds what only the extractor knows to the parameter's metadata (a
    /// dependency's own parameters, the state type asked for).
    fn describe(info: &mut ParamInfo) {
        let _ = info;
    }
}

/// Why a parameter's type cannot be placed: the diagnostic behind the one
/// compile error on such a parameter. Extractors whose impl has bounds
/// also implement it, with the same bounds, so that a missing bound is
/// what the error names.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter: it is neither an extractor, a dependency nor a query value",
    label = "not an extractor, a dependency or a query value",
    note = "for a dependency, mark a function with `#[depends]` and take `Depends<that_fn>`",
    note = "for app state, take `State<{Self}>` and register it with `App::state`",
    note = "for a query value, implement `framework::extract::FromParam` (or `FromStr`)"
)]
pub trait Parameter {}
