//! [`ApiKeyMiddleware`]: an API-key gate in front of every route.

use http::header::HeaderName;
use subtle::{Choice, ConstantTimeEq};

use crate::error::HttpError;
use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// The `detail` of a request that sent no key (FastAPI's `APIKeyHeader`
/// words it so too).
pub const NOT_AUTHENTICATED: &str = "Not authenticated";

/// The `detail` of a request whose key is not one of the keys.
pub const INVALID_API_KEY: &str = "Invalid API key";

/// Lets a request through only if it carries one of the API keys, and
/// answers `401` before any route runs otherwise.
///
/// | request | answer |
/// | --- | --- |
/// | no `x-api-key` header, or an empty one | `401 {"detail":"Not authenticated"}` |
/// | a key that is none of the keys | `401 {"detail":"Invalid API key"}` |
/// | one of the keys, or an exempt path | the route's answer |
///
/// Both 401s carry `www-authenticate: APIKey`, as FastAPI's `APIKeyHeader`
/// sends (HTTP requires a challenge on a 401; API keys have no standard
/// one). The missing-key wording is FastAPI's; FastAPI leaves checking the
/// key to the app, so the second wording is this gate's own.
///
/// Keys are compared in constant time, against every key without stopping
/// at the first match, so that the time taken reveals neither how much of a
/// key a guess got right nor which key matched nor the keys' lengths.
///
/// Exempt paths skip the gate: exact paths ([`exempt`](Self::exempt),
/// such as `/health` for a load balancer) and whole subtrees
/// ([`exempt_prefix`](Self::exempt_prefix)). Paths are compared as sent,
/// percent-encoding included; a path spelled differently is simply gated.
///
/// This guards the whole app. To guard some routes only, or to hand the
/// caller's identity to handlers and document the scheme, a dependency is
/// the better tool (see `examples/auth_gate.rs`). Register a CORS
/// middleware *outside* the gate, so that browsers' preflight requests,
/// which carry no key, are answered.
///
/// ```
/// use framework::prelude::*;
/// use framework::middleware::ApiKeyMiddleware;
///
/// let app = App::new().middleware(
///     ApiKeyMiddleware::new(["key-for-alice", "key-for-bob"])
///         .exempt("/health")
///         .exempt_prefix("/public"),
/// );
/// ```
pub struct ApiKeyMiddleware {
    keys: Vec<Box<[u8]>>,
    header: HeaderName,
    exempt: PathRules,
}

impl ApiKeyMiddleware {
    /// A gate that accepts any of `keys` in the `x-api-key` header.
    ///
    /// # Panics
    /// If there is no key or a key is empty: a gate that can never open
    /// is a configuration mistake (a key read from an unset variable, say),
    /// better seen at start-up than as a wall of 401s.
    pub fn new<I, K>(keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        let keys: Vec<Box<[u8]>> = keys
            .into_iter()
            .map(|key| key.into().into_bytes().into_boxed_slice())
            .collect();
        assert!(
            !keys.is_empty() && keys.iter().all(|key| !key.is_empty()),
            "ApiKeyMiddleware: give at least one key, and no empty key"
        );
        ApiKeyMiddleware {
            keys,
            header: HeaderName::from_static("x-api-key"),
            exempt: PathRules::default(),
        }
    }

    /// Reads the key from another header (`authorization-key`, say).
    ///
    /// # Panics
    /// If `name` is not a valid header name.
    pub fn header_name(mut self, name: &str) -> Self {
        self.header = HeaderName::try_from(name)
            .unwrap_or_else(|_| panic!("ApiKeyMiddleware: `{name}` is not a valid header name"));
        self
    }

    /// Lets requests for exactly this path through without a key.
    pub fn exempt(mut self, path: &str) -> Self {
        self.exempt.exact(path);
        self
    }

    /// Lets requests for this path and everything under it through without
    /// a key: `/public` exempts `/public` and `/public/logo.png`, but not
    /// `/publicity`.
    pub fn exempt_prefix(mut self, prefix: &str) -> Self {
        self.exempt.prefix(prefix);
        self
    }

