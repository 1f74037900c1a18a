//! The argument of `#[middleware]`: its kind, `"http"`.

use proc_macro2::TokenStream;
use syn::LitStr;

use crate::diag::Diagnostics;

pub(crate) fn check_kind(args: TokenStream, diag: &mut Diagnostics) {
    if args.is_empty() {
        diag.error_at(
            proc_macro2::Span::call_site(),
            "say which kind of middleware: `#[middleware(\"http\")]`",
        );
        return;
    }
    match syn::parse2::<LitStr>(args.clone()) {
        Ok(kind) if kind.value() == "http" => {}
        Ok(kind) => diag.error(
            &kind,
            format!(
                "unknown middleware kind \"{}\"; the kind is \"http\"",
                kind.value()
            ),
        ),
        Err(_) => diag.error(args, "expected `\"http\"`, as in `#[middleware(\"http\")]`"),
    }
}
