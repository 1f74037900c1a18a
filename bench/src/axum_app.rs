//! The benchmark app in axum 0.8, as its users write apps: handlers with
//! extractors, the dependencies as `FromRequestParts` extractors (the user
//! extractor extracts the db one), middleware with
//! `axum::middleware::from_fn`.

use std::convert::Infallible;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, Request};
use axum::http::header::HeaderValue;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{new_request_id, process_time, CurrentUser, Db, DepsOut, Message, User};

async fn plaintext() -> &'static str {
    crate::PLAINTEXT
}

async fn json() -> Json<Message> {
    Json(Message {
        message: crate::MESSAGE,
    })
}

#[derive(Deserialize)]
struct UserQuery {
    #[serde(default)]
    verbose: bool,
}

fn unprocessable() -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(serde_json::json!({"detail": "Unprocessable Entity"})),
    )
        .into_response()
}

async fn user(
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<UserQuery>, QueryRejection>,
) -> Response {
    match (id, query) {
        (Ok(Path(id)), Ok(Query(query))) => Json(User {
            id,
            verbose: query.verbose,
        })
        .into_response(),
        _ => unprocessable(),
    }
}

async fn echo(body: Result<Json<Map<String, Value>>, JsonRejection>) -> Response {
    match body {
        Ok(body) => body.into_response(),
        Err(_) => unprocessable(),
    }
}

/// The db dependency.
struct DbDep(Db);

impl<S: Send + Sync> FromRequestParts<S> for DbDep {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(DbDep(Db::open()))
    }
}

/// The user dependency, which needs the db one.
struct UserDep(CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for UserDep {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let DbDep(db) = DbDep::from_request_parts(parts, state).await?;
        Ok(UserDep(CurrentUser::load(&db)))
    }
}

async fn deps(UserDep(user): UserDep, DbDep(db): DbDep) -> Response {
    Json(DepsOut {
        user: &user.name,
        db: &db.conn,
    })
    .into_response()
}

async fn timing(request: Request, next: Next) -> Response {
    let start = std::time::Instant::now();
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::try_from(process_time(start)) {
        response.headers_mut().insert("x-process-time", value);
    }
    response
}

async fn request_id(request: Request, next: Next) -> Response {
    let id = match request.headers().get("x-request-id") {
        Some(id) => id.clone(),
        None => {
            let mut buf = [0; 36];
            HeaderValue::from_str(new_request_id(&mut buf)).expect("a UUID is a valid header value")
        }
    };
    let mut response = next.run(request).await;
    response.headers_mut().insert("x-request-id", id);
    response
}

async fn custom_header(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        "x-custom-header",
        HeaderValue::from_static(crate::CUSTOM_HEADER_VALUE),
    );
    response
}

/// The router; `stack` adds the three middlewares, timing outermost (in
/// axum the last layer added is the outermost).
pub fn router(stack: bool) -> Router {
    let router = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/users/{id}", get(user))
        .route("/echo", post(echo))
        .route("/deps", get(deps));
    if stack {
        router
            .layer(from_fn(custom_header))
            .layer(from_fn(request_id))
            .layer(from_fn(timing))
    } else {
        router
    }
}

/// Serves on `127.0.0.1:port` until Ctrl-C or SIGTERM.
pub async fn serve(port: u16, stack: bool) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(listener, router(stack))
        .with_graceful_shutdown(crate::shutdown_signal())
        .await
}
