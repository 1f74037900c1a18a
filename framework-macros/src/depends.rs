//! `#[depends]`: a braced struct of the function's name (types and
//! functions live in different namespaces) implements `Dependency`, so that
//! `Depends<get_query>` names it; a function of the same name returns it, so
//! that `App::dependency(get_query)` takes the name as written; and the
//! function as written is kept as `get_query::call`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ReturnType, Type};

use crate::diag::Diagnostics;
use crate::extract::{extraction, Exits};
use crate::signature::{analyze, last_segment, Role};

mod kw {
    syn::custom_keyword!(scope);
}

/// `scope = "function"` or `scope = "request"` (the default).
fn cleanup_after_handler(args: TokenStream, diag: &mut Diagnostics) -> bool {
    if args.is_empty() {
        return false;
    }
    let parser = |input: syn::parse::ParseStream<'_>| -> syn::Result<bool> {
        if !input.peek(kw::scope) {
            let message = match input.fork().parse::<syn::Ident>() {
                Ok(ident) if ident == "use_cache" => "`use_cache` goes on a use of the dependency: \
                     `#[depends(use_cache = false)] q: Depends<get_query>`"
                    .to_owned(),
                Ok(ident) => format!(
                    "unknown argument `{ident}`; expected `scope = \"function\"` or `scope = \"request\"`"
                ),
                Err(_) => "expected `scope = \"function\"` or `scope = \"request\"`".to_owned(),
            };
            return Err(input.error(message));
        }
        input.parse::<kw::scope>()?;
        input.parse::<syn::Token![=]>()?;
        let lit: syn::LitStr = input.parse()?;
        match lit.value().as_str() {
            "function" => Ok(true),
            "request" => Ok(false),
            _ => Err(syn::Error::new(
                lit.span(),
                "scope is \"function\" or \"request\"",
            )),
        }
    };
    match syn::parse::Parser::parse2(parser, args) {
        Ok(after_handler) => after_handler,
        Err(e) => {
            diag.push(e);
            false
        }
    }
}

/// How the function's return value becomes the dependency's output.
enum Returns {
    Plain,
    Fallible,
    Yielding,
}

/// The output type and how to wrap the return value: `Result<T, E>`,
/// `Yield<T>` and `Result<Yield<T>, E>` give `T`.
fn output(ret: &ReturnType) -> (Type, Returns) {
    let ty = match ret {
        ReturnType::Default => return (syn::parse_quote!(()), Returns::Plain),
        ReturnType::Type(_, ty) => (**ty).clone(),
    };
    match last_segment(&ty) {
        Some((i, Some(inner))) if i == "Yield" => (inner.clone(), Returns::Yielding),
        Some((i, Some(ok))) if i == "Result" => match last_segment(ok) {
            Some((i, Some(inner))) if i == "Yield" => (inner.clone(), Returns::Yielding),
            _ => (ok.clone(), Returns::Fallible),
        },
        _ => (ty, Returns::Plain),
    }
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut diag = Diagnostics::default();
    let after_handler = cleanup_after_handler(args, &mut diag);
    let mut function = match crate::diag::function(
        item,
        &mut diag,
        "`#[depends]` goes on a function: `async fn name(…) -> T { … }`",
    ) {
        Ok(function) => function,
        Err(tokens) => return tokens,
    };
    let name = function.sig.ident.clone();
    let vis = function.vis.clone();
    let params = analyze(&mut function.sig, Role::Dependency, &mut diag);
    // A dependency on itself is caught here; a longer cycle is a compile
    // error too (E0733: its future would be infinitely large).
    for param in &params {
        if let crate::signature::Kind::Depends { dependency, .. } = &param.kind {
            if last_segment(dependency).is_some_and(|(ident, _)| *ident == name) {
                diag.error(
                    dependency,
                    format!(
                        "`{name}` depends on itself: a dependency cannot take `Depends<{name}>`"
                    ),
                );
            }
        }
    }
    let is_async = function.sig.asyncness.is_some();
    let (output_type, returns) = output(&function.sig.output);
    let name_text = name.to_string();
    let p = quote!(::framework::__private);

    // `name` is two things: a braced struct (types only) that `Depends<name>`
    // and `dependencies(name)` name, and a function (values only) returning
    // it, so that `App::dependency(name)` and `override_dependency(a, b)`
    // take the name as written. The function as written is `name::call`.
    let mut call_fn = function.clone();
    call_fn.sig.ident = syn::Ident::new("call", name.span());
    call_fn.vis = syn::parse_quote!(pub);
    let docs = function.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let shell = quote! {
        #(#docs)*
        #[doc = concat!("\n\nThe dependency `", #name_text, "`, for `Depends<", #name_text, ">`; the function as written is `", #name_text, "::call`.")]
        #[allow(non_camel_case_types)]
        #vis struct #name {}

        #[doc = concat!("The dependency `", #name_text, "`, for `App::dependency(", #name_text, ")` and `override_dependency`.")]
        #[allow(dead_code)]
        #vis fn #name() -> #name {
            #name {}
        }

        impl #name {
            /// The dependency function as written, callable directly (in tests, say).
            #[allow(clippy::too_many_arguments, dead_code)]
            #call_fn
        }
    };
    if diag.has_errors() {
        // A stand-in that resolves to nothing, so that one mistake gives one error.
        let errors = diag.into_compile_errors();
        return quote! {
            #errors
            #[allow(non_camel_case_types)]
            #vis struct #name {}

            #[allow(dead_code)]
            #vis fn #name() -> #name {
                #name {}
            }

            impl #p::Dependency for #name {
                type Output = #output_type;
                const NAME: &'static str = #name_text;

                fn resolve<'a>(
                    _: &'a mut #p::Request,
                    _: &'a mut #p::ValidationError,
                ) -> impl #p::Future<Output = #p::Result<#p::Option<#p::Resolved<#output_type>>, #p::Response>> + #p::Send + 'a {
                    async move { #p::Ok(#p::None) }
                }
            }
        };
    }

    let request = quote!(*__req);
    let errors = quote!(*__errors);
    let exits = Exits {
        fail: |response| quote!(return ::framework::__private::Err(#response)),
        invalid: quote!(return #p::Ok(#p::None)),
    };
    let extraction = extraction(&params, &request, &errors, &exits);
    let statements = &extraction.statements;
    let arguments = &extraction.arguments;
    let call = if is_async {
        quote!(#name::call(#(#arguments),*).await)
    } else {
        quote!(#name::call(#(#arguments),*))
    };
    let wrap = match returns {
        Returns::Plain => quote!(#p::plain),
        Returns::Fallible => quote!(#p::fallible),
        Returns::Yielding => quote!(#p::IntoResolved::into_resolved),
    };

    quote! {
        #shell

        impl #p::Dependency for #name {
            type Output = #output_type;
            const NAME: &'static str = #name_text;
            const CLEANUP_AFTER_HANDLER: bool = #after_handler;

            fn resolve<'a>(
                __req: &'a mut #p::Request,
                __errors: &'a mut #p::ValidationError,
            ) -> impl #p::Future<Output = #p::Result<#p::Option<#p::Resolved<#output_type>>, #p::Response>> + #p::Send + 'a {
                async move {
                    #statements
                    #wrap(#call).map(#p::Some)
                }
            }
        }
    }
}
