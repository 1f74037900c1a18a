//! The attribute macros of `framework`. Use them through `framework`
//! (`use framework::prelude::*;`), which re-exports them; the code they
//! generate names only `::framework::__private` paths (see `paths`).
//!
//! Each macro is a pipeline: `parse` reads the attribute's arguments,
//! `model` checks them with the function's signature (read once, by
//! `params`), and `expand` writes the code. Every mistake is collected and
//! reported at once, on the exact token; after one, the macro still emits
//! the function and a stub of what it makes, so one mistake gives one error.

mod depends;
mod diag;
mod middleware;
mod params;
mod paths;
mod route;
mod template;

use proc_macro::TokenStream;

macro_rules! method_macros {
    ($($name:ident => $method:literal),* $(,)?) => {$(
        #[doc = concat!("Makes an `async fn` (or a plain `fn`) answer `", $method, "` requests on a path.")]
        ///
        /// ```ignore
        /// #[get("/items/{item_id}", status_code = 200, tags = ["items"])]
        /// async fn read_item(item_id: u32, q: Option<String>) -> Json<Item> { … }
        /// ```
        ///
        /// Arguments: the path template (FastAPI's syntax: `{name}`, and
        /// `{name:path}` for the rest of the path), then optionally
        /// `status_code = N` (the status of a success), `dependencies(a, b)`
        /// (dependencies run for their effect), and for the OpenAPI document
        /// `tags = ["…"]`, `summary = "…"`, `description = "…"`,
        /// `response_description = "…"`, `operation_id = "…"`,
        /// `deprecated`, `include_in_schema = false`.
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            route::expand(Some($method), args.into(), item.into()).into()
        }
    )*};
}

method_macros! {
    get => "GET",
    post => "POST",
    put => "PUT",
    patch => "PATCH",
    delete => "DELETE",
    head => "HEAD",
    options => "OPTIONS",
}

/// A route answering several methods:
/// `#[route("/items", methods = ["GET", "POST"])]`.
#[proc_macro_attribute]
pub fn route(args: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(None, args.into(), item.into()).into()
}

/// Makes a function a dependency, injected with `Depends<name>`, as
/// FastAPI's `Depends(name)`. `name` becomes the dependency (a type for
/// `Depends<name>`, and a function for `App::dependency(name)`); the
/// function as written stays callable as `name::call(…)`.
///
/// `#[depends(scope = "function")]` runs its cleanup (see `Yield`) right
/// after the handler instead of after the response is sent.
#[proc_macro_attribute]
pub fn depends(args: TokenStream, item: TokenStream) -> TokenStream {
    depends::expand(args.into(), item.into()).into()
}

/// Makes `async fn(request: Request, call_next: Next) -> Response` a
/// middleware, as FastAPI's `@app.middleware("http")`. Inside,
/// `call_next(request).await` passes the request on.
#[proc_macro_attribute]
pub fn middleware(args: TokenStream, item: TokenStream) -> TokenStream {
    middleware::expand(args.into(), item.into()).into()
}
