//! Scalar parameters from the path, the query, headers and cookies.

use std::borrow::Cow;
use std::fmt::Display;
use std::marker::PhantomData;
use std::str::FromStr;

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

/// Picks [`FromParam`] when the type has it and `FromStr` otherwise, by
/// method resolution on a reference ("autoref specialization"): the
/// generated code calls `(&ParamParser::<T>::new()).parse_param(text)`.
#[doc(hidden)]
pub struct ParamParser<T>(PhantomData<fn() -> T>);

impl<T> ParamParser<T> {
    #[doc(hidden)]
    pub const fn new() -> Self {
        ParamParser(PhantomData)
    }
}

#[doc(hidden)]
pub trait ViaFromParam<T> {
    fn parse_param(&self, text: &str) -> Result<T, ParamError>;
}

impl<T: FromParam> ViaFromParam<T> for ParamParser<T> {
    fn parse_param(&self, text: &str) -> Result<T, ParamError> {
        T::from_param(text)
    }
}

#[doc(hidden)]
pub trait ViaFromStr<T> {
    fn parse_param(&self, text: &str) -> Result<T, ParamError>;
}

impl<T: FromStr> ViaFromStr<T> for &ParamParser<T>
where
    T::Err: Display,
{
    fn parse_param(&self, text: &str) -> Result<T, ParamError> {
        text.parse()
            .map_err(|e: T::Err| ParamError::new("value_error", format!("Value error, {e}")))
    }
}
