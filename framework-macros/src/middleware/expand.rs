//! The code of a function middleware: the function `name()` returning the
//! unit struct `__middleware_name`, which implements `Middleware` with the
//! function's body inlined in `dispatch`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::Middleware;
use crate::params::expand::{arguments, describe, extraction, Context};
use crate::paths::{private, rungs};

impl Middleware {
    pub(crate) fn expand(&self) -> TokenStream {
        let p = private();
        let rungs = rungs();
        let name = &self.name;
        let vis = &self.vis;
        let middleware = format_ident!("__middleware_{}", name);
        let request = &self.request;
        let next = &self.next;
        let ret = &self.returns;

        let cx = Context {
            request: quote!(#request),
            errors: quote!(__errors),
            fail: |response| quote!(return #response),
            invalid: quote!(return #p::invalid(__errors)),
        };
        let extraction = extraction(&self.params, &cx);
        let (make_arguments, arguments) = arguments(&self.params, "__slot", &quote!(&#request));
        let bindings = self.params.iter().zip(&arguments).map(|(param, argument)| {
            let ident = &param.ident;
            quote!(#[allow(unused_variables)] let #ident = #argument;)
        });
        let params_info = describe(&self.params);
        let block = &self.function.block;
        // A body that returns `Response` runs inline in the future `dispatch`
        // returns: a `return` in it leaves that future with the response. Any
        // other type needs converting after the body, so the body is a nested
        // `async` block, which holds a second copy of what it captures. (A
        // user's own type named `Response` is told apart by the compiler: a
        // type mismatch with `framework::Response`.)
        let returns_response = matches!(
            ret,
            syn::Type::Path(path) if path.qself.is_none()
                && path.path.segments.last().is_some_and(|last| {
                    last.ident == "Response" && last.arguments.is_none()
                })
        );
        let (body, output) = if returns_response {
            (quote!(#block), quote!(__output))
        } else {
            // A return type that is no response is blamed on the type itself.
            (
                quote!(async move #block.await),
                quote_spanned!(ret.span()=> #p::respond::<#ret>(__output)),
            )
        };
        let attrs = self
            .function
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"));
        let name_text = name.to_string();
        let fn_span = name.span();
        let line = quote_spanned!(fn_span=> #p::line!());
        let file = quote_spanned!(fn_span=> #p::file!());

        // `name` stays a function that makes the middleware, so a local
        // variable may share its name; `App::middleware(name)` calls it.
        quote! {
            #(#attrs)*
            #vis fn #name() -> #middleware {
                #middleware
            }

            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            #[derive(#p::Clone, #p::Copy, #p::Debug)]
            #vis struct #middleware;

            impl #p::Middleware for #middleware {
                fn dispatch(
                    &self,
                    #[allow(unused_mut)] mut #request: #p::Request,
                    __next: #p::Next<'_>,
                ) -> impl #p::Future<Output = #p::Response> + #p::Send {
                    #[allow(unused_variables)]
                    let #next = move |__request: #p::Request| __next.run(__request);
                    async move {
                        #rungs
                        #[allow(unused_mut)]
                        let mut __errors = #p::ValidationError::new();
                        #extraction
                        #[allow(unused_mut, unused_variables)]
                        let mut __slot = #p::DependencySlot;
                        #make_arguments
                        #(#bindings)*
                        let __output: #ret = #body;
                        #output
                    }
                }

                fn info(&self) -> #p::MiddlewareInfo {
                    #rungs
                    #p::MiddlewareInfo {
                        name: #name_text,
                        file: #file,
                        line: #line,
                        params: #params_info,
                    }
                }
            }
        }
    }
}

/// What stands in for the middleware after a mistake, so that
/// `App::middleware(name)` still compiles and one mistake gives one error.
pub(super) fn stub(name: &syn::Ident, vis: &syn::Visibility) -> TokenStream {
    let p = private();
    let middleware = format_ident!("__middleware_{}", name);
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
