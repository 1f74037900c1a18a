//! What the app knows of its routes, kept whole from the macros: the
//! router, the start-up checks and tools (the OpenAPI document, a route
//! listing) read it; nothing changes it after the app is built.
//!
//! The macros write the parts known from the source ([`RouteMeta`], as a
//! `static`); the parts that trait dispatch decides (where each parameter
//! comes from, the dependencies a `Depends<D>` brings) are filled in once,
//! when the route is registered, into a [`RouteInfo`]. Read them from a
//! built app with [`AppService::routes`](crate::service::AppService::routes).

use std::any::TypeId;
use std::collections::BTreeMap;

use serde_json::Value;

/// What `#[get]` and its siblings know of a route from its source.
///
/// Written by the macros; read it through [`RouteInfo::meta`] (or
/// `Route::meta` on the route itself).
#[derive(Debug)]
pub struct RouteMeta {
    /// The handler's name.
    pub name: &'static str,
    /// The path template as written (`/files/{file_path:path}`).
    pub template: &'static str,
    /// The same template in the router's syntax (`/files/{*file_path}`).
    pub router_path: &'static str,
    /// The methods it answers.
    pub methods: &'static [&'static str],
    /// The path parameters, in template order.
    pub params: &'static [&'static str],
    /// `status_code = N`.
    pub status_code: Option<u16>,
    /// Where the route was declared.
    pub file: &'static str,
    /// The line it was declared on.
    pub line: u32,
    /// The handler's doc comment, its lines joined with newlines.
    pub doc: &'static str,
    /// The arguments the OpenAPI document reads.
    pub openapi: OpenApiArgs,
}

/// The route attribute's arguments for the OpenAPI document: `tags`,
/// `summary`, `description`, `deprecated`, `include_in_schema`,
/// `response_description`, `operation_id`.
#[derive(Debug)]
pub struct OpenApiArgs {
    /// `tags = ["items"]`.
    pub tags: &'static [&'static str],
    /// `summary = "…"` (FastAPI makes one from the name when absent).
    pub summary: Option<&'static str>,
    /// `description = "…"` (FastAPI uses the doc comment when absent).
    pub description: Option<&'static str>,
    /// `deprecated` or `deprecated = true`.
    pub deprecated: bool,
    /// `include_in_schema = false` leaves the route out of the document.
    pub include_in_schema: bool,
    /// `response_description = "…"` (FastAPI: "Successful Response").
    pub response_description: Option<&'static str>,
    /// `operation_id = "…"`.
    pub operation_id: Option<&'static str>,
}

/// Everything the app knows of one registered route.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    /// What the macro knew from the source.
    pub meta: &'static RouteMeta,
    /// The full path template, with the prefixes of the routers around it.
    pub path: String,
    /// The handler's parameters, in declaration order.
    pub params: Vec<ParamInfo>,
    /// The dependencies resolved for their effect before the handler, in
    /// the order they run: the app's, then each router's, then the route's
    /// own `dependencies(…)`.
    pub dependencies: Vec<DependencyInfo>,
    /// The handler's return type.
    pub returns: TypeInfo,
}

impl RouteInfo {
    /// The parameters that read the request body.
    pub fn body(&self) -> impl Iterator<Item = &ParamInfo> {
        self.params
            .iter()
            .filter(|p| matches!(p.source, ParamSource::Body | ParamSource::Form))
    }

    /// `name in file:line`, as start-up messages name the route.
    pub fn origin(&self) -> String {
        format!(
            "`{}` in {}:{}",
            self.meta.name, self.meta.file, self.meta.line
        )
    }
}

/// A dependency and its own parameters.
#[derive(Debug, Clone)]
pub struct DependencyInfo {
    /// The function's name.
    pub name: &'static str,
    /// Where it was declared.
    pub file: &'static str,
    /// The line it was declared on.
    pub line: u32,
    /// Its parameters (other dependencies among them, each with theirs).
    pub params: Vec<ParamInfo>,
    /// What it gives: its return type without `Result` and `Yield`.
    pub output: TypeInfo,
}

/// A `#[middleware("http")]` function and its parameters beyond the
/// request and `call_next`. Class-style middleware has none.
#[derive(Debug, Clone)]
pub struct MiddlewareInfo {
    /// The middleware's name.
    pub name: &'static str,
    /// Where it was declared (empty for class-style middleware).
    pub file: &'static str,
    /// The line it was declared on.
    pub line: u32,
    /// Its parameters.
    pub params: Vec<ParamInfo>,
}

/// One parameter of a handler, dependency or middleware.
#[derive(Debug, Clone)]
pub struct ParamInfo {
    /// The parameter's name in the function.
    pub name: &'static str,
    /// The name it is read under: the query or form field, the header
    /// (`user-agent` for `user_agent`), the cookie, the path parameter.
    /// For injected values and dependencies, the parameter's name.
    pub key: String,
    /// Where its value comes from.
    pub source: ParamSource,
    /// Its type.
    pub ty: TypeInfo,
    /// Whether it must be sent.
    pub presence: Presence,
    /// `alias = "…"` when given.
    pub alias: Option<&'static str>,
    /// The dependency, for a `Depends<D>` parameter.
    pub dependency: Option<DependencyInfo>,
    /// The type of app state asked for, for a `State<T>` parameter.
    pub state: Option<StateType>,
}

