//! Reading a function's parameters into the model: the placement
//! attributes, and what syntax alone decides.

use syn::{Expr, FnArg, GenericArgument, Ident, Meta, PathArguments, Signature, Type};

use super::{Kind, Param, Place, Role};
use crate::diag::Diagnostics;

/// Reads every parameter, removing the attributes that only placed them
/// (`#[query(…)]` and friends) so that the function itself compiles.
pub(crate) fn analyze(sig: &mut Signature, role: Role<'_>, diag: &mut Diagnostics) -> Vec<Param> {
    if let Some(param) = sig.generics.params.first() {
        diag.error(param, "a handler cannot be generic: name concrete types");
    }
    let mut params = Vec::new();
    let mut body: Option<Ident> = None;
    for arg in sig.inputs.iter_mut() {
        let arg = match arg {
            FnArg::Receiver(receiver) => {
                diag.error(
                    receiver,
                    "a handler is a free function and cannot take `self`",
                );
                continue;
            }
            FnArg::Typed(arg) => arg,
        };
        let ident = match &*arg.pat {
            syn::Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                pat.ident.clone()
            }
            other => {
                diag.error(other, "write a plain name here (`name: Type`): the name says where the value comes from");
                continue;
            }
        };
        let placement = take_placement(&mut arg.attrs, diag);
        let ty = (*arg.ty).clone();
        let name = ident.to_string().trim_start_matches("r#").to_owned();
        let Some(kind) = classify(&ident, &name, &ty, placement, role, diag) else {
            continue;
        };
        if let Kind::Body = kind {
            if let Some(first) = &body {
                diag.error(
                    &ident,
                    format!("a handler takes one body, and `{first}` is already the body"),
                );
                continue;
            }
            body = Some(ident.clone());
        }
        params.push(Param {
            ident,
            name,
            ty,
            kind,
        });
    }
    if let Role::Route(names, template) = role {
        let path = params.iter().filter_map(|p| match p.kind {
            Kind::Path(index) => Some(index),
            _ => None,
        });
        let taken: Vec<usize> = path.collect();
        for (index, name) in names.iter().enumerate() {
            if !taken.contains(&index) {
                diag.error_at(
                    template,
                    format!(
                        "path parameter `{{{name}}}` has no function parameter: add `{name}: Type`"
                    ),
                );
            }
        }
    }
    params
}

/// An explicit placement from a parameter attribute.
enum Placement {
    None,
    Path,
    Body,
    Scalar {
        place: Place,
        alias: Option<String>,
        default: Option<Option<Expr>>,
    },
    Depends {
        use_cache: bool,
    },
}

fn take_placement(attrs: &mut Vec<syn::Attribute>, diag: &mut Diagnostics) -> Placement {
    let mut placement = Placement::None;
    let mut kept = Vec::new();
    for attr in attrs.drain(..) {
        let Some(name) = attr.path().get_ident().map(|i| i.to_string()) else {
            kept.push(attr);
            continue;
        };
        let found = match name.as_str() {
            "path" => match &attr.meta {
                Meta::Path(_) => Placement::Path,
                other => {
                    diag.error(other, "`#[path]` takes no arguments");
                    continue;
                }
            },
            "body" => match &attr.meta {
                Meta::Path(_) => Placement::Body,
                other => {
                    diag.error(other, "`#[body]` takes no arguments");
                    continue;
                }
            },
            "query" | "header" | "cookie" => {
                let place = match name.as_str() {
                    "query" => Place::Query,
                    "header" => Place::Header,
                    _ => Place::Cookie,
                };
                match scalar_options(&attr, diag) {
                    Some((alias, default)) => Placement::Scalar {
                        place,
                        alias,
                        default,
                    },
                    None => continue,
                }
            }
            "depends" => match depends_options(&attr, diag) {
                Some(use_cache) => Placement::Depends { use_cache },
                None => continue,
            },
            _ => {
                kept.push(attr);
                continue;
            }
        };
        if !matches!(placement, Placement::None) {
            diag.error(&attr, "a parameter takes one placement attribute");
        }
        placement = found;
    }
    *attrs = kept;
    placement
}

