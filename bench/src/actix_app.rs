//! The benchmark app in actix-web 4, as its users write apps: handlers with
//! extractors, the dependencies as `FromRequest` extractors (the user
//! extractor extracts the db one), middleware with
//! `actix_web::middleware::from_fn`, and 422 for bad input through the
//! extractors' configs.

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, Error, FromRequest, HttpRequest, HttpResponse, HttpServer};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{new_request_id, process_time, CurrentUser, Db, DepsOut, Message, User};

async fn plaintext() -> &'static str {
    crate::PLAINTEXT
}

async fn json() -> web::Json<Message> {
    web::Json(Message {
        message: crate::MESSAGE,
    })
}

#[derive(Deserialize)]
struct UserQuery {
    #[serde(default)]
    verbose: bool,
}

async fn user(id: web::Path<i64>, query: web::Query<UserQuery>) -> web::Json<User> {
    web::Json(User {
        id: id.into_inner(),
        verbose: query.verbose,
    })
}

async fn echo(body: web::Json<Map<String, Value>>) -> web::Json<Map<String, Value>> {
    body
}

/// The db dependency.
struct DbDep(Db);

impl FromRequest for DbDep {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(_req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Ok(DbDep(Db::open())))
    }
}

/// The user dependency, which needs the db one.
struct UserDep(CurrentUser);

impl FromRequest for UserDep {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // `DbDep`'s future is ready at once: take its value now.
        let db = match DbDep::extract(req).into_inner() {
            Ok(DbDep(db)) => db,
            Err(e) => return ready(Err(e)),
        };
        let _ = payload;
        ready(Ok(UserDep(CurrentUser::load(&db))))
    }
}

async fn deps(user: UserDep, db: DbDep) -> HttpResponse {
    HttpResponse::Ok().json(DepsOut {
        user: &user.0.name,
        db: &db.0.conn,
    })
}

async fn timing(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let start = std::time::Instant::now();
    let mut response = next.call(request).await?;
    if let Ok(value) = HeaderValue::try_from(process_time(start)) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-process-time"), value);
    }
    Ok(response)
}

async fn request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = match request.headers().get("x-request-id") {
        Some(id) => id.clone(),
        None => {
            let mut buf = [0; 36];
            HeaderValue::from_str(new_request_id(&mut buf)).expect("a UUID is a valid header value")
        }
    };
    let mut response = next.call(request).await?;
    response
        .headers_mut()
        .insert(HeaderName::from_static("x-request-id"), id);
    Ok(response)
}

async fn custom_header(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(request).await?;
    response.headers_mut().insert(
        HeaderName::from_static("x-custom-header"),
        HeaderValue::from_static(crate::CUSTOM_HEADER_VALUE),
    );
    Ok(response)
}

fn unprocessable<E: Into<Error> + std::fmt::Debug + std::fmt::Display + 'static>(
    error: E,
) -> Error {
    let response = HttpResponse::UnprocessableEntity()
        .content_type("application/json")
        .body(r#"{"detail":"Unprocessable Entity"}"#);
    InternalError::from_response(error, response).into()
}

/// The routes and the extractor configs (bad input is a 422, as elsewhere).
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .app_data(web::PathConfig::default().error_handler(|e, _| unprocessable(e)))
        .app_data(web::QueryConfig::default().error_handler(|e, _| unprocessable(e)))
        .app_data(web::JsonConfig::default().error_handler(|e, _| unprocessable(e)))
        .route("/plaintext", web::get().to(plaintext))
        .route("/json", web::get().to(json))
        .route("/users/{id}", web::get().to(user))
        .route("/echo", web::post().to(echo))
        .route("/deps", web::get().to(deps));
}

/// Serves on `127.0.0.1:port` until Ctrl-C or SIGTERM; `stack` adds the
/// three middlewares, timing outermost (in actix the last `wrap` is the
/// outermost).
pub async fn serve(port: u16, stack: bool) -> std::io::Result<()> {
    if stack {
        HttpServer::new(|| {
            App::new()
                .configure(routes)
                .wrap(from_fn(custom_header))
                .wrap(from_fn(request_id))
                .wrap(from_fn(timing))
        })
        .bind(("127.0.0.1", port))?
        .run()
        .await
    } else {
        HttpServer::new(|| App::new().configure(routes))
            .bind(("127.0.0.1", port))?
            .run()
            .await
    }
}
