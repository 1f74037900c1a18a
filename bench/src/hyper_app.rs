//! The benchmark app in raw hyper 1.x: routing, extraction and the three
//! middlewares written by hand, as plain functions. The practical lower
//! bound for a server on hyper.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::net::TcpListener;

use crate::{new_request_id, parse_bool, process_time, CurrentUser, Db, DepsOut, Message, User};

/// The response type of every route.
pub type Resp = Response<Full<Bytes>>;

static X_PROCESS_TIME: HeaderName = HeaderName::from_static("x-process-time");
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static X_CUSTOM_HEADER: HeaderName = HeaderName::from_static("x-custom-header");

/// The largest `POST /echo` body read, as the framework's default.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

fn status(code: StatusCode) -> Resp {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}

fn unprocessable() -> Resp {
    let mut response = Response::new(Full::new(Bytes::from_static(
        br#"{"detail":"Unprocessable Entity"}"#,
    )));
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn json<T: Serialize>(value: &T) -> Resp {
    let mut buf = Vec::with_capacity(128);
    match serde_json::to_writer(&mut buf, value) {
        Ok(()) => {
            let mut response = Response::new(Full::new(Bytes::from(buf)));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn plaintext() -> Resp {
    let mut response = Response::new(Full::new(Bytes::from_static(crate::PLAINTEXT.as_bytes())));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(crate::TEXT_PLAIN));
    response
}

fn user(id: &str, query: Option<&str>) -> Resp {
    let Ok(id) = id.parse::<i64>() else {
        return unprocessable();
    };
    let raw = query
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "verbose")
        .map(|(_, value)| value);
    let verbose = match raw {
        None => false,
        Some(raw) => match parse_bool(raw) {
            Some(verbose) => verbose,
            None => return unprocessable(),
        },
    };
    json(&User { id, verbose })
}

async fn echo(request: Request<Incoming>) -> Resp {
    let bytes = match Limited::new(request.into_body(), BODY_LIMIT)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return status(StatusCode::BAD_REQUEST),
    };
    match serde_json::from_slice::<Map<String, Value>>(&bytes) {
        Ok(object) => json(&object),
        Err(_) => unprocessable(),
    }
}

fn deps() -> Resp {
    let db = Db::open();
    let user = CurrentUser::load(&db);
    json(&DepsOut {
        user: &user.name,
        db: &db.conn,
    })
}

/// Routes by hand: a `match` on method and path.
pub async fn route(request: Request<Incoming>) -> Resp {
    let path = request.uri().path();
    match (request.method(), path) {
        (&Method::GET, "/plaintext") => plaintext(),
        (&Method::GET, "/json") => json(&Message {
            message: crate::MESSAGE,
        }),
        (&Method::GET, "/deps") => deps(),
        (&Method::POST, "/echo") => echo(request).await,
        (&Method::GET, _) if path.starts_with("/users/") && !path[7..].contains('/') => {
            user(&path[7..], request.uri().query())
        }
        (_, "/plaintext" | "/json" | "/deps" | "/echo") => status(StatusCode::METHOD_NOT_ALLOWED),
        _ => status(StatusCode::NOT_FOUND),
    }
}

/// Timing, outermost.
async fn timing(request: Request<Incoming>) -> Resp {
    let start = std::time::Instant::now();
    let mut response = request_id(request).await;
    if let Ok(value) = HeaderValue::try_from(process_time(start)) {
        response.headers_mut().insert(X_PROCESS_TIME.clone(), value);
    }
    response
}

/// Request id: copied from the request, or made.
async fn request_id(request: Request<Incoming>) -> Resp {
    let id = match request.headers().get(&X_REQUEST_ID) {
        Some(id) => id.clone(),
        None => {
            let mut buf = [0; 36];
            HeaderValue::from_str(new_request_id(&mut buf)).expect("a UUID is a valid header value")
        }
    };
    let mut response = custom_header(request).await;
    response.headers_mut().insert(X_REQUEST_ID.clone(), id);
    response
}

/// The custom header, innermost.
async fn custom_header(request: Request<Incoming>) -> Resp {
    let mut response = route(request).await;
    response.headers_mut().insert(
        X_CUSTOM_HEADER.clone(),
        HeaderValue::from_static(crate::CUSTOM_HEADER_VALUE),
    );
    response
}

/// The whole app: the three middlewares around the routes when `stack`.
pub async fn app(request: Request<Incoming>, stack: bool) -> Resp {
    if stack {
        timing(request).await
    } else {
        route(request).await
    }
}

/// Serves HTTP/1.1 on `127.0.0.1:port` until Ctrl-C or SIGTERM.
pub async fn serve(port: u16, stack: bool) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let mut shutdown = std::pin::pin!(crate::shutdown_signal());
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service =
                service_fn(
                    move |request| async move { Ok::<_, Infallible>(app(request, stack).await) },
                );
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
