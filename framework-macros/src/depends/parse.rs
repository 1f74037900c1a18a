//! The arguments of `#[depends]`: `scope = "function"` or `scope = "request"`.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Token};

use crate::diag::{split_args, Diagnostics};

pub(crate) struct DependsArgs {
    /// `scope = "function"`: the cleanup runs right after the handler.
    pub(crate) cleanup_after_handler: bool,
}

pub(crate) fn parse(args: TokenStream, diag: &mut Diagnostics) -> DependsArgs {
    let mut parsed = DependsArgs {
        cleanup_after_handler: false,
    };
    let mut seen = false;
    for item in split_args(args) {
        let result = (|input: ParseStream<'_>| -> syn::Result<bool> {
            let key: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `scope = \"function\"` or `scope = \"request\"`",
                )
            })?;
            match key.to_string().as_str() {
                "scope" if seen => Err(syn::Error::new(key.span(), "`scope` is given twice")),
                "scope" => {
                    input.parse::<Token![=]>()?;
                    let lit: LitStr = input.parse()?;
                    match lit.value().as_str() {
                        "function" => Ok(true),
                        "request" => Ok(false),
                        _ => Err(syn::Error::new(lit.span(), "scope is \"function\" or \"request\"")),
                    }
                }
                "use_cache" => Err(syn::Error::new(
                    key.span(),
                    "`use_cache` goes on a use of the dependency: \
                     `#[depends(use_cache = false)] q: Depends<get_query>`",
                )),
                other => Err(syn::Error::new(
                    key.span(),
                    format!("unknown argument `{other}`; expected `scope = \"function\"` or `scope = \"request\"`"),
                )),
            }
        })
        .parse2(item);
        match result {
            Ok(after_handler) => {
                seen = true;
                parsed.cleanup_after_handler = after_handler;
            }
            Err(e) => diag.push(e),
        }
    }
    parsed
}
