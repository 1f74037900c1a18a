//! The arguments of a route attribute: `"/path", status_code = 201,
//! dependencies(verify_token), methods = ["GET", "POST"], tags = ["items"],
//! summary = "…", …`. Each argument is parsed on its own, so that every
//! mistake is reported at once, on its token.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{bracketed, parenthesized, Ident, LitBool, LitInt, LitStr, Token};

use crate::diag::{split_args, Diagnostics};

pub(crate) const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// What each argument looks like, for the message naming them all.
const ARGUMENTS: &str = "`status_code = 201`, `dependencies(verify_token)`, \
    `methods = [\"GET\", \"POST\"]` (on `#[route]`), `tags = [\"items\"]`, `summary = \"…\"`, \
    `description = \"…\"`, `response_description = \"…\"`, `operation_id = \"…\"`, \
    `deprecated`, `include_in_schema = false`";

#[derive(Default)]
pub(crate) struct RouteArgs {
    pub(crate) path: Option<LitStr>,
    pub(crate) status_code: Option<u16>,
    pub(crate) dependencies: Vec<syn::Path>,
    /// `methods = [...]`, with the span of the key.
    pub(crate) methods: Option<(Vec<String>, Span)>,
    pub(crate) tags: Vec<LitStr>,
    pub(crate) summary: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) response_description: Option<LitStr>,
    pub(crate) operation_id: Option<LitStr>,
    pub(crate) deprecated: bool,
    pub(crate) include_in_schema: Option<bool>,
    /// Every key given, to refuse a second one.
    seen: Vec<String>,
}

/// Reads the arguments, recording every mistake in `diag`.
pub(crate) fn parse(args: TokenStream, diag: &mut Diagnostics) -> RouteArgs {
    let mut parsed = RouteArgs::default();
    let mut items = split_args(args).into_iter();
    match items.next() {
        None => diag.error_at(
            Span::call_site(),
            "expected the path, as in `#[get(\"/items/{item_id}\")]`",
        ),
        Some(first) => match syn::parse2::<LitStr>(first.clone()) {
            Ok(path) => parsed.path = Some(path),
            Err(_) => diag.error(
                first,
                "expected the path as a string literal, as in `\"/items\"`",
            ),
        },
    }
    for item in items {
        if let Err(e) = (|input: ParseStream<'_>| parsed.argument(input)).parse2(item) {
            diag.push(e);
        }
    }
    parsed
}

impl RouteArgs {
    /// Whether `key` was written (even if its value was wrong).
    pub(crate) fn given(&self, key: &str) -> bool {
        self.seen.iter().any(|k| k == key)
    }

    fn argument(&mut self, input: ParseStream<'_>) -> syn::Result<()> {
        let key: Ident = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), format!("expected an argument: {ARGUMENTS}")))?;
        let name = key.to_string();
        if self.seen.contains(&name) {
            return Err(syn::Error::new(
                key.span(),
                format!("`{name}` is given twice"),
            ));
        }
        self.seen.push(name.clone());
        match name.as_str() {
            "status_code" => {
                input.parse::<Token![=]>()?;
                let lit: LitInt = input.parse()?;
                let status = lit
                    .base10_parse::<u16>()
                    .ok()
                    .filter(|s| (100..=999).contains(s))
                    .ok_or_else(|| {
                        syn::Error::new(lit.span(), "a status code is a number from 100 to 999")
                    })?;
                self.status_code = Some(status);
            }
            "dependencies" => {
                let content;
                parenthesized!(content in input);
                let list = Punctuated::<syn::Path, Token![,]>::parse_terminated(&content)?;
                self.dependencies = list.into_iter().collect();
            }
            "methods" => {
                input.parse::<Token![=]>()?;
                self.methods = Some((methods(input)?, key.span()));
            }
            "tags" => {
                input.parse::<Token![=]>()?;
                let list = (|input: ParseStream<'_>| {
                    let content;
                    bracketed!(content in input);
                    Punctuated::<LitStr, Token![,]>::parse_terminated(&content)
                })(input)
                .map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "`tags` is a list of strings: `tags = [\"items\"]`",
                    )
                })?;
                self.tags = list.into_iter().collect();
            }
            "summary" => self.summary = Some(string(input)?),
            "description" => self.description = Some(string(input)?),
            "response_description" => self.response_description = Some(string(input)?),
            "operation_id" => self.operation_id = Some(string(input)?),
            "deprecated" => {
                self.deprecated = if input.peek(Token![=]) {
                    input.parse::<Token![=]>()?;
                    input.parse::<LitBool>()?.value
                } else {
                    true
                };
            }
            "include_in_schema" => {
                input.parse::<Token![=]>()?;
                self.include_in_schema = Some(input.parse::<LitBool>()?.value);
            }
            _ => {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown argument `{name}`; a route takes {ARGUMENTS}"),
                ))
            }
        }
        if !input.is_empty() {
            return Err(input.error(format!("unexpected tokens after `{name}`")));
        }
        Ok(())
    }
}

/// `= "text"`.
fn string(input: ParseStream<'_>) -> syn::Result<LitStr> {
    input.parse::<Token![=]>()?;
    input.parse()
}

/// `["GET", "POST"]`: known methods, each once, at least one.
fn methods(input: ParseStream<'_>) -> syn::Result<Vec<String>> {
    let content;
    let brackets = bracketed!(content in input);
    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
    let mut methods = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut fail = |error: syn::Error| match &mut errors {
        Some(errors) => errors.combine(error),
        None => errors = Some(error),
    };
    for lit in list {
        let method = lit.value().to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            fail(syn::Error::new(
                lit.span(),
                format!(
                    "unknown method `{}`; expected one of {}",
                    lit.value(),
                    METHODS.join(", ")
                ),
            ));
        } else if methods.contains(&method) {
            fail(syn::Error::new(
                lit.span(),
                format!("method `{method}` is given twice"),
            ));
        } else {
            methods.push(method);
        }
    }
    if let Some(errors) = errors {
        return Err(errors);
    }
    if methods.is_empty() {
        return Err(syn::Error::new(
            brackets.span.join(),
            "`methods` needs at least one method",
        ));
    }
    Ok(methods)
}
