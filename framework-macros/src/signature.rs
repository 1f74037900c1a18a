//! The one analysis of a function's parameters that `#[get]`, `#[depends]`
//! and `#[middleware]` share: where each parameter's value comes from, by
//! FastAPI's rules, with the span to blame when it cannot be placed.

use proc_macro2::Span;
use syn::{Expr, FnArg, GenericArgument, Ident, Meta, PathArguments, Signature, Type};

use crate::diag::Diagnostics;

/// Where a scalar parameter is read from.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Source {
    Query,
    Header,
    Cookie,
}

/// How many values a scalar takes, and what happens when it is missing.
#[derive(Clone)]
pub(crate) enum Card {
    /// Required.
    One,
    /// `Option<T>`: missing is `None`.
    Optional(Type),
    /// `Vec<T>`: repeated; required unless there is a default.
    Many(Type, Option<Option<Expr>>),
    /// A default for when it is missing (`None`: `Default::default()`).
    Default(Option<Expr>),
}

#[derive(Clone)]
pub(crate) enum Kind {
    /// The `index`th parameter of the path template.
    Path(usize),
    /// A query, header or cookie parameter under `name`.
    Scalar {
        source: Source,
        name: String,
        card: Card,
    },
    /// `Query<T>`: the whole query string.
    QueryStruct,
    /// The request body (`Json<T>`, `Form<T>`, `Bytes`, `#[body] T`).
    Body,
    /// `Request`, moved into the function.
    Request,
    /// `&Request`.
    RequestRef,
    /// `State<T>`.
    State(Type),
    /// `BackgroundTasks`.
    BackgroundTasks,
    /// `Depends<D>`.
    Depends { dependency: Type, use_cache: bool },
    /// `Next`, in middleware.
    Next,
}

#[derive(Clone)]
pub(crate) struct Param {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) kind: Kind,
}

/// What kind of function is being read.
#[derive(Clone, Copy)]
pub(crate) enum Role<'a> {
    /// A route, with its path parameters and the span of its template.
    Route(&'a [String], Span),
    Dependency,
    Middleware,
}

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
        let Some(kind) = classify(&ident, &ty, placement, role, diag) else {
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
        params.push(Param { ident, ty, kind });
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
        source: Source,
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
                let source = match name.as_str() {
                    "query" => Source::Query,
                    "header" => Source::Header,
                    _ => Source::Cookie,
                };
                match scalar_options(&attr, diag) {
                    Some((alias, default)) => Placement::Scalar {
                        source,
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
    ty: &Type,
    placement: Placement,
    role: Role<'_>,
    diag: &mut Diagnostics,
) -> Option<Kind> {
    let name = ident.to_string().trim_start_matches("r#").to_owned();
    let path_index = match role {
        Role::Route(names, _) => names.iter().position(|n| *n == name),
        _ => None,
    };
    let segment = last_segment(ty).map(|(i, arg)| (i.to_string(), arg));
    let segment_name = segment.as_ref().map(|(i, _)| i.as_str());

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
            source,
            alias,
            default,
        } => {
            return Some(scalar(&name, ty, source, alias, default, diag));
        }
        Placement::Depends { use_cache } => {
            return match (segment_name, &segment) {
                (Some("Depends"), Some((_, Some(dependency)))) => Some(Kind::Depends {
                    dependency: (*dependency).clone(),
                    use_cache,
                }),
                _ => {
                    diag.error(ty, "`#[depends(…)]` goes on a `Depends<D>` parameter");
                    None
                }
            };
        }
        Placement::None => {}
    }

    if let Type::Reference(reference) = ty {
        return match last_segment(&reference.elem) {
            Some((i, _)) if i == "Request" && reference.mutability.is_none() => {
                Some(Kind::RequestRef)
            }
            _ => {
                diag.error(ty, "take an owned type here (`String`, not `&str`)");
                None
            }
        };
    }
    if let Type::ImplTrait(_) = ty {
        diag.error(
            ty,
            "`impl Trait` cannot be extracted from a request: name a concrete type",
        );
        return None;
    }

    match (segment_name, segment.as_ref().and_then(|(_, a)| *a)) {
        (Some("Request"), _) => match role {
            Role::Dependency => {
                diag.error(ty, "a dependency cannot take the request itself (the handler needs it): take `&Request`");
                None
            }
            _ => Some(Kind::Request),
        },
        (Some("Next"), _) => match role {
            Role::Middleware => Some(Kind::Next),
            _ => {
                diag.error(
                    ty,
                    "`Next` is only for middleware (`#[middleware(\"http\")]`)",
                );
                None
            }
        },
        (Some("BackgroundTasks"), _) => Some(Kind::BackgroundTasks),
        (Some("State"), Some(inner)) => Some(Kind::State(inner.clone())),
        (Some("Depends"), Some(dependency)) => Some(Kind::Depends {
            dependency: dependency.clone(),
            use_cache: true,
        }),
        (Some("Json" | "Form"), Some(_)) | (Some("Bytes"), None) => Some(Kind::Body),
        (Some("Query"), Some(_)) => Some(Kind::QueryStruct),
        _ => match path_index {
            Some(index) => Some(Kind::Path(index)),
            None => Some(scalar(&name, ty, Source::Query, None, None, diag)),
        },
    }
}

fn scalar(
    name: &str,
    ty: &Type,
    source: Source,
    alias: Option<String>,
    default: Option<Option<Expr>>,
    diag: &mut Diagnostics,
) -> Kind {
    let name = alias.unwrap_or_else(|| match source {
        // FastAPI's `convert_underscores`: `user_agent` reads `user-agent`.
        Source::Header => name.replace('_', "-"),
        Source::Query | Source::Cookie => name.to_owned(),
    });
    let card = match last_segment(ty) {
        Some((i, Some(inner))) if i == "Option" => {
            if default.is_some() {
                diag.error(ty, "an `Option` is `None` when missing; drop the `default`");
            }
            Card::Optional(inner.clone())
        }
        Some((i, Some(inner))) if i == "Vec" => Card::Many(inner.clone(), default),
        _ => match default {
            Some(default) => Card::Default(default),
            None => Card::One,
        },
    };
    Kind::Scalar { source, name, card }
}
