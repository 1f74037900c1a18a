//! `#[middleware("http")]`: an `async fn(request: Request, call_next: Next)`
//! becomes a unit struct implementing `Middleware`. Inside the body,
//! `call_next` is a closure, so `call_next(request).await` reads as in
//! FastAPI. [`parse`] reads the kind, [`model`] the function, [`expand`]
//! writes the code.

mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::diag::{self, Diagnostics};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match diag::function(
        item,
        "`#[middleware]` goes on `async fn name(request: Request, call_next: Next) -> Response`",
    ) {
        Ok(function) => function,
        Err(tokens) => return tokens,
    };
    let mut diag = Diagnostics::default();
    parse::check_kind(args, &mut diag);
    let name = function.sig.ident.clone();
    let vis = function.vis.clone();
    let middleware = model::Middleware::new(function, &mut diag);
    diag.finish(|| expand::stub(&name, &vis), || middleware.expand())
}
