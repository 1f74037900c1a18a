//! `#[depends]`: a braced struct of the function's name (types and
//! functions live in different namespaces) implements `Dependency`, so that
//! `Depends<get_query>` names it; a function of the same name returns it, so
//! that `App::dependency(get_query)` takes the name as written; and the
//! function as written is kept as `get_query::call`. [`parse`] reads the
//! attribute's arguments, [`model`] the function, [`expand`] writes the code.

mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::diag::{self, Diagnostics};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match diag::function(
        item,
        "`#[depends]` goes on a function: `async fn name(…) -> T { … }`",
    ) {
        Ok(function) => function,
        Err(tokens) => return tokens,
    };
    let mut diag = Diagnostics::default();
    let args = parse::parse(args, &mut diag);
    let dependency = model::Dependency::new(args, function, &mut diag);
    diag.finish(|| dependency.stub(), || dependency.expand())
}
