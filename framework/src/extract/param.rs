//! Parameters read from text: the path, the query, headers and cookies.

use std::borrow::Cow;

use crate::error::{ErrorDetail, Loc, ValidationError};
use crate::meta::ParamSource;
use crate::request::Request;

/// Why a parameter's text could not become its type, in pydantic's words.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    /// pydantic's error type, such as `"int_parsing"`.
    pub kind: Cow<'static, str>,
    /// pydantic's message.
    pub msg: Cow<'static, str>,
}

impl ParamError {
    /// An error of a kind, with its message.
    pub fn new(kind: impl Into<Cow<'static, str>>, msg: impl Into<Cow<'static, str>>) -> Self {
        ParamError {
            kind: kind.into(),
            msg: msg.into(),
        }
    }
}

/// A type a path, query, header or cookie parameter can be parsed into,
/// with the error FastAPI would give for bad text.
///
/// Implemented for the integers, floats, `bool` (FastAPI's spellings:
/// `true`/`1`/`yes`/`on`/…), `String`, `char` and `uuid::Uuid`. Any other
/// type that implements `FromStr` works as a parameter too, its errors
/// reported as `value_error`.
pub trait FromParam: Sized {
    /// Parses the (percent-decoded) text.
    fn from_param(text: &str) -> Result<Self, ParamError>;
}

macro_rules! int_params {
    ($($ty:ty)*) => {$(
        impl FromParam for $ty {
            fn from_param(text: &str) -> Result<Self, ParamError> {
                text.trim().parse().map_err(|_| ParamError::new(
                    "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer",
                ))
            }
        }
    )*};
}
int_params!(i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);

macro_rules! float_params {
    ($($ty:ty)*) => {$(
        impl FromParam for $ty {
            fn from_param(text: &str) -> Result<Self, ParamError> {
                text.trim().parse().map_err(|_| ParamError::new(
                    "float_parsing",
                    "Input should be a valid number, unable to parse string as a number",
                ))
            }
        }
    )*};
}
float_params!(f32 f64);

impl FromParam for bool {
    fn from_param(text: &str) -> Result<Self, ParamError> {
        const TRUE: [&str; 6] = ["1", "on", "t", "true", "y", "yes"];
        const FALSE: [&str; 6] = ["0", "off", "f", "false", "n", "no"];
        if TRUE.iter().any(|t| t.eq_ignore_ascii_case(text)) {
            Ok(true)
        } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(text)) {
            Ok(false)
        } else {
            Err(ParamError::new(
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
            ))
        }
    }
}

impl FromParam for String {
    fn from_param(text: &str) -> Result<Self, ParamError> {
        Ok(text.to_owned())
    }
}

impl FromParam for char {
    fn from_param(text: &str) -> Result<Self, ParamError> {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(ParamError::new(
                "string_too_long",
                "String should have at most 1 character",
            )),
        }
    }
}

impl FromParam for uuid::Uuid {
    fn from_param(text: &str) -> Result<Self, ParamError> {
        uuid::Uuid::parse_str(text).map_err(|e| {
            ParamError::new("uuid_parsing", format!("Input should be a valid UUID, {e}"))
        })
    }
}

/// Where a text parameter is read from.
#[derive(Clone, Copy, Debug)]
#[doc(hidden)]
pub enum Place {
    /// The `index`th path parameter.
    Path(usize),
    /// The query string.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
}

impl Place {
    pub(crate) fn source(self) -> ParamSource {
        match self {
            Place::Path(_) => ParamSource::Path,
            Place::Query => ParamSource::Query,
            Place::Header => ParamSource::Header,
            Place::Cookie => ParamSource::Cookie,
        }
    }

    fn loc(self, key: &'static str) -> Vec<Loc> {
        vec![Loc::from(self.source().loc()), Loc::from(key)]
    }
}

fn raw<'r>(request: &'r Request, place: Place, key: &str) -> Option<Cow<'r, str>> {
    match place {
        Place::Path(index) => request.path_param(index),
        Place::Query => request.query(key),
        Place::Header => request.header(key).map(Cow::Borrowed),
        Place::Cookie => request.cookie(key).map(Cow::Borrowed),
    }
}

fn bad(place: Place, key: &'static str, raw: &str, error: ParamError) -> ErrorDetail {
    ErrorDetail::new(
        error.kind,
        place.loc(key),
        error.msg,
        serde_json::Value::String(raw.to_owned()),
    )
}

/// A required value: missing or unparsable is recorded.
pub(crate) fn read_one<T>(
    request: &Request,
    place: Place,
    key: &'static str,
    errors: &mut ValidationError,
    parse: impl FnOnce(&str) -> Result<T, ParamError>,
) -> Option<T> {
    match raw(request, place, key) {
        None => {
            errors.file_under(place.source().rank());
            errors.push(ErrorDetail::missing(place.loc(key)));
            None
        }
        Some(text) => parse(&text)
            .map_err(|e| {
                errors.file_under(place.source().rank());
                errors.push(bad(place, key, &text, e));
            })
            .ok(),
    }
}

/// An `Option<T>` value: missing is `None`.
pub(crate) fn read_optional<T>(
    request: &Request,
    place: Place,
    key: &'static str,
    errors: &mut ValidationError,
    parse: impl FnOnce(&str) -> Result<T, ParamError>,
) -> Option<Option<T>> {
    match raw(request, place, key) {
        None => Some(None),
        Some(text) => match parse(&text) {
            Ok(value) => Some(Some(value)),
            Err(e) => {
                errors.file_under(place.source().rank());
                errors.push(bad(place, key, &text, e));
                None
            }
        },
    }
}

/// A value with a default for when it is missing.
pub(crate) fn read_or<T>(
    request: &Request,
    place: Place,
    key: &'static str,
    errors: &mut ValidationError,
    parse: impl FnOnce(&str) -> Result<T, ParamError>,
    default: fn() -> T,
) -> Option<T> {
    match raw(request, place, key) {
        None => Some(default()),
        Some(text) => parse(&text)
            .map_err(|e| {
                errors.file_under(place.source().rank());
                errors.push(bad(place, key, &text, e));
            })
            .ok(),
    }
}

/// A repeated value (`?tag=a&tag=b`, or a header sent several times).
/// Missing is recorded, as FastAPI's `List[T] = Query()`, unless a default is given.
pub(crate) fn read_many<T>(
    request: &Request,
    place: Place,
    key: &'static str,
    errors: &mut ValidationError,
    parse: impl Fn(&str) -> Result<T, ParamError>,
    default: Option<fn() -> Vec<T>>,
) -> Option<Vec<T>> {
    let texts: Vec<Cow<'_, str>> = match place {
        Place::Query => request.query_all(key).collect(),
        Place::Header => request
            .headers()
            .get_all(key)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(Cow::Borrowed)
            .collect(),
        Place::Path(_) | Place::Cookie => raw(request, place, key).into_iter().collect(),
    };
    errors.file_under(place.source().rank());
    if texts.is_empty() {
        if let Some(default) = default {
            return Some(default());
        }
        errors.push(ErrorDetail::missing(place.loc(key)));
        return None;
    }
    let mut values = Vec::with_capacity(texts.len());
    let mut ok = true;
    for (index, text) in texts.iter().enumerate() {
        match parse(text) {
            Ok(value) => values.push(value),
            Err(e) => {
                let mut detail = bad(place, key, text, e);
                detail.loc.push(Loc::Index(index));
                errors.push(detail);
                ok = false;
            }
        }
    }
    ok.then_some(values)
}
