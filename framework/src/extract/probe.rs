//! How generated code picks, for each parameter's type, what extracts it:
//! method resolution on references of a [`Probe`] ("autoref
//! specialization"), decided while compiling for the concrete type.
//!
//! A method call on `&&&…Probe<T>` tries the impls from the most
//! references down, taking the first whose bounds hold. Each family below
//! is a ladder of such impls, one trait per rung; the last rung holds for
//! every type and, where nothing else did, is the one compile error, on
//! the parameter's type (the call is spanned there), naming the ways out.
//!
//! - [`ParamRequest`] … [`ParamFallback`]: a parameter placed by its type
//!   alone (`(&&&&&Probe::<T>::new())`): the request itself, an
//!   extractor, a text value read from the query, or the error.
//! - [`ValueViaFromParam`] … [`ValueFallback`]: a text value at a place
//!   the macro knows (a path parameter, `#[query]`, `#[header]`,
//!   `#[cookie]`; `(&&&Probe::<T>::new())`): one, `Option` or `Vec` of a
//!   [`FromParam`] or `FromStr` type.
//! - [`TypeInfoViaSchema`] / [`TypeInfoFallback`], [`DefaultViaSerialize`]
//!   / [`DefaultFallback`]: the metadata's schema hook and a default's
//!   JSON (`(&&Probe::<T>::new())`).

use std::convert::Infallible;
use std::fmt::Display;
use std::future::{ready, Future, Ready};
use std::marker::PhantomData;
use std::str::FromStr;

use super::param::{read_many, read_one, read_optional, read_or, Place};
use super::{FromParam, FromRequest, ParamError, Parameter};
use crate::chain::Next;
use crate::error::ValidationError;
use crate::meta::{ParamInfo, ParamSource, Presence, Schema, TypeInfo};
use crate::request::Request;
use crate::response::Response;

/// Stands for the type `T` in method resolution.
pub struct Probe<T: ?Sized>(PhantomData<fn() -> PhantomData<T>>);

impl<T: ?Sized> Probe<T> {
    /// The probe of `T`.
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

impl<T: ?Sized> Default for Probe<T> {
    fn default() -> Self {
        Probe::new()
    }
}

// ---------------------------------------------------------------------------
// Where a handler's arguments come from after extraction
// ---------------------------------------------------------------------------

/// Where a parameter that takes the request by value gets it: the request
/// a route's handler is given, after every other parameter was extracted.
pub struct RouteSlot(Option<Request>);

impl RouteSlot {
    /// Holds the request until the handler's arguments are made.
    pub fn new(request: Request) -> Self {
        RouteSlot(Some(request))
    }

    /// The request, for a `&Request` parameter.
    ///
    /// # Panics
    /// If a parameter took it by value: a handler takes the request either
    /// by value or by reference.
    pub fn request(&self) -> &Request {
        self.0
            .as_ref()
            .expect("a handler takes the request either by value (`Request`) or borrowed (`&Request`), not both")
    }
}

/// The slot of a dependency's arguments: the request stays the handler's.
pub struct DependencySlot;

/// A slot the request can be taken from.
#[diagnostic::on_unimplemented(
    message = "a dependency cannot take the request itself (the handler needs it)",
    label = "taken by value here",
    note = "take `&Request` instead"
)]
pub trait TakeRequest {
    /// Takes the request.
    fn take_request(&mut self) -> Request;
}

impl TakeRequest for RouteSlot {
    fn take_request(&mut self) -> Request {
        self.0
            .take()
            .expect("a handler takes the request by value once")
    }
}

/// A type a reference parameter may borrow from the request: only the
/// request itself.
#[diagnostic::on_unimplemented(
    message = "`&{Self}` cannot be borrowed from the request",
    label = "borrowed here",
    note = "take an owned type here (`String`, not `&str`); the only borrowed parameter is `&Request`"
)]
pub trait Borrowable {
    /// The borrowed value.
    fn borrow_from(request: &Request) -> &Self;
}

impl Borrowable for Request {
    fn borrow_from(request: &Request) -> &Self {
        request
    }
}

