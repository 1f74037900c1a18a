//! The code of a route: the function `name()` returning the unit struct
//! `__route_name`, the handler as written kept as its method `handler`,
//! and `Route`: the metadata and the endpoint that extracts the
//! parameters, calls the handler and makes the response.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::Route;
use crate::params::expand::{arguments, describe, extraction, type_info, Context};
use crate::paths::{private, rungs};

impl Route {
    pub(crate) fn expand(&self) -> TokenStream {
        let p = private();
        let rungs = rungs();
        let name = &self.name;
        let vis = &self.vis;
        let route = format_ident!("__route_{}", name);
        let is_async = self.function.sig.asyncness.is_some();

        let cx = Context {
            request: quote!(__req),
            errors: quote!(__errors),
            fail: |response| quote!(return ::framework::__private::early(#response, &mut __req)),
            invalid: quote!(return #p::early(#p::invalid(__errors), &mut __req)),
        };
        let extraction = extraction(&self.params, &cx);
        let (make_arguments, arguments) =
            arguments(&self.params, "__slot", &quote!(__slot.request()));
        let call = if is_async {
            quote!(#route.handler(#(#arguments),*))
        } else {
            quote!(#p::blocking(move || #route.handler(#(#arguments),*)))
        };
        let dependencies = &self.args.dependencies;
        let route_dependencies = dependencies.iter().map(|dependency| {
            quote! {
                if let #p::Err(__response) = #p::depends_for_effect::<#dependency>(&mut __req, &mut __errors).await {
                    return #p::early(__response, &mut __req);
                }
            }
        });

        let status = match self.args.status_code {
            Some(status) => quote!(#p::Some(#status)),
            None => quote!(#p::None),
        };
        let returns = match &self.function.sig.output {
            syn::ReturnType::Type(_, ty) => (**ty).clone(),
            syn::ReturnType::Default => syn::parse_quote!(()),
        };
        // Spanned on the return type, so that a type that is no response is
        // blamed there.
        let respond = quote_spanned!(returns.span()=> #p::respond_with(__output, #status));
        let returns_info = type_info(&returns);
        let params_info = describe(&self.params);
        let meta = self.meta();
        let param_count = self.template.params.len();
        let check_count =
            quote_spanned!(self.path_span=> const _: () = #p::check_path_params(#param_count););

        // The user's function, moved into the route's impl as `handler`.
        let mut handler = self.function.clone();
        handler.sig.ident = syn::Ident::new("handler", name.span());
        handler.sig.inputs.insert(0, syn::parse_quote!(&self));
        handler.vis = syn::parse_quote!(pub);
        handler.attrs.retain(|a| !a.path().is_ident("doc"));
        let docs = self
            .function
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"));
        let summary = format!(
            "A route: `{} {}`. Call `{name}().handler(…)` to run the handler directly.",
            self.methods.join(" "),
            self.path
        );

        // `name` stays a function (so a local variable may share its name), and
        // returns the route: `.route(name)` calls it.
        quote! {
            #(#docs)*
            #[doc = ""]
            #[doc = #summary]
            #vis fn #name() -> #route {
                #route
            }

            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            #[derive(#p::Clone, #p::Copy, #p::Debug)]
            #vis struct #route;

            #check_count

            impl #route {
                /// The handler as written, callable directly (in tests, say).
                #[allow(clippy::too_many_arguments, clippy::unused_self)]
                #handler
            }

            impl #p::Route for #route {
                fn meta(&self) -> &'static #p::RouteMeta {
                    #meta
                }

                fn params(&self) -> #p::Vec<#p::ParamInfo> {
                    #rungs
                    #params_info
                }

                fn dependencies(&self) -> #p::Vec<#p::DependencyInfo> {
                    #p::Vec::from([#(<#dependencies as #p::Dependency>::info()),*])
                }

                fn returns(&self) -> #p::TypeInfo {
                    #rungs
                    #returns_info
                }

                fn call(mut __req: #p::Request) -> impl #p::Future<Output = #p::Response> + #p::Send + 'static {
                    async move {
                        #rungs
                        #[allow(unused_mut)]
                        let mut __errors = #p::take_errors(&mut __req);
                        #(#route_dependencies)*
                        #extraction
                        let __scope = #p::take_scope(&mut __req);
                        #[allow(unused_mut)]
                        let mut __slot = #p::RouteSlot::new(__req);
                        #make_arguments
                        let __outcome = #p::catch(#call).await.map(|__output| #respond);
                        #p::finish(__outcome, #p::Route::meta(&#route), __scope).await
                    }
                }
            }
        }
    }

    /// The `static` of what the source says.
    fn meta(&self) -> TokenStream {
        let p = private();
        let name = self.name.to_string();
        let fn_span = self.name.span();
        let line = quote_spanned!(fn_span=> #p::line!());
        let file = quote_spanned!(fn_span=> #p::file!());
        let template = &self.path;
        let router_path = &self.template.router_path;
        let methods = &self.methods;
        let params = &self.template.params;
        let status = match self.args.status_code {
            Some(status) => quote!(#p::Some(#status)),
            None => quote!(#p::None),
        };
        let doc = &self.doc;
        let args = &self.args;
        let text = |value: &Option<syn::LitStr>| match value {
            Some(lit) => quote!(#p::Some(#lit)),
            None => quote!(#p::None),
        };
        let tags = &args.tags;
        let summary = text(&args.summary);
        let description = text(&args.description);
        let response_description = text(&args.response_description);
        let operation_id = text(&args.operation_id);
        let deprecated = args.deprecated;
        let include_in_schema = args.include_in_schema.unwrap_or(true);
        quote! {
            static META: #p::RouteMeta = #p::RouteMeta {
                name: #name,
                template: #template,
                router_path: #router_path,
                methods: &[#(#methods),*],
                params: &[#(#params),*],
                status_code: #status,
                file: #file,
                line: #line,
                doc: #doc,
                openapi: #p::OpenApiArgs {
                    tags: &[#(#tags),*],
                    summary: #summary,
                    description: #description,
                    deprecated: #deprecated,
                    include_in_schema: #include_in_schema,
                    response_description: #response_description,
                    operation_id: #operation_id,
                },
            };
            &META
        }
    }
}

/// What stands in for the route after a mistake: `.route(name)` still
/// compiles, so that one mistake gives one error.
pub(super) fn stub(name: &syn::Ident, vis: &syn::Visibility) -> TokenStream {
    let p = private();
    let route = format_ident!("__route_{}", name);
    quote! {
        #vis fn #name() -> #route {
            #route
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #route;

        impl #p::Route for #route {
            fn meta(&self) -> &'static #p::RouteMeta {
                static META: #p::RouteMeta = #p::RouteMeta {
                    name: "", template: "", router_path: "", methods: &[], params: &[],
                    status_code: #p::None, file: "", line: 0, doc: "",
                    openapi: #p::OpenApiArgs {
                        tags: &[], summary: #p::None, description: #p::None, deprecated: false,
                        include_in_schema: false, response_description: #p::None, operation_id: #p::None,
                    },
                };
                &META
            }

            fn params(&self) -> #p::Vec<#p::ParamInfo> {
                #p::Vec::new()
            }

            fn dependencies(&self) -> #p::Vec<#p::DependencyInfo> {
                #p::Vec::new()
            }

            fn returns(&self) -> #p::TypeInfo {
                #p::TypeInfo { name: "", schema: #p::None }
            }

            fn call(_: #p::Request) -> impl #p::Future<Output = #p::Response> + #p::Send + 'static {
                async move { #p::invalid(#p::ValidationError::new()) }
            }
        }
    }
}
