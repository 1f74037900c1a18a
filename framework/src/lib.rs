//! FastAPI's way of writing web apps, in Rust.
//!
//! A handler is a plain `async fn` with an attribute. Its signature says what
//! it needs and the macros turn that into routing, extraction and dependency
//! resolution at compile time:
//!
//! ```no_run
//! use framework::prelude::*;
//!
//! #[middleware("http")]
//! async fn add_process_time_header(request: Request, call_next: Next) -> Response {
//!     let start = std::time::Instant::now();
//!     let mut response = call_next(request).await;
//!     response.set_header("x-process-time", start.elapsed().as_secs_f64().to_string());
//!     response
//! }
//!
//! #[get("/items/{item_id}")]
//! async fn read_item(item_id: u32, q: Option<String>) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({"item_id": item_id, "q": q}))
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     App::new()
//!         .middleware(add_process_time_header)
//!         .route(read_item)
//!         .run()
//!         .await
//! }
//! ```
//!
//! # Parameters
//!
//! Each parameter of a handler is placed by the same rules as FastAPI's.
//! The macro decides by syntax only what syntax can say (a name in the
//! path template, a placement attribute); every other parameter is placed
//! by its type, through traits resolved while compiling ([`extract`]), so
//! a renamed import or an extractor from another crate works the same:
//!
//! | parameter | where its value comes from |
//! | --- | --- |
//! | a name in the path template (`item_id` in `/items/{item_id}`) | the path, parsed with [`FromParam`](extract::FromParam) or `FromStr` |
//! | a type implementing [`FromRequest`]: [`Request`], [`State<T>`], [`BackgroundTasks`], [`HeaderMap`], [`Method`], [`Uri`], [`Version`], [`ClientAddr`], your own | extracted |
//! | `&Request` | the request, borrowed |
//! | [`Depends<D>`] | the dependency `D`, resolved once per request |
//! | [`Json<T>`], [`Form<T>`], [`Bytes`](bytes::Bytes), `#[body] String` | the request body |
//! | [`Query<T>`] | the whole query string, as a serde struct |
//! | `#[header] user_agent: String` | the `user-agent` header (underscores become dashes) |
//! | `#[cookie] session: String` | the `session` cookie |
//! | any other type read from text, or an `Option`/`Vec` of one | the query parameter of that name; `Option<T>` is optional, `Vec<T>` repeats, `#[query(default = …)]` gives a default |
//!
//! A type that is none of these is one compile error on it, naming the
//! ways out. Bad input answers 422 with every bad parameter listed at
//! once, in the shape FastAPI uses, so clients written for FastAPI keep
//! working.
//!
//! # The path of a request
//!
//! The modules follow a request, each owning one step:
//!
//! ```text
//! server     listener (TCP, Unix socket, inherited fd) → connection (keep-alive, shutdown)
//!  → service      the app as a tower::Service: every server enters here (ours, TestClient, hyper, axum)
//!  → chain        the middleware onion: function, class, streaming-level, tower layers
//!  → routing      the table: 404, 405 with allow, HEAD from GET, slash redirects, mounts;
//!                 exceptions finish what the route answered
//!  → endpoint     what a route macro generated: extract (parameters by trait), depends
//!                 (resolution, cache, overrides), the handler, the response
//!  → after        once the response is sent: background tasks, then dependency cleanups
//! ```
//!
//! Around them: [`app`] builds the whole once (and [`startup`](StartupError)
//! refuses what cannot start), [`meta`] keeps what the app knows of every
//! route, and [`request`], [`response`], [`error`] are the values that
//! travel.
//!
//! # Middleware order
//!
//! The first middleware registered is the outermost: first to see the
//! request, last to see the response. Starlette does the reverse; see
//! [`middleware`](mod@middleware) for the diagram.
#![forbid(unsafe_code)]
// `Response` is the error of the early-answer paths (a dependency that
// refuses, a missing state); boxing it would add an allocation there and
// win nothing on the path every request takes.
#![allow(clippy::result_large_err)]

extern crate self as framework;

// The modules in the order a request meets them (see the crate docs).
pub mod after;
pub mod app;
mod body;
mod chain;
mod config;
mod context;
pub mod depends;
mod endpoint;
pub mod error;
mod exceptions;
pub mod extract;
pub mod meta;
pub mod middleware;
mod panic;
pub mod prelude;
pub mod request;
pub mod response;
pub mod routing;
pub mod server;
pub mod service;
mod startup;
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use after::BackgroundTasks;
pub use app::{App, Config};
pub use body::{Body, BoxError};
pub use chain::{IntoMiddleware, Middleware, Next, NextService};
pub use depends::{Dependency, Depends, Yield};
pub use error::{Error, HttpError, ValidationError};
pub use extract::{ClientAddr, Form, FromRequest, Json, Query, State};
pub use framework_macros::{
    delete, depends, get, head, middleware, options, patch, post, put, route,
};
pub use request::Request;
pub use response::{Html, IntoHeaderName, IntoResponse, Redirect, Response};
pub use routing::Router;
pub use service::{AppService, ResponseBody};
pub use startup::StartupError;
pub use testing::TestClient;

/// The trait of a streaming body's source (see [`response::Streaming`]).
pub use futures_core::Stream;

/// Re-exported so that path and query parameters can be `uuid::Uuid` without a dependency of the app's own.
pub use uuid;

/// Re-exported so that users name one crate for status codes and headers.
pub use http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri, Version};

/// The README's examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
