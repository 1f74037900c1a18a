//! The one analysis of a function's parameters that `#[get]`,
//! `#[depends]` and `#[middleware]` share: [`parse`] reads each parameter
//! and the attribute that places it, into the model below; [`expand`]
//! writes the code that extracts each value and describes it.
//!
//! The model holds only what syntax decides: a name in the path template,
//! a placement attribute, a borrowed parameter. Every other parameter is
//! [`Kind::Typed`]: generated code dispatches on its type through the
//! runtime's traits (`framework::extract`), so a renamed import or an
//! extractor from another crate is placed the same as the framework's own.

pub(crate) mod expand;
pub(crate) mod parse;

use syn::{Expr, Ident, Type};

/// Where a value placed by an attribute is read from.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Place {
    Query,
    Header,
    Cookie,
}

#[derive(Clone)]
pub(crate) enum Kind {
    /// The `index`th parameter of the path template.
    Path(usize),
    /// `#[query]`, `#[header]`, `#[cookie]`: read under `key`, with an
    /// optional default (`Some(None)`: the type's `Default`).
    Value {
        place: Place,
        key: String,
        alias: Option<String>,
        default: Option<Option<Expr>>,
    },
    /// `#[body]`: the request body.
    Body,
    /// `#[depends(use_cache = …)]` on a `Depends<D>`.
    Depends {
        use_cache: bool,
    },
    /// `&T`: the request, borrowed (`T` is the referenced type).
    Borrowed(Type),
    /// Placed by its type.
    Typed,
    /// Middleware's own two: the request, by value, and `call_next`.
    Request,
    Next,
}

#[derive(Clone)]
pub(crate) struct Param {
    pub(crate) ident: Ident,
    /// The name as written, without `r#`.
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) kind: Kind,
}

/// What kind of function is being read.
#[derive(Clone, Copy)]
pub(crate) enum Role<'a> {
    /// A route, with its path parameters and the span of its template.
    Route(&'a [String], proc_macro2::Span),
    Dependency,
    Middleware,
}