/// A `&T` parameter: the request, borrowed.
pub fn borrow<T: ?Sized + Borrowable>(request: &Request) -> &T {
    T::borrow_from(request)
}

/// What a parameter placed by its type extracted: its value, or for the
/// request itself, a mark that it is taken when the handler is called.
pub struct TakeLater;

// ---------------------------------------------------------------------------
// Parameters placed by their type
// ---------------------------------------------------------------------------

fn info(name: &'static str, source: ParamSource, ty: TypeInfo, presence: Presence) -> ParamInfo {
    let mut info = ParamInfo::new(name, source, ty);
    info.presence = presence;
    info
}

/// Rung 5: the request itself, by value.
pub trait ParamRequest {
    /// Nothing to extract: the request is taken when the handler is called.
    fn extract_param(
        &self,
        request: &mut Request,
        name: &'static str,
        errors: &mut ValidationError,
    ) -> Ready<Result<Option<TakeLater>, Response>>;
    /// Takes the request.
    fn argument<S: TakeRequest>(&self, value: TakeLater, slot: &mut S) -> Request;
    /// Its metadata.
    fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo;
}

impl ParamRequest for &&&&Probe<Request> {
    fn extract_param(
        &self,
        _: &mut Request,
        _: &'static str,
        _: &mut ValidationError,
    ) -> Ready<Result<Option<TakeLater>, Response>> {
        ready(Ok(Some(TakeLater)))
    }

    fn argument<S: TakeRequest>(&self, _: TakeLater, slot: &mut S) -> Request {
        slot.take_request()
    }

    fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo {
        info(name, ParamSource::Injected, ty, Presence::Required)
    }
}

/// `Next` outside middleware.
#[diagnostic::on_unimplemented(
    message = "`Next` is only for middleware (`#[middleware(\"http\")]`)",
    label = "not a parameter of a route or dependency"
)]
pub trait OnlyInMiddleware {}

/// Rung 5: `Next`, which only middleware takes.
pub trait ParamNext {
    /// The error saying so.
    fn extract_param<'a>(
        &self,
        request: &mut Request,
        name: &'static str,
        errors: &mut ValidationError,
    ) -> Ready<Result<Option<Next<'a>>, Response>>
    where
        Next<'a>: OnlyInMiddleware;
    /// Never reached.
    fn argument<'a, S>(&self, value: Next<'a>, slot: &mut S) -> Next<'a>;
    /// Never reached.
    fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo;
}

impl ParamNext for &&&&Probe<Next<'_>> {
    fn extract_param<'a>(
        &self,
        _: &mut Request,
        _: &'static str,
        _: &mut ValidationError,
    ) -> Ready<Result<Option<Next<'a>>, Response>>
    where
        Next<'a>: OnlyInMiddleware,
    {
        ready(Ok(None))
    }

    fn argument<'a, S>(&self, value: Next<'a>, _: &mut S) -> Next<'a> {
        value
    }

    fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo {
        info(name, ParamSource::Injected, ty, Presence::Required)
    }
}

/// Rung 4: an extractor.
pub trait ParamExtractor<T> {
    /// Extracts it.
    fn extract_param<'a>(
        &self,
        request: &'a mut Request,
        name: &'static str,
        errors: &'a mut ValidationError,
    ) -> impl Future<Output = Result<Option<T>, Response>> + Send + 'a;
    /// The value as extracted.
    fn argument<S>(&self, value: T, slot: &mut S) -> T;
    /// Its metadata.
    fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo;
}

impl<T: FromRequest> ParamExtractor<T> for &&&Probe<T> {
    fn extract_param<'a>(
        &self,
        request: &'a mut Request,
        _: &'static str,
        errors: &'a mut ValidationError,
    ) -> impl Future<Output = Result<Option<T>, Response>> + Send + 'a {
        errors.file_under(T::SOURCE.rank());
        T::from_request(request, errors)
    }

    fn argument<S>(&self, value: T, _: &mut S) -> T {
        value
    }

    fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo {
        let mut info = info(name, T::SOURCE, ty, Presence::Required);
        T::describe(&mut info);
        info
    }
}

