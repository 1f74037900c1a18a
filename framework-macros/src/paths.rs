//! The one path generated code names: `::framework::__private`. Every
//! item an expansion uses, the standard library's included (`Option`,
//! `Clone` for derives, `file!`, `concat!`), is reached through it, so an
//! expansion depends on nothing the user's crate might shadow or lack.
//!
//! What it holds, by use:
//! - std: `Option`/`Some`/`None`, `Result`/`Ok`/`Err`, `Vec`, `String`,
//!   `Future`, `Send`, `Clone`/`Copy`/`Debug` (derives), `Into`, `Default`,
//!   `file!`, `line!`, `concat!`;
//! - the endpoint's steps: `take_errors`, `early`, `invalid`, `take_scope`,
//!   `catch`, `blocking`, `respond_with`, `finish`, `respond`;
//! - extraction: `Probe` and its rungs, `RouteSlot`, `DependencySlot`,
//!   `borrow`, `Place`, `body`, `depends_param`, `depends_for_effect`;
//! - the traits implemented: `Route`, `Dependency`, `Middleware`;
//! - metadata: `RouteMeta`, `OpenApiArgs`, `ParamInfo`, `DependencyInfo`,
//!   `MiddlewareInfo`, `TypeInfo`, `ParamSource`, `Presence`, `placed`,
//!   `check_path_params`.

use proc_macro2::TokenStream;
use quote::quote;

/// `::framework::__private`.
pub(crate) fn private() -> TokenStream {
    quote!(::framework::__private)
}

/// Brings every rung of the parameter dispatch into scope (see
/// `framework::extract::probe`), for the method calls on `Probe`s.
pub(crate) fn rungs() -> TokenStream {
    let p = private();
    quote! {
        #[allow(unused_imports)]
        use #p::{
            ParamRequest as _, ParamNext as _, ParamExtractor as _,
            ParamViaFromParam as _, ParamViaFromParamOption as _, ParamViaFromParamVec as _,
            ParamViaFromStr as _, ParamViaFromStrOption as _, ParamViaFromStrVec as _,
            ParamFallback as _,
            ValueViaFromParam as _, ValueViaFromParamOption as _, ValueViaFromParamVec as _,
            ValueViaFromStr as _, ValueViaFromStrOption as _, ValueViaFromStrVec as _,
            ValueFallback as _,
            TypeInfoViaSchema as _, TypeInfoFallback as _,
            DefaultViaSerialize as _, DefaultFallback as _,
        };
    }
}
