//! The benchmark app in `framework`, written as its users write apps: route
//! macros, `#[middleware("http")]` functions and `#[depends]` functions.

use framework::prelude::*;
use framework::HeaderValue;
use serde_json::{Map, Value};

use crate::{new_request_id, process_time, CurrentUser, Db, DepsOut, Message, User};

#[get("/plaintext")]
async fn plaintext() -> &'static str {
    crate::PLAINTEXT
}

#[get("/json")]
async fn json() -> Json<Message> {
    Json(Message {
        message: crate::MESSAGE,
    })
}

#[get("/users/{id}")]
async fn user(id: i64, #[query(default)] verbose: bool) -> Json<User> {
    Json(User { id, verbose })
}

#[post("/echo")]
async fn echo(body: Json<Map<String, Value>>) -> Json<Map<String, Value>> {
    body
}

#[depends]
async fn get_db() -> Db {
    Db::open()
}

#[depends]
async fn get_user(db: Depends<get_db>) -> CurrentUser {
    CurrentUser::load(&db)
}

#[get("/deps")]
async fn deps(user: Depends<get_user>, db: Depends<get_db>) -> Response {
    Json(DepsOut {
        user: &user.name,
        db: &db.conn,
    })
    .into_response()
}

/// Sets `x-process-time` to the seconds the rest of the chain took.
#[middleware("http")]
async fn timing(request: Request, call_next: Next) -> Response {
    let start = std::time::Instant::now();
    let mut response = call_next(request).await;
    response.set_header("x-process-time", process_time(start));
    response
}

/// Copies the incoming `x-request-id` into the response, or makes one.
#[middleware("http")]
async fn request_id(request: Request, call_next: Next) -> Response {
    let id = match request.headers().get("x-request-id") {
        Some(id) => id.clone(),
        None => {
            let mut buf = [0; 36];
            HeaderValue::from_str(new_request_id(&mut buf)).expect("a UUID is a valid header value")
        }
    };
    let mut response = call_next(request).await;
    response.set_header("x-request-id", id);
    response
}

/// Sets `x-custom-header`.
#[middleware("http")]
async fn custom_header(request: Request, call_next: Next) -> Response {
    let mut response = call_next(request).await;
    response.set_header(
        "x-custom-header",
        HeaderValue::from_static(crate::CUSTOM_HEADER_VALUE),
    );
    response
}

/// The app; `stack` adds the three middlewares, timing outermost.
pub fn app(stack: bool) -> App {
    let app = App::new().config(|c| c.access_log = false);
    let app = if stack {
        app.middleware(timing)
            .middleware(request_id)
            .middleware(custom_header)
    } else {
        app
    };
    app.routes((plaintext, json, user, echo, deps))
}
