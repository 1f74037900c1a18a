//! Generates the code that gives each parameter its value, shared by
//! routes, dependencies and middleware. Every bad input is recorded before
//! anything answers, so one 422 lists them all.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use crate::signature::{Card, Kind, Param, Source};

/// How the surrounding code answers early.
pub(crate) struct Exits {
    /// Given an expression of type `Response`: return it.
    pub(crate) fail: fn(TokenStream) -> TokenStream,
    /// Return after bad input (recorded in the errors).
    pub(crate) invalid: TokenStream,
}

/// The generated statements, and the argument expression for each
/// parameter in order.
pub(crate) struct Extraction {
    pub(crate) statements: TokenStream,
    pub(crate) arguments: Vec<TokenStream>,
}

/// `request` names a `&mut Request` place (`__req` or `*__req`), `errors` a
/// `&mut ValidationError` place. `Next` parameters are left to the caller.
pub(crate) fn extraction(
    params: &[Param],
    request: &TokenStream,
    errors: &TokenStream,
    exits: &Exits,
) -> Extraction {
    let p = quote!(::framework::__private);
    let mut statements = TokenStream::new();
    let mut fallible: Vec<Ident> = Vec::new();
    // Locals are named by position: a user's `_x` must not become `__arg__x`.
    let position = |param: &Param| {
        params
            .iter()
            .position(|p| std::ptr::eq(p, param))
            .unwrap_or(0)
    };
    let local = |param: &Param| format_ident!("__arg{}", position(param));

    // FastAPI's order of errors: dependencies, then path, query, header and
    // cookie parameters, then the body.
    let order = |kind: &Kind| match kind {
        Kind::Depends { .. } => 0,
        Kind::Path(_) => 1,
        Kind::Scalar {
            source: Source::Query,
            ..
        }
        | Kind::QueryStruct => 2,
        Kind::Scalar {
            source: Source::Header,
            ..
        } => 3,
        Kind::Scalar {
            source: Source::Cookie,
            ..
        } => 4,
        Kind::State(_) => 5,
        Kind::Body => 6,
        Kind::BackgroundTasks | Kind::Request | Kind::RequestRef | Kind::Next => 7,
    };
    let mut sorted: Vec<&Param> = params.iter().collect();
    sorted.sort_by_key(|param| order(&param.kind));

    for param in sorted {
        let var = local(param);
        let ty = &param.ty;
        let statement = match &param.kind {
            Kind::Depends {
                dependency,
                use_cache,
            } => {
                let fail = (exits.fail)(quote!(__response));
                fallible.push(var.clone());
                quote! {
                    let #var = match #p::depends::<#dependency>(&mut #request, &mut #errors, #use_cache).await {
                        #p::Ok(value) => value,
                        #p::Err(__response) => #fail,
                    };
                }
            }
            Kind::Path(index) => {
                fallible.push(var.clone());
                let name = param.ident.to_string();
                let parse = parser(ty);
                quote! {
                    let #var = #p::one(&#request, #p::Source::Path(#index), #name, &mut #errors, #parse);
                }
            }
            Kind::Scalar { source, name, card } => {
                fallible.push(var.clone());
                let source = match source {
                    Source::Query => quote!(#p::Source::Query),
                    Source::Header => quote!(#p::Source::Header),
                    Source::Cookie => quote!(#p::Source::Cookie),
                };
                match card {
                    Card::One => {
                        let parse = parser(ty);
                        quote!(let #var = #p::one(&#request, #source, #name, &mut #errors, #parse);)
                    }
                    Card::Optional(inner) => {
                        let parse = parser(inner);
                        quote!(let #var = #p::optional(&#request, #source, #name, &mut #errors, #parse);)
                    }
                    Card::Default(default) => {
                        let parse = parser(ty);
                        let default = default_value(default);
                        quote!(let #var = #p::or_default(&#request, #source, #name, &mut #errors, #parse, || -> #ty { #default });)
                    }
                    Card::Many(inner, default) => {
                        let parse = parser(inner);
                        let default = match default {
                            None => quote!(#p::None),
                            Some(default) => {
                                let value = default_value(default);
                                quote!(#p::Some((|| -> #p::Vec<#inner> { #value }) as fn() -> #p::Vec<#inner>))
                            }
                        };
                        quote!(let #var = #p::many(&#request, #source, #name, &mut #errors, #parse, #default);)
                    }
                }
            }
            Kind::QueryStruct => {
                fallible.push(var.clone());
                let inner = crate::signature::last_segment(ty).and_then(|(_, a)| a.cloned());
                quote!(let #var = #p::query_struct::<#inner>(&#request, &mut #errors);)
            }
            Kind::State(inner) => {
                let fail = (exits.fail)(quote!(__response));
                quote! {
                    let #var = match #p::state::<#inner>(&#request) {
                        #p::Ok(value) => value,
                        #p::Err(__response) => #fail,
                    };
                }
            }
            Kind::Body => {
                let fail = (exits.fail)(quote!(__response));
                fallible.push(var.clone());
                quote! {
                    let #var = match #p::body::<#ty>(&mut #request, &mut #errors).await {
                        #p::Ok(value) => value,
                        #p::Err(__response) => #fail,
                    };
                }
            }
            Kind::BackgroundTasks => quote!(let #var = #p::background_tasks(&mut #request);),
            Kind::Request | Kind::RequestRef | Kind::Next => quote!(),
        };
        statements.extend(statement);
    }

    let invalid = &exits.invalid;
    if !fallible.is_empty() {
        statements.extend(quote! {
            let (#(#p::Some(#fallible),)*) = (#(#fallible,)*) else { #invalid };
        });
    }
    statements.extend(quote! {
        if !(#errors).is_empty() { #invalid }
    });

    let arguments = params
        .iter()
        .map(|param| match param.kind {
            Kind::RequestRef => quote!(&#request),
            Kind::Request => quote!(#request),
            _ => {
                let var = local(param);
                quote!(#var)
            }
        })
        .collect();
    Extraction {
        statements,
        arguments,
    }
}

/// A closure that parses text into `ty`: `FromParam` if it has it, else `FromStr`.
fn parser(ty: &syn::Type) -> TokenStream {
    quote! {
        |__text: &str| {
            #[allow(unused_imports)]
            use ::framework::__private::{ViaFromParam as _, ViaFromStr as _};
            (&::framework::__private::ParamParser::<#ty>::new()).parse_param(__text)
        }
    }
}

/// A string literal converts (`default = ""` for a `String`); any other
/// expression is used as written, so that `default = 0` infers its type.
fn default_value(default: &Option<syn::Expr>) -> TokenStream {
    match default {
        Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        })) => {
            quote!(::core::convert::Into::into(#text))
        }
        Some(expr) => quote!(#expr),
        None => quote!(::core::default::Default::default()),
    }
}
