//! Collects every mistake in one macro input, to report them all at once.

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

    pub(crate) fn has_errors(&self) -> bool {
        self.errors.is_some()
    }

    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.errors
            .map(|e| e.to_compile_error())
            .unwrap_or_default()
    }
}

/// The function an attribute is on, or (when it is on something else) the
/// error saying what it goes on, with the item emitted unchanged after it.
pub(crate) fn function(
    item: TokenStream,
    diag: &mut Diagnostics,
    goes_on: &str,
) -> Result<syn::ItemFn, TokenStream> {
    match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(function) => Ok(function),
        Err(_) => {
            let span = item
                .clone()
                .into_iter()
                .next()
                .map_or_else(proc_macro2::Span::call_site, |t| t.span());
            diag.error_at(span, goes_on);
            let errors = std::mem::take(diag).into_compile_errors();
            Err(quote::quote!(#errors #item))
        }
    }
}
