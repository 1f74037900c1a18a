//! The code of a dependency: the braced struct and the function of its
//! name, the function as written kept as `name::call`, and `Dependency`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::model::{Dependency, Returns};
use crate::params::expand::{arguments, describe, extraction, type_info, Context};
use crate::paths::{private, rungs};

impl Dependency {
    /// The struct and function of the name, which both the expansion and
    /// the stub emit.
    fn shell(&self) -> TokenStream {
        let name = &self.name;
        let vis = &self.vis;
        let name_text = name.to_string();
        let docs = self
            .function
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"));
        let struct_doc = format!(
            "\n\nThe dependency `{name_text}`, for `Depends<{name_text}>`; the function as written is `{name_text}::call`."
        );
        let fn_doc = format!(
            "The dependency `{name_text}`, for `App::dependency({name_text})` and `override_dependency`."
        );
        quote! {
            #(#docs)*
            #[doc = #struct_doc]
            #[allow(non_camel_case_types)]
            #vis struct #name {}

            #[doc = #fn_doc]
            #[allow(dead_code)]
            #vis fn #name() -> #name {
                #name {}
            }
        }
    }

    pub(crate) fn expand(&self) -> TokenStream {
        let p = private();
        let rungs = rungs();
        let name = &self.name;
        let name_text = name.to_string();
        let output_type = &self.output;
        let after_handler = self.args.cleanup_after_handler;
        let shell = self.shell();

        let mut call_fn = self.function.clone();
        call_fn.sig.ident = syn::Ident::new("call", name.span());
        call_fn.vis = syn::parse_quote!(pub);
        call_fn.attrs.retain(|a| !a.path().is_ident("doc"));

        let cx = Context {
            request: quote!(*__req),
            errors: quote!(*__errors),
            fail: |response| quote!(return ::framework::__private::Err(#response)),
            invalid: quote!(return #p::Ok(#p::None)),
        };
        let extraction = extraction(&self.params, &cx);
        let (make_arguments, arguments) = arguments(&self.params, "__slot", &quote!(&*__req));
        let call = if self.function.sig.asyncness.is_some() {
            quote!(#name::call(#(#arguments),*).await)
        } else {
            quote!(#name::call(#(#arguments),*))
        };
        let wrap = match self.returns {
            Returns::Plain => quote!(#p::plain),
            Returns::Fallible => quote!(#p::fallible),
            Returns::Yielding => quote!(#p::IntoResolved::into_resolved),
        };
        let params_info = describe(&self.params);
        let output_info = type_info(output_type);
        let fn_span = name.span();
        let line = quote_spanned!(fn_span=> #p::line!());
        let file = quote_spanned!(fn_span=> #p::file!());

        quote! {
            #shell

            impl #name {
                /// The dependency function as written, callable directly (in tests, say).
                #[allow(clippy::too_many_arguments, dead_code)]
                #call_fn
            }

            impl #p::Dependency for #name {
                type Output = #output_type;
                const NAME: &'static str = #name_text;
                const CLEANUP_AFTER_HANDLER: bool = #after_handler;

                fn info() -> #p::DependencyInfo {
                    #rungs
                    #p::DependencyInfo {
                        name: #name_text,
                        file: #file,
                        line: #line,
                        params: #params_info,
                        output: #output_info,
                    }
                }

                fn resolve<'a>(
                    __req: &'a mut #p::Request,
                    __errors: &'a mut #p::ValidationError,
                ) -> impl #p::Future<Output = #p::Result<#p::Option<#p::Resolved<#output_type>>, #p::Response>> + #p::Send + 'a {
                    async move {
                        #rungs
                        #extraction
                        #[allow(unused_mut, unused_variables)]
                        let mut __slot = #p::DependencySlot;
                        #make_arguments
                        #wrap(#call).map(#p::Some)
                    }
                }
            }
        }
    }

    /// A stand-in that resolves to nothing, so that one mistake gives one error.
    pub(crate) fn stub(&self) -> TokenStream {
        let p = private();
        let name = &self.name;
        let name_text = name.to_string();
        let output_type = &self.output;
        let shell = self.shell();
        quote! {
            #shell

            impl #p::Dependency for #name {
                type Output = #output_type;
                const NAME: &'static str = #name_text;

                fn info() -> #p::DependencyInfo {
                    #p::DependencyInfo {
                        name: #name_text,
                        file: "",
                        line: 0,
                        params: #p::Vec::new(),
                        output: #p::TypeInfo { name: "", schema: #p::None },
                    }
                }

                fn resolve<'a>(
                    _: &'a mut #p::Request,
                    _: &'a mut #p::ValidationError,
                ) -> impl #p::Future<Output = #p::Result<#p::Option<#p::Resolved<#output_type>>, #p::Response>> + #p::Send + 'a {
                    async move { #p::Ok(#p::None) }
                }
            }
        }
    }
}
