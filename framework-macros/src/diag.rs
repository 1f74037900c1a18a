//! Collects every mistake in one macro input, to report them all at once,
//! each on its exact token; and what an expansion emits after a mistake.

use proc_macro2::TokenStream;
use quote::ToTokens;

#[derive(Default)]
pub(crate) struct Diagnostics {
    errors: Option<syn::Error>,
}

impl Diagnostics {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(errors) => errors.combine(error),
            None => self.errors = Some(error),
        }
    }

    /// An error spanning `tokens`.
    pub(crate) fn error(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// An error at one span.
    pub(crate) fn error_at(&mut self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// The expansion: `expand` when nothing was wrong; else every error,
    /// then `stub`, a stand-in for what the macro makes, so that uses of
    /// it elsewhere still compile and one mistake gives one error.
    pub(crate) fn finish(
        self,
        stub: impl FnOnce() -> TokenStream,
        expand: impl FnOnce() -> TokenStream,
    ) -> TokenStream {
        match self.errors {
            None => expand(),
            Some(errors) => {
                let mut tokens = errors.to_compile_error();
                tokens.extend(stub());
                tokens
            }
        }
    }
}

/// The function an attribute is on, or (when it is on something else) the
/// error saying what it goes on, with the item emitted unchanged after it.
pub(crate) fn function(item: TokenStream, goes_on: &str) -> Result<syn::ItemFn, TokenStream> {
    match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(function) => Ok(function),
        Err(_) => {
            let span = item
                .clone()
                .into_iter()
                .next()
                .map_or_else(proc_macro2::Span::call_site, |t| t.span());
            let errors = syn::Error::new(span, goes_on).to_compile_error();
            Err(quote::quote!(#errors #item))
        }
    }
}

/// The arguments of an attribute, split at their top-level commas, so
/// that each is parsed (and its mistake reported) on its own.
pub(crate) fn split_args(args: TokenStream) -> Vec<TokenStream> {
    let mut items = Vec::new();
    let mut current = TokenStream::new();
    for tree in args {
        match &tree {
            proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => {
                items.push(std::mem::take(&mut current));
            }
            _ => current.extend([tree]),
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

/// The doc comment of an item, its lines joined with newlines, as
/// FastAPI takes a docstring (common indentation removed).
pub(crate) fn doc_comment(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let text: Vec<&str> = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect();
    text.join("\n").trim().to_owned()
}
