//! The code that gives each parameter its value, and the code that
//! describes it for the route metadata. Shared by routes, dependencies and
//! middleware. Every bad input is recorded before anything answers, so one
//! 422 lists them all.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Ident;

use super::{Kind, Param, Place};
use crate::paths::private;

/// Where the extracted values go.
pub(crate) struct Context {
    /// A `Request` place the extraction borrows mutably (`__req`,
    /// `*__req`, the middleware's request parameter).
    pub(crate) request: TokenStream,
    /// A `ValidationError` place.
    pub(crate) errors: TokenStream,
    /// Given an expression of type `Response`: the statement that answers
    /// with it.
    pub(crate) fail: fn(TokenStream) -> TokenStream,
    /// The statement that answers after bad input (recorded in the errors).
    pub(crate) invalid: TokenStream,
}

/// The local holding a parameter's extracted value. Named by position: a
/// user's `_x` must not become `__v_x`.
fn value(index: usize) -> Ident {
    format_ident!("__v{}", index)
}

/// The local holding a parameter's argument, once the values are made.
fn argument(index: usize) -> Ident {
    format_ident!("__a{}", index)
}

/// `(&&&…Probe::<T>::new())`, spanned on the parameter's type, so that an
/// error from the dispatch lands there.
fn probe(ty: &syn::Type, refs: usize) -> TokenStream {
    let p = private();
    let refs = (0..refs).map(|_| quote!(&));
    quote_spanned!(ty.span()=> (#(#refs)* #p::Probe::<#ty>::new()))
}

/// The statements that extract every parameter, in declaration order, and
/// answer early on a failure or on bad input. Middleware's request and
/// `Next` are left to the caller.
pub(crate) fn extraction(params: &[Param], cx: &Context) -> TokenStream {
    let p = private();
    let Context {
        request,
        errors,
        fail,
        invalid,
    } = cx;
    let mut statements = TokenStream::new();
    let mut extracted = Vec::new();
    for (index, param) in params.iter().enumerate() {
        let var = value(index);
        let ty = &param.ty;
        let name = &param.name;
        let span = ty.span();
        let failed = fail(quote!(__response));
        let statement = match &param.kind {
            Kind::Path(position) => {
                let probe = probe(ty, 3);
                quote_spanned! {span=>
                    let #var = #probe.read_value(&#request, #p::Place::Path(#position), #name, &mut #errors);
                }
            }
            Kind::Value {
                place,
                key,
                default,
                ..
            } => {
                let probe = probe(ty, 3);
                let place = place_tokens(*place);
                match default {
                    None => quote_spanned! {span=>
                        let #var = #probe.read_value(&#request, #place, #key, &mut #errors);
                    },
                    Some(default) => {
                        let default = default_value(default.as_ref());
                        quote_spanned! {span=>
                            let #var = #probe.read_value_or::<#ty>(&#request, #place, #key, &mut #errors, || -> #ty { #default });
                        }
                    }
                }
            }
            Kind::Body => quote_spanned! {span=>
                let #var = match #p::body::<#ty>(&mut #request, &mut #errors).await {
                    #p::Ok(value) => value,
                    #p::Err(__response) => #failed,
                };
            },
            Kind::Depends { use_cache } => quote_spanned! {span=>
                let #var = match #p::depends_param::<#ty>(&mut #request, &mut #errors, #use_cache).await {
                    #p::Ok(value) => value,
                    #p::Err(__response) => #failed,
                };
            },
            Kind::Typed => {
                let probe = probe(ty, 5);
                quote_spanned! {span=>
                    let #var = match #probe.extract_param(&mut #request, #name, &mut #errors).await {
                        #p::Ok(value) => value,
                        #p::Err(__response) => #failed,
                    };
                }
            }
            Kind::Borrowed(_) | Kind::Request | Kind::Next => continue,
        };
        statements.extend(statement);
        extracted.push(var);
    }
    if !extracted.is_empty() {
        statements.extend(quote! {
            let (#(#p::Some(#extracted),)*) = (#(#extracted,)*) else { #invalid };
        });
    }
    statements.extend(quote! {
        if !(#errors).is_empty() { #invalid }
    });
    statements
}

/// The statements that turn extracted values into arguments (a parameter
/// placed by type may take the request itself from `slot`), and then the
/// argument expression of each parameter, in order. `request` is a
/// `&Request` expression for borrowed parameters.
pub(crate) fn arguments(
    params: &[Param],
    slot: &str,
    request: &TokenStream,
) -> (TokenStream, Vec<TokenStream>) {
    let p = private();
    let mut statements = TokenStream::new();
    let mut arguments = Vec::new();
    for (index, param) in params.iter().enumerate() {
        let var = value(index);
        let ty = &param.ty;
        let span = ty.span();
        arguments.push(match &param.kind {
            Kind::Typed => {
                let arg = argument(index);
                let probe = probe(ty, 5);
                // On the type too: a parameter that cannot take the
                // request here (in a dependency) is blamed there.
                let slot = Ident::new(slot, span);
                statements.extend(quote_spanned! {span=>
                    let #arg = #probe.argument(#var, &mut #slot);
                });
                quote!(#arg)
            }
            Kind::Borrowed(inner) => quote_spanned!(span=> #p::borrow::<#inner>(#request)),
            Kind::Request | Kind::Next => quote!(),
            Kind::Path(_) | Kind::Value { .. } | Kind::Body | Kind::Depends { .. } => {
                quote!(#var)
            }
        });
    }
    (statements, arguments)
}

/// An expression of `Vec<ParamInfo>` describing the parameters.
pub(crate) fn describe(params: &[Param]) -> TokenStream {
    let p = private();
    let infos = params.iter().filter_map(|param| {
        let ty = &param.ty;
        let name = &param.name;
        let info = type_info(ty);
        let span = ty.span();
        Some(match &param.kind {
            Kind::Path(_) => {
                let probe = probe(ty, 3);
                quote_spanned!(span=> #p::placed(#name, #name, #p::ParamSource::Path, #info, #probe.presence(), #p::None))
            }
            Kind::Value {
                place,
                key,
                alias,
                default,
            } => {
                let source = match place {
                    Place::Query => quote!(#p::ParamSource::Query),
                    Place::Header => quote!(#p::ParamSource::Header),
                    Place::Cookie => quote!(#p::ParamSource::Cookie),
                };
                let presence = match default {
                    None => {
                        let probe = probe(ty, 3);
                        quote_spanned!(span=> #probe.presence())
                    }
                    Some(default) => {
                        let default = default_value(default.as_ref());
                        let probe = probe(ty, 2);
                        quote_spanned!(span=> #probe.default_json(|| -> #ty { #default }))
                    }
                };
                let alias = match alias {
                    Some(alias) => quote!(#p::Some(#alias)),
                    None => quote!(#p::None),
                };
                quote!(#p::placed(#name, #key, #source, #info, #presence, #alias))
            }
            Kind::Body => {
                quote!(#p::placed(#name, #name, #p::ParamSource::Body, #info, #p::Presence::Required, #p::None))
            }
            Kind::Depends { .. } => {
                quote_spanned!(span=> <#ty as #p::DependsParam>::describe_param(#name, #info))
            }
            Kind::Typed => {
                let probe = probe(ty, 5);
                quote_spanned!(span=> #probe.describe_param(#name, #info))
            }
            Kind::Borrowed(_) => {
                quote!(#p::placed(#name, #name, #p::ParamSource::Injected, #info, #p::Presence::Required, #p::None))
            }
            Kind::Request | Kind::Next => return None,
        })
    });
    quote!(#p::Vec::from([#(#infos),*]))
}

/// An expression of the `TypeInfo` of `ty`.
pub(crate) fn type_info(ty: &syn::Type) -> TokenStream {
    let p = private();
    if contains_impl_trait(ty) {
        // `impl Trait` cannot be named in an expression; it has no schema.
        let name = quote!(#ty).to_string();
        return quote!(#p::TypeInfo { name: #name, schema: #p::None });
    }
    let probe = probe(ty, 2);
    quote!(#probe.type_info())
}

fn contains_impl_trait(ty: &syn::Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::visit_type(&mut finder, ty);
    finder.0
}

fn place_tokens(place: Place) -> TokenStream {
    let p = private();
    match place {
        Place::Query => quote!(#p::Place::Query),
        Place::Header => quote!(#p::Place::Header),
        Place::Cookie => quote!(#p::Place::Cookie),
    }
}

/// A string literal converts (`default = ""` for a `String`); any other
/// expression is used as written, so that `default = 0` infers its type.
fn default_value(default: Option<&syn::Expr>) -> TokenStream {
    let p = private();
    match default {
        Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        })) => quote!(#p::Into::into(#text)),
        Some(expr) => quote!(#expr),
        None => quote!(<_ as #p::Default>::default()),
    }
}
