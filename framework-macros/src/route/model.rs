//! A route as the expansion needs it: the attribute's arguments checked
//! against each other and against the function's signature.

use proc_macro2::Span;
use syn::{Ident, ItemFn, LitStr, Visibility};

use super::parse::RouteArgs;
use crate::diag::{doc_comment, Diagnostics};
use crate::params::{parse::analyze, Kind, Param, Role};
use crate::template::{self, Template};

pub(crate) struct Route {
    /// The function as written, without the attributes that placed its
    /// parameters.
    pub(crate) function: ItemFn,
    pub(crate) name: Ident,
    pub(crate) vis: Visibility,
    pub(crate) methods: Vec<String>,
    /// The template as written, and where.
    pub(crate) path: String,
    pub(crate) path_span: Span,
    pub(crate) template: Template,
    pub(crate) params: Vec<Param>,
    pub(crate) args: RouteArgs,
    pub(crate) doc: String,
}

impl Route {
    /// Checks `args` with the function; mistakes go to `diag` (the route is
    /// still made, for the parts that were right).
    pub(crate) fn new(
        method: Option<&'static str>,
        args: RouteArgs,
        mut function: ItemFn,
        diag: &mut Diagnostics,
    ) -> Route {
        let name = function.sig.ident.clone();
        let path_lit = args
            .path
            .clone()
            .unwrap_or_else(|| LitStr::new("/", Span::call_site()));
        let path_span = path_lit.span();
        let methods = match (method, &args.methods) {
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
                if args.path.is_some() && !args.given("methods") {
                    diag.error_at(path_span, "`#[route]` needs `methods = [\"GET\", …]`");
                }
                Vec::new()
            }
        };
        let template = match template::parse(&path_lit.value()) {
            Ok(template) => template,
            Err(message) => {
                if args.path.is_some() {
                    diag.error_at(path_span, message);
                }
                Template::default()
            }
        };
        let params = analyze(
            &mut function.sig,
            Role::Route(&template.params, path_span),
            diag,
        );
        if function.sig.asyncness.is_none() {
            for param in &params {
                if let Kind::Borrowed(_) = param.kind {
                    diag.error(&param.ty, "a plain `fn` handler runs on another thread and cannot borrow the request: take `Request`, or make it `async fn`");
                }
            }
        }
        Route {
            doc: doc_comment(&function.attrs),
            vis: function.vis.clone(),
            function,
            name,
            methods,
            path: path_lit.value(),
            path_span,
            template,
            params,
            args,
        }
    }
}
