//! Request bodies: JSON, forms, raw bytes and text.

use std::future::Future;
use std::ops::{Deref, DerefMut};

use bytes::Bytes;
use http::header;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::serde_error::{json_errors, urlencoded_error};
use super::{FromRequest, Parameter};
use crate::error::{ErrorDetail, HttpError, Loc, ValidationError};
use crate::meta::ParamSource;
use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// Why a body could not be had.
#[derive(Debug)]
pub enum BodyRejection {
    /// Bad input: joins the request's one 422 list.
    Invalid(ErrorDetail),
    /// An answer of its own: 413 too large, 400 cut off.
    Fail(HttpError),
}

impl From<HttpError> for BodyRejection {
    fn from(error: HttpError) -> Self {
        BodyRejection::Fail(error)
    }
}

/// A type a handler may take as its request body: `Json<T>`, `Form<T>`
/// and `Bytes` as they are, and any of these or `String` under `#[body]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a request body",
    note = "a body parameter is `Json<T>`, `Form<T>`, `Bytes` or `#[body] String`"
)]
pub trait FromBody: Sized + Send {
    /// Reads the body (through [`Request::body`], which keeps it for
    /// others) and makes the value.
    fn from_body(request: &mut Request)
        -> impl Future<Output = Result<Self, BodyRejection>> + Send;
}

fn missing_body() -> BodyRejection {
    BodyRejection::Invalid(ErrorDetail::missing(vec![Loc::from("body")]))
}

fn is_json(request: &Request) -> bool {
    match request.header(header::CONTENT_TYPE.as_str()) {
        None => true,
        Some(ct) => {
            let mime = ct.split(';').next().unwrap_or("").trim();
            mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
        }
    }
}

/// A JSON body in, or a JSON answer out.
///
/// In: the body must be JSON (`content-type: application/json`, or none)
/// that deserializes to `T`; anything else is a 422 in FastAPI's words.
/// Out: `T` serialized, with `content-type: application/json`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Json<T>(pub T);

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: DeserializeOwned + Send> FromBody for Json<T> {
    async fn from_body(request: &mut Request) -> Result<Self, BodyRejection> {
        let bytes = request.body().await?;
        if bytes.is_empty() {
            return Err(missing_body());
        }
        if !is_json(request) {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            return Err(BodyRejection::Invalid(ErrorDetail::new(
                "model_attributes_type",
                vec![Loc::from("body")],
                "Input should be a valid dictionary or object to extract fields from",
                Value::String(text),
            )));
        }
        match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(Json(value)),
            Err(e) => Err(BodyRejection::Invalid(json_errors::<T>(&bytes, e))),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match crate::response::to_json(&self.0) {
            Ok(bytes) => Response::json_bytes(bytes),
            Err(e) => {
                tracing::error!("Json: the response could not be serialized: {e}");
                crate::response::internal_server_error()
            }
        }
    }
}

/// A urlencoded form body (`application/x-www-form-urlencoded`) as a serde
/// struct; each bad or missing field is a 422 at `["body", field]`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Form<T>(pub T);

impl<T> Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Send> FromBody for Form<T> {
    async fn from_body(request: &mut Request) -> Result<Self, BodyRejection> {
        let bytes = request.body().await?;
        match serde_urlencoded::from_bytes(&bytes) {
            Ok(value) => Ok(Form(value)),
            Err(e) => Err(BodyRejection::Invalid(
                urlencoded_error::<T>(&bytes, "body").unwrap_or_else(|| {
                    ErrorDetail::new(
                        "value_error",
                        vec![Loc::from("body")],
                        format!("Value error, {e}"),
                        Value::Null,
                    )
                }),
            )),
        }
    }
}

impl FromBody for Bytes {
    async fn from_body(request: &mut Request) -> Result<Self, BodyRejection> {
        Ok(request.body().await?)
    }
}

impl FromBody for String {
    async fn from_body(request: &mut Request) -> Result<Self, BodyRejection> {
        let bytes = request.body().await?;
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            BodyRejection::Invalid(ErrorDetail::new(
                "string_unicode",
                vec![Loc::from("body")],
                "Input should be a valid string, unable to parse raw data as a unicode string",
                Value::Null,
            ))
        })
    }
}

/// The request body as `T`. `Err` is an answer of its own (413, 400).
pub(crate) async fn read_body<T: FromBody>(
    request: &mut Request,
    errors: &mut ValidationError,
) -> Result<Option<T>, Response> {
    errors.file_under(ParamSource::Body.rank());
    match T::from_body(request).await {
        Ok(value) => Ok(Some(value)),
        Err(BodyRejection::Invalid(detail)) => {
            errors.push(detail);
            Ok(None)
        }
        Err(BodyRejection::Fail(error)) => Err(error.into_response()),
    }
}

/// The body extractors: what `FromBody` reads, placed by type.
macro_rules! body_extractors {
    ($([$($generics:tt)*] $ty:ty, $source:expr;)*) => {$(
        impl<$($generics)*> FromRequest for $ty {
            const SOURCE: ParamSource = $source;

            fn from_request(
                request: &mut Request,
                errors: &mut ValidationError,
            ) -> impl Future<Output = Result<Option<Self>, Response>> + Send {
                read_body::<Self>(request, errors)
            }
        }

        impl<$($generics)*> Parameter for $ty {}
    )*};
}

body_extractors! {
    [T: DeserializeOwned + Send + 'static] Json<T>, ParamSource::Body;
    [T: DeserializeOwned + Send + 'static] Form<T>, ParamSource::Form;
    [] Bytes, ParamSource::Body;
}