impl ParamInfo {
    /// A parameter of `source`, required, with no alias or dependency.
    pub fn new(name: &'static str, source: ParamSource, ty: TypeInfo) -> Self {
        ParamInfo {
            name,
            key: name.to_owned(),
            source,
            ty,
            presence: Presence::Required,
            alias: None,
            dependency: None,
            state: None,
        }
    }
}

/// A type of app state, as [`App::state`](crate::App::state) keys it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateType {
    /// The type's identity.
    pub id: TypeId,
    /// The type's name.
    pub name: &'static str,
}

impl StateType {
    /// The state type `T`.
    pub fn of<T: 'static>() -> Self {
        StateType {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
        }
    }
}

/// Where a parameter's value comes from.
///
/// The order of the variants up to `Body` is FastAPI's order of the
/// entries of a 422: what dependencies found, then path, query, header and
/// cookie parameters, then the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ParamSource {
    /// A dependency (`Depends<D>`).
    Dependency,
    /// The path.
    Path,
    /// The query string.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
    /// The request body.
    Body,
    /// A form field of the body.
    Form,
    /// Given by the framework: the request, state, background tasks, the
    /// method, headers and the like.
    Injected,
}

impl ParamSource {
    /// Its place in FastAPI's order of 422 entries.
    pub(crate) fn rank(self) -> u8 {
        match self {
            ParamSource::Dependency => 0,
            ParamSource::Path => 1,
            ParamSource::Query => 2,
            ParamSource::Header => 3,
            ParamSource::Cookie => 4,
            ParamSource::Body | ParamSource::Form => 5,
            ParamSource::Injected => 6,
        }
    }

    /// The first element of a 422 entry's `loc`: `"path"`, `"query"`, ….
    pub fn loc(self) -> &'static str {
        match self {
            ParamSource::Path => "path",
            ParamSource::Query => "query",
            ParamSource::Header => "header",
            ParamSource::Cookie => "cookie",
            ParamSource::Body | ParamSource::Form => "body",
            ParamSource::Dependency | ParamSource::Injected => "",
        }
    }
}

/// Whether a parameter must be sent.
#[derive(Debug, Clone)]
pub enum Presence {
    /// Required: missing is a 422 `missing`.
    Required,
    /// `Option<T>`: missing is `None`.
    Optional,
    /// Missing takes a default; `value` gives it as JSON when the type
    /// serializes.
    Default {
        /// The default, as JSON.
        value: Option<Value>,
    },
}

/// A Rust type the app takes or gives, and the hook that produces its
/// JSON Schema.
#[derive(Clone, Copy)]
pub struct TypeInfo {
    /// The type's name, as `std::any::type_name` gives it.
    pub name: &'static str,
    /// Produces the type's JSON Schema, adding the schemas it refers to by
    /// `$ref` to the definitions; `None` when the type has no schema.
    pub schema: Option<SchemaFn>,
}

impl std::fmt::Debug for TypeInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeInfo")
            .field("name", &self.name)
            .field("schema", &self.schema.is_some())
            .finish()
    }
}

/// The hook of [`TypeInfo::schema`].
pub type SchemaFn = fn(&mut Definitions) -> Value;

/// The named schemas a document's `$ref`s point to, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Definitions {
    /// The schemas, by name.
    pub schemas: BTreeMap<String, Value>,
}

/// A type whose JSON Schema the app can give (draft 2020-12, as
/// pydantic's), so that its routes can be documented.
pub trait Schema {
    /// The type's schema; schemas it refers to go into `definitions`.
    fn schema(definitions: &mut Definitions) -> Value;
}

macro_rules! schema_of {
    ($schema:tt: $($ty:ty)*) => {$(
        impl Schema for $ty {
            fn schema(_: &mut Definitions) -> Value {
                serde_json::json!($schema)
            }
        }
    )*};
}
schema_of!({"type": "integer"}: i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);
schema_of!({"type": "number"}: f32 f64);
schema_of!({"type": "boolean"}: bool);
schema_of!({"type": "string"}: String char);
schema_of!({"type": "string", "format": "uuid"}: uuid::Uuid);

impl<T: Schema> Schema for Option<T> {
    fn schema(definitions: &mut Definitions) -> Value {
        serde_json::json!({"anyOf": [T::schema(definitions), {"type": "null"}]})
    }
}

impl<T: Schema> Schema for Vec<T> {
    fn schema(definitions: &mut Definitions) -> Value {
        serde_json::json!({"type": "array", "items": T::schema(definitions)})
    }
}
