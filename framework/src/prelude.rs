//! Everything a typical app uses, in one import: `use framework::prelude::*;`.

pub use crate::after::BackgroundTasks;
pub use crate::chain::{Middleware, Next};
pub use crate::depends::{Depends, Yield};
pub use crate::error::{Error, HttpError};
pub use crate::extract::{Form, Json, Query, State};
pub use crate::middleware::{
    ApiKeyMiddleware, RateLimitMiddleware, RequestIdMiddleware, TimingMiddleware,
};
pub use crate::middleware::{
    CorsMiddleware, GZipMiddleware, HttpsRedirectMiddleware, TrustedHostMiddleware,
};
pub use crate::request::Request;
pub use crate::response::{FileResponse, Html, IntoResponse, Redirect, Response, Streaming};
pub use crate::testing::TestClient;
pub use crate::{delete, depends, get, head, middleware, options, patch, post, put, route};
pub use crate::{App, Router, StatusCode};
pub use bytes::Bytes;