/// How one, an `Option` or a `Vec` of a text type is read, and what its
/// metadata says.
trait Card<T> {
    fn read(
        request: &Request,
        place: Place,
        key: &'static str,
        errors: &mut ValidationError,
        default: Option<fn() -> T>,
    ) -> Option<T>;
    fn presence() -> Presence;
}

/// One value, parsed by `parse`.
struct One<P>(PhantomData<P>);
/// An `Option` of one.
struct Maybe<P>(PhantomData<P>);
/// A `Vec` of them.
struct Many<P>(PhantomData<P>);
/// Parses with [`FromParam`].
struct ByFromParam;
/// Parses with `FromStr`, its errors as pydantic's `value_error`.
struct ByFromStr;

trait Parse<T> {
    fn parse(text: &str) -> Result<T, ParamError>;
}

impl<T: FromParam> Parse<T> for ByFromParam {
    fn parse(text: &str) -> Result<T, ParamError> {
        T::from_param(text)
    }
}

impl<T: FromStr> Parse<T> for ByFromStr
where
    T::Err: Display,
{
    fn parse(text: &str) -> Result<T, ParamError> {
        text.parse()
            .map_err(|e: T::Err| ParamError::new("value_error", format!("Value error, {e}")))
    }
}

impl<T, P: Parse<T>> Card<T> for One<P> {
    fn read(
        request: &Request,
        place: Place,
        key: &'static str,
        errors: &mut ValidationError,
        default: Option<fn() -> T>,
    ) -> Option<T> {
        match default {
            None => read_one(request, place, key, errors, P::parse),
            Some(default) => read_or(request, place, key, errors, P::parse, default),
        }
    }

    fn presence() -> Presence {
        Presence::Required
    }
}

impl<T, P: Parse<T>> Card<Option<T>> for Maybe<P> {
    fn read(
        request: &Request,
        place: Place,
        key: &'static str,
        errors: &mut ValidationError,
        _: Option<fn() -> Option<T>>,
    ) -> Option<Option<T>> {
        read_optional(request, place, key, errors, P::parse)
    }

    fn presence() -> Presence {
        Presence::Optional
    }
}

impl<T, P: Parse<T>> Card<Vec<T>> for Many<P> {
    fn read(
        request: &Request,
        place: Place,
        key: &'static str,
        errors: &mut ValidationError,
        default: Option<fn() -> Vec<T>>,
    ) -> Option<Vec<T>> {
        read_many(request, place, key, errors, P::parse, default)
    }

    fn presence() -> Presence {
        Presence::Required
    }
}

