//! A function middleware as the expansion needs it: the request and
//! `call_next` parameters found, the others to extract, the return type.

use syn::{Ident, ItemFn, ReturnType, Type, Visibility};

use crate::diag::Diagnostics;
use crate::params::{parse::analyze, parse::last_segment, Kind, Param, Role};

pub(crate) struct Middleware {
    pub(crate) function: ItemFn,
    pub(crate) name: Ident,
    pub(crate) vis: Visibility,
    pub(crate) request: Ident,
    pub(crate) next: Ident,
    /// The parameters other than the request and `call_next`.
    pub(crate) params: Vec<Param>,
    pub(crate) returns: Type,
}

impl Middleware {
    pub(crate) fn new(mut function: ItemFn, diag: &mut Diagnostics) -> Self {
        let name = function.sig.ident.clone();
        if function.sig.asyncness.is_none() {
            diag.error(function.sig.fn_token, "middleware must be an `async fn`");
        }
        let params = analyze(&mut function.sig, Role::Middleware, diag);
        let of_kind = |wanted: fn(&Kind) -> bool| {
            params
                .iter()
                .filter(|p| wanted(&p.kind))
                .collect::<Vec<_>>()
        };
        let requests = of_kind(|k| matches!(k, Kind::Request));
        let nexts = of_kind(|k| matches!(k, Kind::Next));
        let borrowed_request = params.iter().find(|p| match &p.kind {
            Kind::Borrowed(inner) => last_segment(inner).is_some_and(|(i, _)| i == "Request"),
            _ => false,
        });
        match (requests.as_slice(), borrowed_request) {
            ([_], None) => {}
            ([], Some(param)) => diag.error(
                &param.ty,
                "middleware takes the request by value, to pass it on with `call_next(request)`: write `request: Request`",
            ),
            ([_], Some(param)) => {
                diag.error(&param.ty, "middleware takes the request once, by value")
            }
            ([], None) => diag.error(
                &function.sig.inputs,
                "middleware takes the request: add `request: Request`",
            ),
            ([_, extra, ..], _) => diag.error(&extra.ident, "middleware takes the request once"),
        }
        match nexts.as_slice() {
            [_] => {}
            [] => diag.error(
                &function.sig.inputs,
                "middleware takes the rest of the chain: add `call_next: Next`",
            ),
            [_, extra, ..] => diag.error(&extra.ident, "middleware takes `Next` once"),
        }
        for param in &params {
            if let Kind::Path(_) = param.kind {
                diag.error(
                    &param.ident,
                    "middleware runs before routing: it has no path parameters",
                );
            }
        }
        let returns = match &function.sig.output {
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
        let ident = |found: &[&Param]| {
            found
                .first()
                .map_or_else(|| Ident::new("__absent", name.span()), |p| p.ident.clone())
        };
        let request = ident(&requests);
        let next = ident(&nexts);
        let params = params
            .into_iter()
            .filter(|p| !matches!(p.kind, Kind::Request | Kind::Next))
            .collect();
        Middleware {
            vis: function.vis.clone(),
            function,
            name,
            request,
            next,
            params,
            returns,
        }
    }
}
