//! Maps serde's errors to pydantic's `type`/`msg` wording, with the path of
//! the offending value as `loc` and the value itself as `input`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ErrorDetail, Loc};

/// The details for a JSON body `bytes` that failed to become `T`.
pub(crate) fn json_errors<T: DeserializeOwned>(
    bytes: &[u8],
    error: serde_json::Error,
) -> ErrorDetail {
    if error.is_syntax() || error.is_eof() {
        return json_invalid(bytes, &error);
    }
    // The fast path gave no location: decode again through a `Value` to
    // learn where the bad value sits and what it was.
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => return json_invalid(bytes, &e),
    };
    // serde reads a struct from an array too (by position); pydantic does
    // not, so an array given for a model is reported as pydantic does.
    if !value.is_object() && is_struct::<T>() {
        return ErrorDetail::new(
            "model_attributes_type",
            vec![Loc::from("body")],
            "Input should be a valid dictionary or object to extract fields from",
            value,
        );
    }
    match serde_path_to_error::deserialize::<_, T>(&value) {
        Ok(_) => ErrorDetail::new(
            "value_error",
            vec![Loc::from("body")],
            format!("Value error, {error}"),
            Value::Null,
        ),
        Err(e) => {
            let mut loc = vec![Loc::from("body")];
            let mut input = &value;
            for segment in e.path().iter() {
                use serde_path_to_error::Segment;
                match segment {
                    Segment::Seq { index } => {
                        loc.push(Loc::Index(*index));
                        input = input.get(*index).unwrap_or(&Value::Null);
                    }
                    Segment::Map { key } => {
                        loc.push(Loc::from(key.clone()));
                        input = input.get(key.as_str()).unwrap_or(&Value::Null);
                    }
                    Segment::Enum { .. } | Segment::Unknown => {}
                }
            }
            let message = e.inner().to_string();
            data_error(loc, input.clone(), strip_position(&message))
        }
    }
}

fn json_invalid(bytes: &[u8], error: &serde_json::Error) -> ErrorDetail {
    let offset = offset_of(bytes, error.line(), error.column());
    let mut detail = ErrorDetail::new(
        "json_invalid",
        vec![Loc::from("body"), Loc::Index(offset)],
        "JSON decode error",
        Value::Object(Default::default()),
    );
    detail.ctx = Some(serde_json::json!({ "error": strip_position(&error.to_string()) }));
    detail
}

/// The character offset of a 1-based line and column, as Python's JSON
/// decoder reports positions.
fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let before: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(|l| l.chars().count())
        .sum();
    before + column.saturating_sub(1)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// A data error (the JSON was well formed, the shape was wrong), worded as
/// pydantic words the common cases.
pub(crate) fn data_error(mut loc: Vec<Loc>, input: Value, message: String) -> ErrorDetail {
    if let Some(field) = between(&message, "missing field `", "`") {
        loc.push(Loc::from(field.to_owned()));
        return ErrorDetail::new("missing", loc, "Field required", input);
    }
    if let Some(field) = between(&message, "unknown field `", "`") {
        loc.push(Loc::from(field.to_owned()));
        let input = input.get(field).cloned().unwrap_or(Value::Null);
        return ErrorDetail::new(
            "extra_forbidden",
            loc,
            "Extra inputs are not permitted",
            input,
        );
    }
    if message.starts_with("invalid type:") {
        let expected = message.rsplit("expected ").next().unwrap_or("");
        let (kind, msg) = expected_kind(expected);
        return ErrorDetail::new(kind, loc, msg, input);
    }
    ErrorDetail::new("value_error", loc, format!("Value error, {message}"), input)
}

fn expected_kind(expected: &str) -> (&'static str, &'static str) {
    match expected {
        "a string" | "a borrowed string" | "a character" => {
            ("string_type", "Input should be a valid string")
        }
        "a boolean" => ("bool_type", "Input should be a valid boolean"),
        "f32" | "f64" => ("float_type", "Input should be a valid number"),
        "a sequence" | "a tuple" => ("list_type", "Input should be a valid list"),
        "a map" => ("dict_type", "Input should be a valid dictionary"),
        e if e.starts_with("struct ") => (
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        ),
        e if e.starts_with('i') || e.starts_with('u') => {
            ("int_type", "Input should be a valid integer")
        }
        _ => ("value_error", "Value error, invalid type"),
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// The details for urlencoded `pairs` (a form body or the query string)
/// that failed to become `T`; `source` is `"body"` or `"query"`.
pub(crate) fn urlencoded_error<T: DeserializeOwned>(
    bytes: &[u8],
    source: &'static str,
) -> Option<ErrorDetail> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    let error = serde_path_to_error::deserialize::<_, T>(deserializer).err()?;
    let mut loc = vec![Loc::from(source)];
    let mut field = None;
    for segment in error.path().iter() {
        if let serde_path_to_error::Segment::Map { key } = segment {
            loc.push(Loc::from(key.clone()));
            field = Some(key.clone());
        }
    }
    let message = error.inner().to_string();
    let raw = field.as_deref().and_then(|name| {
        form_urlencoded::parse(bytes)
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    });
    if let Some(raw) = raw {
        // A scalar that did not parse: word it as the path and query
        // parameters do, by what the text looks like it should have been.
        let (kind, msg) = if message.contains("invalid digit") || message.contains("number too") {
            (
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            )
        } else if message.contains("invalid float") {
            (
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            )
        } else if message.contains("provided string was not `true` or `false`") {
            (
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
            )
        } else {
            return Some(data_error(loc, Value::String(raw), message));
        };
        return Some(ErrorDetail::new(kind, loc, msg, Value::String(raw)));
    }
    let input: serde_json::Map<String, Value> = form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    let input = if message.starts_with("missing field") {
        Value::Null
    } else {
        Value::Object(input)
    };
    Some(data_error(loc, input, message))
}

/// Whether `T` deserializes as a struct, learned by asking it to
/// deserialize from a probe that only records the first request.
fn is_struct<T: DeserializeOwned>() -> bool {
    matches!(T::deserialize(Probe), Err(Probed::Struct))
}

struct Probe;

#[derive(Debug)]
enum Probed {
    Struct,
    Other,
}

impl std::fmt::Display for Probed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("probe")
    }
}

impl std::error::Error for Probed {}

impl serde::de::Error for Probed {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Probed::Other
    }
}

impl<'de> serde::Deserializer<'de> for Probe {
    type Error = Probed;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed::Other)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probed> {
        Err(Probed::Struct)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}