/// Declares a rung that reads text values, for both families: `$param`
/// for a parameter placed by its type (read from the query under its
/// name), `$value` for a value at a place the macro gave. `$or` bounds
/// the default a value may be given (an `Option` takes none).
macro_rules! text_rung {
    ($(#[$doc:meta])* $param:ident, $value:ident, [$($refs:tt)*], $target:ty, [$($bounds:tt)*], $card:ty, [$($or:tt)*]) => {
        $(#[$doc])*
        pub trait $param<T> {
            /// Reads it from the query.
            fn extract_param(
                &self,
                request: &mut Request,
                name: &'static str,
                errors: &mut ValidationError,
            ) -> Ready<Result<Option<T>, Response>>;
            /// The value as read.
            fn argument<S>(&self, value: T, slot: &mut S) -> T;
            /// Its metadata.
            fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo;
        }

        impl<$($bounds)*> $param<$target> for $($refs)* Probe<$target> {
            fn extract_param(
                &self,
                request: &mut Request,
                name: &'static str,
                errors: &mut ValidationError,
            ) -> Ready<Result<Option<$target>, Response>> {
                ready(Ok(<$card as Card<$target>>::read(request, Place::Query, name, errors, None)))
            }

            fn argument<S>(&self, value: $target, _: &mut S) -> $target {
                value
            }

            fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo {
                info(name, ParamSource::Query, ty, <$card as Card<$target>>::presence())
            }
        }

        $(#[$doc])*
        pub trait $value<T> {
            /// Reads it; `None` when bad input was recorded.
            fn read_value(
                &self,
                request: &Request,
                place: Place,
                key: &'static str,
                errors: &mut ValidationError,
            ) -> Option<T>;
            /// Reads it, with a default for when it is missing.
            fn read_value_or<D>(
                &self,
                request: &Request,
                place: Place,
                key: &'static str,
                errors: &mut ValidationError,
                default: fn() -> T,
            ) -> Option<T>
            where
                D: $($or)*;
            /// Whether it must be sent, when no default is given.
            fn presence(&self) -> Presence;
        }

        impl<$($bounds)*> $value<$target> for $($refs)* Probe<$target> {
            fn read_value(
                &self,
                request: &Request,
                place: Place,
                key: &'static str,
                errors: &mut ValidationError,
            ) -> Option<$target> {
                <$card as Card<$target>>::read(request, place, key, errors, None)
            }

            fn read_value_or<D>(
                &self,
                request: &Request,
                place: Place,
                key: &'static str,
                errors: &mut ValidationError,
                default: fn() -> $target,
            ) -> Option<$target>
            where
                D: $($or)*,
            {
                <$card as Card<$target>>::read(request, place, key, errors, Some(default))
            }

            fn presence(&self) -> Presence {
                <$card as Card<$target>>::presence()
            }
        }
    };
}

/// What may be given a default: any type but an `Option`. Generated code
/// names the parameter's type as `D`.
pub trait MayDefault {}
impl<T: ?Sized> MayDefault for T {}

/// An `Option` is `None` when missing.
#[diagnostic::on_unimplemented(
    message = "an `Option` is `None` when missing; drop the `default`",
    label = "optional already"
)]
pub trait OptionTakesNoDefault {}

// One trait per rung and shape. The `FromParam` ones could share a trait
// (`FromParam` is this crate's, so `Option<T>: FromParam` is known never
// to hold); the `FromStr` ones cannot, since the standard library might
// one day implement `FromStr` for `Option<T>`; so every shape has its own.
text_rung! {
    /// Rung 3: a [`FromParam`] type.
    ParamViaFromParam, ValueViaFromParam, [&&], T, [T: FromParam], One<ByFromParam>, [MayDefault]
}
text_rung! {
    /// Rung 3: an `Option` of a [`FromParam`] type.
    ParamViaFromParamOption, ValueViaFromParamOption, [&&], Option<T>, [T: FromParam], Maybe<ByFromParam>, [OptionTakesNoDefault]
}
text_rung! {
    /// Rung 3: a `Vec` of a [`FromParam`] type.
    ParamViaFromParamVec, ValueViaFromParamVec, [&&], Vec<T>, [T: FromParam], Many<ByFromParam>, [MayDefault]
}
text_rung! {
    /// Rung 2: a `FromStr` type.
    ParamViaFromStr, ValueViaFromStr, [&], T, [T: FromStr<Err: Display>], One<ByFromStr>, [MayDefault]
}
text_rung! {
    /// Rung 2: an `Option` of a `FromStr` type.
    ParamViaFromStrOption, ValueViaFromStrOption, [&], Option<T>, [T: FromStr<Err: Display>], Maybe<ByFromStr>, [OptionTakesNoDefault]
}
text_rung! {
    /// Rung 2: a `Vec` of a `FromStr` type.
    ParamViaFromStrVec, ValueViaFromStrVec, [&], Vec<T>, [T: FromStr<Err: Display>], Many<ByFromStr>, [MayDefault]
}

/// Rung 1: nothing placed it: the one compile error, naming the ways out.
pub trait ParamFallback<T> {
    /// Requires `T: Parameter`, which only fails here.
    fn extract_param(
        &self,
        request: &mut Request,
        name: &'static str,
        errors: &mut ValidationError,
    ) -> Ready<Result<Option<Infallible>, Response>>
    where
        T: Parameter;
    /// Never reached.
    fn argument<S>(&self, value: Infallible, slot: &mut S) -> T;
    /// Never reached.
    fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo;
}

impl<T> ParamFallback<T> for Probe<T> {
    fn extract_param(
        &self,
        _: &mut Request,
        _: &'static str,
        _: &mut ValidationError,
    ) -> Ready<Result<Option<Infallible>, Response>>
    where
        T: Parameter,
    {
        ready(Ok(None))
    }

    fn argument<S>(&self, value: Infallible, _: &mut S) -> T {
        match value {}
    }

    fn describe_param(&self, name: &'static str, ty: TypeInfo) -> ParamInfo {
        info(name, ParamSource::Injected, ty, Presence::Required)
    }
}

/// Why a value at a path, query, header or cookie place cannot be read.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from text",
    label = "not a path, query, header or cookie value",
    note = "implement `framework::extract::FromParam` (or `FromStr`) for it, or take an `Option` or `Vec` of such a type"
)]
pub trait TextValue {}

