//! `#[get]`, `#[post]`, … and `#[route]`: a handler becomes a unit struct
//! implementing `Route`, and the function itself stays callable as
//! `name().handler(…)`. [`parse`] reads the attribute's arguments,
//! [`model`] checks them with the function's signature into a [`model::Route`],
//! [`expand`] writes the code.

mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::diag::{self, Diagnostics};

pub(crate) fn expand(
    method: Option<&'static str>,
    args: TokenStream,
    item: TokenStream,
) -> TokenStream {
    let function = match diag::function(
        item,
        "a route attribute goes on a function: `async fn name(…) -> … { … }`",
    ) {
        Ok(function) => function,
        Err(tokens) => return tokens,
    };
    let mut diag = Diagnostics::default();
    let args = parse::parse(args, &mut diag);
    let name = function.sig.ident.clone();
    let vis = function.vis.clone();
    let route = model::Route::new(method, args, function, &mut diag);
    diag.finish(|| expand::stub(&name, &vis), || route.expand())
}
