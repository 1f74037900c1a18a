//! The whole query string as one serde struct.

use std::future::Future;
use std::ops::Deref;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::serde_error::urlencoded_error;
use super::{FromRequest, Parameter};
use crate::error::{ErrorDetail, Loc, ValidationError};
use crate::meta::ParamSource;
use crate::request::Request;
use crate::response::Response;

/// The whole query string as one serde struct (FastAPI's query parameter
/// models); each bad or missing field is a 422 at `["query", field]`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Query<T>(pub T);

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> Query<T> {
    pub(crate) fn extract(request: &Request) -> Result<Self, ErrorDetail> {
        let query = request.query_string().unwrap_or("").as_bytes();
        match serde_urlencoded::from_bytes(query) {
            Ok(value) => Ok(Query(value)),
            Err(e) => Err(urlencoded_error::<T>(query, "query").unwrap_or_else(|| {
                ErrorDetail::new(
                    "value_error",
                    vec![Loc::from("query")],
                    format!("Value error, {e}"),
                    Value::Null,
                )
            })),
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> FromRequest for Query<T> {
    const SOURCE: ParamSource = ParamSource::Query;

    fn from_request(
        request: &mut Request,
        errors: &mut ValidationError,
    ) -> impl Future<Output = Result<Option<Self>, Response>> + Send {
        let query = Query::extract(request).map_err(|e| errors.push(e)).ok();
        std::future::ready(Ok(query))
    }
}

impl<T: DeserializeOwned + Send + 'static> Parameter for Query<T> {}