/// Rung 1 of values: the compile error.
pub trait ValueFallback<T> {
    /// Requires `T: TextValue`, which only fails here.
    fn read_value(
        &self,
        request: &Request,
        place: Place,
        key: &'static str,
        errors: &mut ValidationError,
    ) -> Option<T>
    where
        T: TextValue;
    /// Requires `T: TextValue`, which only fails here.
    fn read_value_or<D>(
        &self,
        request: &Request,
        place: Place,
        key: &'static str,
        errors: &mut ValidationError,
        default: fn() -> T,
    ) -> Option<T>
    where
        T: TextValue;
    /// Never reached.
    fn presence(&self) -> Presence;
}

impl<T> ValueFallback<T> for Probe<T> {
    fn read_value(
        &self,
        _: &Request,
        _: Place,
        _: &'static str,
        _: &mut ValidationError,
    ) -> Option<T>
    where
        T: TextValue,
    {
        None
    }

    fn read_value_or<D>(
        &self,
        _: &Request,
        _: Place,
        _: &'static str,
        _: &mut ValidationError,
        _: fn() -> T,
    ) -> Option<T>
    where
        T: TextValue,
    {
        None
    }

    fn presence(&self) -> Presence {
        Presence::Required
    }
}

// ---------------------------------------------------------------------------
// Metadata: the schema hook, and a default as JSON
// ---------------------------------------------------------------------------

/// A type with a [`Schema`].
pub trait TypeInfoViaSchema {
    /// Its metadata, with its schema hook.
    fn type_info(&self) -> TypeInfo;
}

impl<T: Schema> TypeInfoViaSchema for &Probe<T> {
    fn type_info(&self) -> TypeInfo {
        TypeInfo {
            name: std::any::type_name::<T>(),
            schema: Some(T::schema),
        }
    }
}

/// Any other type: its name only.
pub trait TypeInfoFallback {
    /// Its metadata.
    fn type_info(&self) -> TypeInfo;
}

impl<T: ?Sized> TypeInfoFallback for Probe<T> {
    fn type_info(&self) -> TypeInfo {
        TypeInfo {
            name: std::any::type_name::<T>(),
            schema: None,
        }
    }
}

/// A default of a type that serializes: the metadata shows it.
pub trait DefaultViaSerialize<T> {
    /// The default, as JSON.
    fn default_json(&self, default: fn() -> T) -> Presence;
}

impl<T: serde::Serialize> DefaultViaSerialize<T> for &Probe<T> {
    fn default_json(&self, default: fn() -> T) -> Presence {
        Presence::Default {
            value: serde_json::to_value(default()).ok(),
        }
    }
}

/// Any other default: known to be there, not shown.
pub trait DefaultFallback<T> {
    /// No JSON.
    fn default_json(&self, default: fn() -> T) -> Presence;
}

impl<T> DefaultFallback<T> for Probe<T> {
    fn default_json(&self, _: fn() -> T) -> Presence {
        Presence::Default { value: None }
    }
}
