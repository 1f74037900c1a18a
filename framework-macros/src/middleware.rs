//! `#[middleware("http")]`: an `async fn(request: Request, call_next: Next)`
//! becomes a unit struct implementing `Middleware`. Inside the body,
//! `call_next` is a closure, so `call_next(request).await` reads as in FastAPI.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{LitStr, ReturnType};

use crate::diag::Diagnostics;
use crate::extract::{extraction, Exits};
use crate::signature::{analyze, Kind, Role};

fn check_kind(args: TokenStream, diag: &mut Diagnostics) {
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

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut diag = Diagnostics::default();
    check_kind(args, &mut diag);
    let mut function = match crate::diag::function(
        item,
        &mut diag,
        "`#[middleware]` goes on `async fn name(request: Request, call_next: Next) -> Response`",
    ) {
        Ok(function) => function,
        Err(tokens) => return tokens,
    };
    let name = function.sig.ident.clone();
    let vis = function.vis.clone();
    let middleware = quote::format_ident!("__middleware_{}", name);
    let stub = stub(&name, &middleware, &vis);
    if function.sig.asyncness.is_none() {
        diag.error(function.sig.fn_token, "middleware must be an `async fn`");
    }
    let params = analyze(&mut function.sig, Role::Middleware, &mut diag);
    let request = params
        .iter()
        .filter(|p| matches!(p.kind, Kind::Request))
        .collect::<Vec<_>>();
    let next = params
        .iter()
        .filter(|p| matches!(p.kind, Kind::Next))
        .collect::<Vec<_>>();
    let borrowed = params.iter().find(|p| matches!(p.kind, Kind::RequestRef));
    match (request.as_slice(), borrowed) {
        ([_], _) => {}
        ([], Some(param)) => diag.error(
            &param.ty,
            "middleware takes the request by value, to pass it on with `call_next(request)`: write `request: Request`",
        ),
        ([], None) => diag.error(&function.sig.inputs, "middleware takes the request: add `request: Request`"),
        ([_, extra, ..], _) => diag.error(&extra.ident, "middleware takes the request once"),
    }
    match next.as_slice() {
        [_] => {}
        [] => diag.error(
            &function.sig.inputs,
            "middleware takes the rest of the chain: add `call_next: Next`",
        ),
        [_, extra, ..] => diag.error(&extra.ident, "middleware takes `Next` once"),
    }
    for param in &params {
        match param.kind {
            Kind::Path(_) => diag.error(
                &param.ident,
                "middleware runs before routing: it has no path parameters",
            ),
            Kind::RequestRef if !request.is_empty() => {
                diag.error(&param.ty, "middleware takes the request once, by value")
            }
            _ => {}
        }
    }
    let ret = match &function.sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => {
            // Where `-> Response` goes: just after the parameters.
            diag.error_at(
                function.sig.paren_token.span.close(),
                "middleware returns the response: add `-> Response` after the parameters",
            );
            syn::parse_quote!(())
        }
    };
    if diag.has_errors() {
        let errors = diag.into_compile_errors();
        return quote!(#errors #stub);
    }

    let p = quote!(::framework::__private);
    let request_ident = &request[0].ident;
    let next_ident = &next[0].ident;
    let request_tokens = quote!(#request_ident);
    let exits = Exits {
        fail: |response| quote!(return #response),
        invalid: quote!(return #p::invalid(__errors)),
    };
    let extracted: Vec<_> = params
        .iter()
        .filter(|p| !matches!(p.kind, Kind::Request | Kind::Next))
        .cloned()
        .collect();
    let extraction = extraction(&extracted, &request_tokens, &quote!(__errors), &exits);
    let statements = &extraction.statements;
    let bindings = extracted
        .iter()
        .zip(&extraction.arguments)
        .map(|(param, argument)| {
            let ident = &param.ident;
            quote!(#[allow(unused_variables)] let #ident = #argument;)
        });
    let block = &function.block;
    // A body that returns `Response` runs inline in the future `dispatch`
    // returns: a `return` in it leaves that future with the response. Any
    // other type needs converting after the body, so the body is a nested
    // `async` block, which holds a second copy of what it captures. (A
    // user's own type named `Response` is told apart by the compiler: a
    // type mismatch with `framework::Response`.)
    let returns_response = matches!(
        &ret,
        syn::Type::Path(path) if path.qself.is_none()
            && path.path.segments.last().is_some_and(|last| {
                last.ident == "Response" && last.arguments.is_none()
            })
    );
    let (body, output) = if returns_response {
        (quote!(#block), quote!(__output))
    } else {
        // A return type that is no response is blamed on the type itself.
        let span = syn::spanned::Spanned::span(&ret);
        (
            quote!(async move #block.await),
            quote::quote_spanned!(span=> #p::respond::<#ret>(__output)),
        )
    };
    let attrs = function.attrs.iter().filter(|a| a.path().is_ident("doc"));

    // `name` stays a function that makes the middleware, so a local
    // variable may share its name; `App::middleware(name)` calls it.
    quote! {
        #(#attrs)*
        #vis fn #name() -> #middleware {
            #middleware
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        #vis struct #middleware;

        impl #p::Middleware for #middleware {
            fn dispatch(
                &self,
                #[allow(unused_mut)] mut #request_ident: #p::Request,
                __next: #p::Next<'_>,
            ) -> impl #p::Future<Output = #p::Response> + #p::Send {
                #[allow(unused_variables)]
                let #next_ident = move |__request: #p::Request| __next.run(__request);
                async move {
                    #[allow(unused_mut)]
                    let mut __errors = #p::ValidationError::new();
                    #statements
                    #(#bindings)*
                    let __output: #ret = #body;
                    #output
                }
            }
        }
    }
}

/// What stands in for the middleware after a mistake, so that
/// `App::middleware(name)` still compiles and one mistake gives one error.
fn stub(name: &syn::Ident, middleware: &syn::Ident, vis: &syn::Visibility) -> TokenStream {
    let p = quote!(::framework::__private);
    quote! {
        #vis fn #name() -> #middleware {
            #middleware
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #middleware;

        impl #p::Middleware for #middleware {
            fn dispatch(
                &self,
                request: #p::Request,
                call_next: #p::Next<'_>,
            ) -> impl #p::Future<Output = #p::Response> + #p::Send {
                call_next.run(request)
            }
        }
    }
}
