//! The arguments of a route attribute: `"/path", status_code = 201,
//! dependencies(verify_token), methods = ["GET", "POST"]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, parenthesized, LitInt, LitStr, Token};

mod kw {
    syn::custom_keyword!(status_code);
    syn::custom_keyword!(dependencies);
    syn::custom_keyword!(methods);
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

pub(crate) struct RouteArgs {
    pub(crate) path: LitStr,
    pub(crate) status_code: Option<(u16, Span)>,
    pub(crate) dependencies: Vec<syn::Path>,
    /// `methods = [...]`, for `#[route]` only.
    pub(crate) methods: Option<(Vec<String>, Span)>,
}

impl Parse for RouteArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error("expected the path, as in `#[get(\"/items/{item_id}\")]`"));
        }
        let path: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the path as a string literal, as in `\"/items\"`",
            )
        })?;
        let mut args = RouteArgs {
            path,
            status_code: None,
            dependencies: Vec::new(),
            methods: None,
        };
        let mut seen_dependencies = false;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::status_code) {
                let key: kw::status_code = input.parse()?;
                if args.status_code.is_some() {
                    return Err(syn::Error::new(key.span, "`status_code` is given twice"));
                }
                input.parse::<Token![=]>()?;
                let lit: LitInt = input.parse()?;
                let status: u16 = lit
                    .base10_parse()
                    .ok()
                    .filter(|s| (100..=999).contains(s))
                    .ok_or_else(|| {
                        syn::Error::new(lit.span(), "a status code is a number from 100 to 999")
                    })?;
                args.status_code = Some((status, lit.span()));
            } else if lookahead.peek(kw::dependencies) {
                let key: kw::dependencies = input.parse()?;
                if seen_dependencies {
                    return Err(syn::Error::new(key.span, "`dependencies` is given twice"));
                }
                seen_dependencies = true;
                let content;
                parenthesized!(content in input);
                let list = Punctuated::<syn::Path, Token![,]>::parse_terminated(&content)?;
                args.dependencies = list.into_iter().collect();
            } else if lookahead.peek(kw::methods) {
                let key: kw::methods = input.parse()?;
                if args.methods.is_some() {
                    return Err(syn::Error::new(key.span, "`methods` is given twice"));
                }
                input.parse::<Token![=]>()?;
                let content;
                let brackets = bracketed!(content in input);
                let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                let mut methods = Vec::new();
                for lit in list {
                    let method = lit.value().to_ascii_uppercase();
                    if !METHODS.contains(&method.as_str()) {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!(
                                "unknown method `{}`; expected one of {}",
                                lit.value(),
                                METHODS.join(", ")
                            ),
                        ));
                    }
                    if methods.contains(&method) {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!("method `{method}` is given twice"),
                        ));
                    }
                    methods.push(method);
                }
                if methods.is_empty() {
                    return Err(syn::Error::new(
                        brackets.span.join(),
                        "`methods` needs at least one method",
                    ));
                }
                args.methods = Some((methods, key.span));
            } else {
                let mut error = lookahead.error();
                if let Ok(ident) = input.fork().parse::<syn::Ident>() {
                    error = syn::Error::new(
                        ident.span(),
                        format!("unknown argument `{ident}`; expected `status_code = N` or `dependencies(…)`"),
                    );
                }
                return Err(error);
            }
        }
        Ok(args)
    }
}
