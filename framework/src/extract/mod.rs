//! How handler parameters get their values: path, query, header and cookie
//! parameters ([`FromParam`]), bodies ([`FromBody`]), and injected values.
//!
//! The macros decide where each parameter comes from at compile time; the
//! functions here do the per-request work and record every bad input, so
//! one 422 lists them all.

mod body;
mod param;
mod serde_error;
mod state;

pub use body::{BodyRejection, Form, FromBody, Json, Query};
pub use param::{FromParam, ParamError};
pub use state::State;

#[doc(hidden)]
pub use param::{ParamParser, ViaFromParam, ViaFromStr};
