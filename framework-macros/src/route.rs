//! `#[get]`, `#[post]`, … and `#[route]`: a handler becomes a unit struct
//! implementing `Route`, and the function itself stays callable as
//! `name::handler(…)`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::diag::Diagnostics;
use crate::extract::{extraction, Exits};
use crate::route_args::RouteArgs;
use crate::signature::{analyze, Kind, Role};

pub(crate) fn expand(
    method: Option<&'static str>,
    args: TokenStream,
    item: TokenStream,
) -> TokenStream {
    let mut diag = Diagnostics::default();
    let mut function = match crate::diag::function(
        item,
        &mut diag,
        "a route attribute goes on a function: `async fn name(…) -> … { … }`",
    ) {
        Ok(function) => function,
        Err(tokens) => return tokens,
    };
    let name = function.sig.ident.clone();
    let vis = function.vis.clone();
    let route = quote::format_ident!("__route_{}", name);
    let stub = stub(&name, &route, &vis);

    let args = match syn::parse2::<RouteArgs>(args) {
        Ok(args) => args,
        Err(e) => {
            diag.push(e);
            let errors = diag.into_compile_errors();
            return quote!(#errors #stub);
        }
    };
    let methods: Vec<String> = match (method, &args.methods) {
        (Some(method), None) => vec![method.to_owned()],
        (Some(method), Some((_, span))) => {
            diag.error_at(
                *span,
                format!("`methods` belongs to `#[route]`; this route answers `{method}`"),
            );
            vec![method.to_owned()]
        }
        (None, Some((methods, _))) => methods.clone(),
        (None, None) => {
            diag.error_at(
                args.path.span(),
                "`#[route]` needs `methods = [\"GET\", …]`",
            );
            Vec::new()
        }
    };
    let template = match crate::path_template::parse(&args.path.value()) {
        Ok(template) => template,
        Err(message) => {
            diag.error_at(args.path.span(), message);
            crate::path_template::Template {
                router_path: String::new(),
                params: Vec::new(),
            }
        }
    };

    let params = analyze(
        &mut function.sig,
        Role::Route(&template.params, args.path.span()),
        &mut diag,
    );
    let is_async = function.sig.asyncness.is_some();
    if !is_async {
        for param in &params {
            if let Kind::RequestRef = param.kind {
                diag.error(&param.ty, "a plain `fn` handler runs on another thread and cannot borrow the request: take `Request`, or make it `async fn`");
            }
        }
    }
    if diag.has_errors() {
        let errors = diag.into_compile_errors();
        return quote!(#errors #stub);
    }

    let p = quote!(::framework::__private);
    let request = quote!(__req);
    let errors = quote!(__errors);
    let exits = Exits {
        fail: |response| quote!(return ::framework::__private::early(#response, &mut __req)),
        invalid: quote!(return #p::early(#p::invalid(__errors), &mut __req)),
    };
    let extraction = extraction(&params, &request, &errors, &exits);
    let statements = &extraction.statements;
    let arguments = &extraction.arguments;

    let route_dependencies = args.dependencies.iter().map(|dependency| {
        quote! {
            if let #p::Err(__response) = #p::depends::<#dependency>(&mut __req, &mut __errors, true).await {
                return #p::early(__response, &mut __req);
            }
        }
    });

    let call = if is_async {
        quote!(#route.handler(#(#arguments),*))
    } else {
        quote!(#p::blocking(move || #route.handler(#(#arguments),*)))
    };

    let status = match args.status_code {
        Some((status, _)) => quote!(#p::Some(#status)),
        None => quote!(#p::None),
    };
    let template_text = args.path.value();
    let router_path = &template.router_path;
    let param_names = &template.params;
    let name_text = name.to_string();
    let fn_span = name.span();
    let line = quote_spanned!(fn_span=> ::core::line!());
    let file = quote_spanned!(fn_span=> ::core::file!());

    // Spanned on the return type, so that a type that is no response is
    // blamed there.
    let ret_span = match &function.sig.output {
        syn::ReturnType::Type(_, ty) => syn::spanned::Spanned::span(&**ty),
        syn::ReturnType::Default => name.span(),
    };
    let respond = quote_spanned!(ret_span=> #p::respond_with(__output, #status));

    // The user's function, moved into the route's impl under `handler`.
    let mut handler = function.clone();
    handler.sig.ident = syn::Ident::new("handler", name.span());
    handler.sig.inputs.insert(0, syn::parse_quote!(&self));
    handler.vis = syn::parse_quote!(pub);
    let attrs = &function.attrs;
    let docs = attrs.iter().filter(|a| a.path().is_ident("doc"));

    // `name` stays a function (so a local variable may share its name), and
    // returns the route: `.route(name)` calls it.
    quote! {
        #(#docs)*
        #[doc = ""]
        #[doc = concat!("A route: `", #(#methods, " ",)* #template_text, "`. Call `", #name_text, "().handler(…)` to run the handler directly.")]
        #vis fn #name() -> #route {
            #route
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        #vis struct #route;

        impl #route {
            /// The handler as written, callable directly (in tests, say).
            #[allow(clippy::too_many_arguments, clippy::unused_self)]
            #handler
        }

        impl #p::Route for #route {
            fn meta(&self) -> &'static #p::RouteMeta {
                static META: #p::RouteMeta = #p::RouteMeta {
                    name: #name_text,
                    template: #template_text,
                    router_path: #router_path,
                    methods: &[#(#methods),*],
                    params: &[#(#param_names),*],
                    status_code: #status,
                    file: #file,
                    line: #line,
                };
                &META
            }

            fn call(mut __req: #p::Request) -> impl #p::Future<Output = #p::Response> + #p::Send + 'static {
                async move {
                    #[allow(unused_mut)]
                    let mut __errors = #p::take_errors(&mut __req);
                    #(#route_dependencies)*
                    #statements
                    let __scope = #p::take_scope(&mut __req);
                    let __outcome = #p::catch(#call).await.map(|__output| #respond);
                    #p::finish(__outcome, #p::Route::meta(&#route), __scope).await
                }
            }
        }
    }
}

/// What stands in for the route after a mistake: `.route(name)` still
/// compiles, so that one mistake gives one error.
fn stub(name: &syn::Ident, route: &syn::Ident, vis: &syn::Visibility) -> TokenStream {
    let p = quote!(::framework::__private);
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
                    status_code: #p::None, file: "", line: 0,
                };
                &META
            }

            fn call(_: #p::Request) -> impl #p::Future<Output = #p::Response> + #p::Send + 'static {
                async move { #p::invalid(#p::ValidationError::new()) }
            }
        }
    }
}