/// `#[query]`, `#[query(alias = "item-query", default = expr)]`, `#[query(default)]`.
fn scalar_options(
    attr: &syn::Attribute,
    diag: &mut Diagnostics,
) -> Option<(Option<String>, Option<Option<Expr>>)> {
    let mut alias = None;
    let mut default = None;
    if let Meta::Path(_) = attr.meta {
        return Some((alias, default));
    }
    let result = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("alias") {
            if alias.is_some() {
                return Err(meta.error("`alias` is given twice"));
            }
            let lit: syn::LitStr = meta.value()?.parse()?;
            alias = Some(lit.value());
            Ok(())
        } else if meta.path.is_ident("default") {
            if default.is_some() {
                return Err(meta.error("`default` is given twice"));
            }
            default = Some(if meta.input.peek(syn::Token![=]) {
                Some(meta.value()?.parse()?)
            } else {
                None
            });
            Ok(())
        } else {
            Err(meta.error("unknown option; expected `alias = \"name\"` or `default = value`"))
        }
    });
    match result {
        Ok(()) => Some((alias, default)),
        Err(e) => {
            diag.push(e);
            None
        }
    }
}

/// `#[depends(use_cache = false)]`.
fn depends_options(attr: &syn::Attribute, diag: &mut Diagnostics) -> Option<bool> {
    let mut use_cache = true;
    let result = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("use_cache") {
            let lit: syn::LitBool = meta.value()?.parse()?;
            use_cache = lit.value;
            Ok(())
        } else {
            let name = meta
                .path
                .get_ident()
                .map_or_else(String::new, |i| format!(" `{i}`"));
            Err(meta.error(format!(
                "unknown option{name}; expected `use_cache = false`"
            )))
        }
    });
    match result {
        Ok(()) => Some(use_cache),
        Err(e) => {
            diag.push(e);
            None
        }
    }
}

/// The last segment of a type path and its one generic type argument.
pub(crate) fn last_segment(ty: &Type) -> Option<(&Ident, Option<&Type>)> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segment = path.path.segments.last()?;
    let arg = match &segment.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((&segment.ident, arg))
}

fn classify(
    ident: &Ident,
    name: &str,
    ty: &Type,
    placement: Placement,
    role: Role<'_>,
    diag: &mut Diagnostics,
) -> Option<Kind> {
    let path_index = match role {
        Role::Route(names, _) => names.iter().position(|n| n == name),
        _ => None,
    };
    match placement {
        Placement::Path => {
            return match path_index {
                Some(index) => Some(Kind::Path(index)),
                None => {
                    let msg = match role {
                        Role::Route(..) => format!(
                            "`{name}` is not in the path template; add `{{{name}}}` to the path"
                        ),
                        _ => "only a route has path parameters".to_owned(),
                    };
                    diag.error(ident, msg);
                    None
                }
            };
        }
        Placement::Body => return Some(Kind::Body),
        Placement::Scalar {
            place,
            alias,
            default,
        } => {
            let key = match (&alias, place) {
                (Some(alias), _) => alias.clone(),
                // FastAPI's `convert_underscores`: `user_agent` reads `user-agent`.
                (None, Place::Header) => name.replace('_', "-"),
                (None, Place::Query | Place::Cookie) => name.to_owned(),
            };
            if default.is_some() && last_segment(ty).is_some_and(|(i, _)| i == "Option") {
                diag.error(ty, "an `Option` is `None` when missing; drop the `default`");
                return None;
            }
            return Some(Kind::Value {
                place,
                key,
                alias,
                default,
            });
        }
        Placement::Depends { use_cache } => return Some(Kind::Depends { use_cache }),
        Placement::None => {}
    }
    if let Some(index) = path_index {
        return Some(Kind::Path(index));
    }
    match ty {
        // A borrowed `str` or slice is plainly not the request: say so here
        // rather than through the trait that only the request implements.
        Type::Reference(reference)
            if matches!(&*reference.elem, Type::Slice(_))
                || matches!(&*reference.elem, Type::Path(p) if p.path.is_ident("str")) =>
        {
            diag.error(ty, "take an owned type here (`String`, not `&str`)");
            None
        }
        Type::Reference(reference) if reference.mutability.is_none() => {
            Some(Kind::Borrowed((*reference.elem).clone()))
        }
        Type::Reference(_) => {
            diag.error(
                ty,
                "take an owned type here, or `&Request` to borrow the request",
            );
            None
        }
        Type::ImplTrait(_) => {
            diag.error(
                ty,
                "`impl Trait` cannot be extracted from a request: name a concrete type",
            );
            None
        }
        // Middleware's signature is FastAPI's: the request and
        // `call_next`, told apart from the rest by their types.
        _ if matches!(role, Role::Middleware) => match last_segment(ty) {
            Some((i, _)) if i == "Request" => Some(Kind::Request),
            Some((i, _)) if i == "Next" => Some(Kind::Next),
            _ => Some(Kind::Typed),
        },
        _ => Some(Kind::Typed),
    }
}