    fn check(&self, request: &Request) -> Result<(), &'static str> {
        let given = match request.headers().get(&self.header) {
            Some(value) if !value.is_empty() => value.as_bytes(),
            _ => return Err(NOT_AUTHENTICATED),
        };
        let mut found = Choice::from(0);
        for key in &self.keys {
            found |= padded_eq(key, given);
        }
        if bool::from(found) {
            Ok(())
        } else {
            Err(INVALID_API_KEY)
        }
    }
}

/// Whether `given` equals `key`, compared in constant time: for checking a
/// key in a dependency as the gate does.
///
/// ```
/// use framework::middleware::api_key::keys_match;
/// assert!(keys_match(b"secret", b"secret"));
/// assert!(!keys_match(b"secret", b"secreT"));
/// ```
pub fn keys_match(key: &[u8], given: &[u8]) -> bool {
    padded_eq(key, given).into()
}

/// Compares in time that depends only on the key's length and the given
/// value's length, never on where they differ. Walking the key's bytes
/// (rather than stopping at a length mismatch, as `subtle` does for slices)
/// keeps the key's length out of the timing of a wrong-length guess.
fn padded_eq(key: &[u8], given: &[u8]) -> Choice {
    let same_length = (key.len() as u64).ct_eq(&(given.len() as u64));
    let mut same_bytes = Choice::from(1);
    for (i, byte) in key.iter().enumerate() {
        same_bytes &= byte.ct_eq(given.get(i).unwrap_or(&0));
    }
    same_length & same_bytes
}

impl std::fmt::Debug for ApiKeyMiddleware {
    // Never print the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyMiddleware")
            .field("keys", &self.keys.len())
            .field("header", &self.header)
            .field("exempt", &self.exempt)
            .finish()
    }
}

impl Middleware for ApiKeyMiddleware {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        if self.exempt.matches(request.path()) {
            return call_next.run(request).await;
        }
        match self.check(&request) {
            Ok(()) => call_next.run(request).await,
            Err(detail) => {
                tracing::debug!(path = request.path(), "API key gate: {detail}");
                HttpError::new(401, detail)
                    .header("www-authenticate", "APIKey")
                    .into_response()
            }
        }
    }
}

/// Paths a middleware leaves alone: exact paths, and prefixes that cover a
/// path and everything under it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathRules {
    exact: Vec<Box<str>>,
    prefixes: Vec<Box<str>>,
}

impl PathRules {
    pub(crate) fn exact(&mut self, path: &str) {
        self.exact.push(path.into());
    }

    pub(crate) fn prefix(&mut self, prefix: &str) {
        // `/public/` and `/public` mean the same subtree.
        let trimmed = prefix.trim_end_matches('/');
        self.prefixes.push(trimmed.into());
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty()
    }

    pub(crate) fn matches(&self, path: &str) -> bool {
        self.exact.iter().any(|exact| **exact == *path)
            || self.prefixes.iter().any(|prefix| {
                path.strip_prefix(&**prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::{padded_eq, PathRules};

    #[test]
    fn keys_match_only_when_equal() {
        let cases: &[(&str, &str, bool)] = &[
            ("secret", "secret", true),
            ("secret", "secreT", false),
            ("secret", "secre", false),
            ("secret", "secrets", false),
            ("secret", "", false),
            ("a", "a\0", false),
            ("a\0", "a", false),
        ];
        for (key, given, equal) in cases {
            assert_eq!(
                bool::from(padded_eq(key.as_bytes(), given.as_bytes())),
                *equal,
                "{key:?} {given:?}"
            );
        }
    }

    #[test]
    fn exempt_paths_are_exact_or_whole_subtrees() {
        let mut rules = PathRules::default();
        rules.exact("/health");
        rules.prefix("/public/");
        rules.prefix("/");
        let mut root_only = PathRules::default();
        root_only.prefix("/docs");
        let cases: &[(&PathRules, &str, bool)] = &[
            (&root_only, "/docs", true),
            (&root_only, "/docs/", true),
            (&root_only, "/docs/index.html", true),
            (&root_only, "/docsearch", false),
            (&root_only, "/health", false),
            (&root_only, "/", false),
            (&rules, "/health", true),
            (&rules, "/health/", true),
            (&rules, "/anything", true),
        ];
        for (rules, path, exempt) in cases {
            assert_eq!(rules.matches(path), *exempt, "{path}");
        }
        let mut health = PathRules::default();
        health.exact("/health");
        assert!(!health.matches("/health/"));
        assert!(!health.matches("/healthz"));
    }
}
