//! A dependency as the expansion needs it: its function, what it gives,
//! and how its return value becomes that.

use syn::{Ident, ItemFn, ReturnType, Type, Visibility};

use super::parse::DependsArgs;
use crate::diag::Diagnostics;
use crate::params::{parse::analyze, parse::last_segment, Kind, Param, Role};

/// How the function's return value becomes the dependency's output.
pub(crate) enum Returns {
    Plain,
    Fallible,
    Yielding,
}

pub(crate) struct Dependency {
    pub(crate) function: ItemFn,
    pub(crate) name: Ident,
    pub(crate) vis: Visibility,
    pub(crate) params: Vec<Param>,
    /// What it gives: the return type without `Result` and `Yield`.
    pub(crate) output: Type,
    pub(crate) returns: Returns,
    pub(crate) args: DependsArgs,
}

impl Dependency {
    pub(crate) fn new(args: DependsArgs, mut function: ItemFn, diag: &mut Diagnostics) -> Self {
        let name = function.sig.ident.clone();
        let params = analyze(&mut function.sig, Role::Dependency, diag);
        // A dependency on itself is caught here; a longer cycle is a compile
        // error too (E0733: its future would be infinitely large).
        for param in &params {
            let Some((_, Some(dependency))) = last_segment(&param.ty) else {
                continue;
            };
            let named_itself = matches!(param.kind, Kind::Typed | Kind::Depends { .. })
                && last_segment(dependency).is_some_and(|(ident, _)| *ident == name);
            if named_itself {
                diag.error(
                    dependency,
                    format!(
                        "`{name}` depends on itself: a dependency cannot take `Depends<{name}>`"
                    ),
                );
            }
        }
        let (output, returns) = output(&function.sig.output);
        Dependency {
            vis: function.vis.clone(),
            function,
            name,
            params,
            output,
            returns,
            args,
        }
    }
}

/// The output type and how to wrap the return value: `Result<T, E>`,
/// `Yield<T>` and `Result<Yield<T>, E>` give `T`. The return type is read
/// as written: it is the user's own declaration, not a parameter to place.
fn output(ret: &ReturnType) -> (Type, Returns) {
    let ty = match ret {
        ReturnType::Default => return (syn::parse_quote!(()), Returns::Plain),
        ReturnType::Type(_, ty) => (**ty).clone(),
    };
    match last_segment(&ty) {
        Some((i, Some(inner))) if i == "Yield" => (inner.clone(), Returns::Yielding),
        Some((i, Some(ok))) if i == "Result" => match last_segment(ok) {
            Some((i, Some(inner))) if i == "Yield" => (inner.clone(), Returns::Yielding),
            _ => (ok.clone(), Returns::Fallible),
        },
        _ => (ty, Returns::Plain),
    }
}
