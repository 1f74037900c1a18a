//! [`RedisStore`]: rate-limit counts in Redis, shared by every instance of
//! the app (the `redis` feature).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::{Hit, RateLimitStore, StoreError};

/// Counts one hit and reads the time left, atomically: a window opens
/// with the first `INCR` of its key and ends when the key expires. A key
/// without an expiry (set by hand, say) is given one rather than counting
/// forever.
const HIT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
";

/// How long a failed Redis is left alone before it is tried again.
const BACKOFF: Duration = Duration::from_secs(1);

/// Counts in Redis, so that every instance of the app behind a load
/// balancer shares one limit per client.
///
/// Each request is one round trip: a Lua script doing `INCR`, then
/// `PEXPIRE` on a window's first request, then `PTTL`, which Redis runs
/// atomically. Keys are `ratelimit:` followed by the client key; change the
/// [`prefix`](Self::prefix) when several limits share one Redis.
///
/// It never holds a request up for long:
///
/// - it connects on the first request, not at start-up, so the app starts
///   (and serves, by the failure policy) while Redis is down;
/// - every call, connecting included, is bounded by the
///   [`timeout`](Self::timeout) (250 ms by default);
/// - after a failure, Redis is left alone for a second: requests in that
///   second get the failure policy at once instead of each waiting out the
///   timeout. The connection (a `redis` `ConnectionManager`) then
///   reconnects by itself.
///
/// What happens to a request when Redis fails is the middleware's
/// [`StoreFailure`](super::StoreFailure) policy.
///
/// ```no_run
/// use std::time::Duration;
/// use framework::middleware::{RateLimitMiddleware, RedisStore};
///
/// let store = RedisStore::new("redis://127.0.0.1:6379/").expect("a valid Redis URL");
/// let limiter = RateLimitMiddleware::new(100, Duration::from_secs(60)).store(store);
/// ```
#[derive(Clone)]
pub struct RedisStore {
    client: ::redis::Client,
    prefix: Arc<str>,
    timeout: Duration,
    script: Arc<::redis::Script>,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    connection: OnceCell<ConnectionManager>,
    resting_until: Mutex<Option<Instant>>,
}

impl RedisStore {
    /// A store for the Redis at `url` (`redis://host:port/db`, or
    /// `rediss://` for TLS if the `redis` crate was built with it).
    /// Only checks the URL; it connects on the first request.
    pub fn new(url: &str) -> Result<Self, ::redis::RedisError> {
        Ok(RedisStore {
            client: ::redis::Client::open(url)?,
            prefix: Arc::from("ratelimit:"),
            timeout: Duration::from_millis(250),
            script: Arc::new(::redis::Script::new(HIT)),
            shared: Arc::default(),
        })
    }

    /// Puts `prefix` before every key (default `ratelimit:`).
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Arc::from(prefix);
        self
    }

    /// The longest a call to Redis may take, connecting included (default
    /// 250 ms); a slower one counts as a failure.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn resting(&self) -> bool {
        let mut until = self
            .shared
            .resting_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match *until {
            Some(instant) if Instant::now() < instant => true,
            Some(_) => {
                *until = None;
                false
            }
            None => false,
        }
    }

    fn rest(&self) {
        *self
            .shared
            .resting_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + BACKOFF);
    }

    async fn connection(&self) -> Result<ConnectionManager, ::redis::RedisError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            // Retries are paced by the rest after a failure instead, so
            // that no request waits on a retry loop.
            .set_number_of_retries(0);
        let client = self.client.clone();
        self.shared
            .connection
            .get_or_try_init(|| ConnectionManager::new_with_config(client, config))
            .await
            .cloned()
    }

    async fn call(&self, key: &str, window: Duration) -> Result<Hit, StoreError> {
        let mut connection = self.connection().await.map_err(StoreError::new)?;
        let key = format!("{}{key}", self.prefix);
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let (count, ttl): (i64, i64) = self
            .script
            .key(key)
            .arg(window_ms)
            .invoke_async(&mut connection)
            .await
            .map_err(StoreError::new)?;
        Ok(Hit {
            count: u64::try_from(count).unwrap_or(0),
            reset: Duration::from_millis(u64::try_from(ttl).unwrap_or(window_ms)),
        })
    }
}

impl RateLimitStore for RedisStore {
    async fn hit(&self, key: &str, window: Duration) -> Result<Hit, StoreError> {
        if self.resting() {
            return Err(StoreError::new(
                "Redis failed less than a second ago; not retried yet",
            ));
        }
        let result = match tokio::time::timeout(self.timeout, self.call(key, window)).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::new(format!(
                "Redis did not answer within {:?}",
                self.timeout
            ))),
        };
        if result.is_err() {
            self.rest();
        }
        result
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: show the address only.
        f.debug_struct("RedisStore")
            .field("addr", &self.client.get_connection_info().addr)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
