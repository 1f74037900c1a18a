//! [`MemoryStore`]: rate-limit counts in the process's memory.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::{Hit, RateLimitStore, StoreError};

/// The most keys held by default: about 12 MB of windows.
const DEFAULT_MAX_KEYS: usize = 100_000;

/// Independent locks, so that requests of different clients seldom wait
/// for each other.
const SHARDS: usize = 16;

/// Counts in this process's memory: the default store, right for a single
/// instance of the app.
///
/// Correct under concurrency (each count is one short critical section on
/// the key's shard, never held across an `await`) and bounded:
///
/// - a window is dropped as soon as it has ended, found in order of ending
///   without scanning the table;
/// - at most [`max_keys`](MemoryStore::max_keys) windows are held (100 000
///   by default). When full, a new client's window takes the place of the
///   window closest to its end, so a flood of new addresses costs at most
///   some established clients a fresh window, never memory.
///
/// Clones share the counts, so one limit may span several middlewares.
/// The clock is Tokio's, which tests may pause and advance.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Box<[Mutex<Shard>]>,
    hasher: std::collections::hash_map::RandomState,
    keys_per_shard: usize,
}

#[derive(Default)]
struct Shard {
    windows: HashMap<Arc<str>, Window>,
    /// The windows in the order they were opened, which is the order they
    /// end when every window has the same length. An entry whose window
    /// is gone or was reopened is skipped when reached.
    order: VecDeque<(Arc<str>, Instant)>,
}

struct Window {
    count: u64,
    ends: Instant,
}

impl MemoryStore {
    /// A store of at most 100 000 keys.
    pub fn new() -> Self {
        MemoryStore::with_max_keys(DEFAULT_MAX_KEYS)
    }

    /// A store of at most `max_keys` keys (rounded up to a multiple of 16,
    /// the number of shards).
    pub fn with_max_keys(max_keys: usize) -> Self {
        let shards = (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect();
        MemoryStore {
            inner: Arc::new(Inner {
                shards,
                hasher: Default::default(),
                keys_per_shard: max_keys.div_ceil(SHARDS).max(1),
            }),
        }
    }

    /// The most keys held.
    pub fn max_keys(&self) -> usize {
        self.inner.keys_per_shard * SHARDS
    }

    /// How many windows are held now, ended ones not yet dropped included.
    pub fn len(&self) -> usize {
        (0..SHARDS).map(|i| self.shard(i).windows.len()).sum()
    }

    /// Whether no window is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard(&self, index: usize) -> MutexGuard<'_, Shard> {
        // No code panics while holding the lock, and a shard is consistent
        // between statements anyway.
        self.inner.shards[index]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, key: &str, window: Duration) -> Hit {
        let now = Instant::now();
        let index = (self.inner.hasher.hash_one(key) as usize) % SHARDS;
        let mut shard = self.shard(index);
        shard.drop_ended(now);
        if let Some(open) = shard.windows.get_mut(key) {
            if open.ends > now {
                open.count += 1;
                return Hit {
                    count: open.count,
                    reset: open.ends - now,
                };
            }
            // Ended but not yet dropped: only when windows of several
            // lengths share the store and end out of order.
            shard.windows.remove(key);
        }
        while shard.windows.len() >= self.inner.keys_per_shard {
            if !shard.drop_oldest() {
                break;
            }
        }
        let key: Arc<str> = Arc::from(key);
        let ends = now + window;
        shard.windows.insert(key.clone(), Window { count: 1, ends });
        shard.order.push_back((key, ends));
        shard.compact();
        Hit {
            count: 1,
            reset: window,
        }
    }
}

impl Shard {
    fn drop_ended(&mut self, now: Instant) {
        while let Some((key, ends)) = self.order.front() {
            if *ends > now {
                break;
            }
            if self.windows.get(key).is_some_and(|w| w.ends == *ends) {
                self.windows.remove(key);
            }
            self.order.pop_front();
        }
    }

    /// Drops the window opened first; false when there is none.
    fn drop_oldest(&mut self) -> bool {
        while let Some((key, ends)) = self.order.pop_front() {
            if self.windows.get(&key).is_some_and(|w| w.ends == ends) {
                self.windows.remove(&key);
                return true;
            }
        }
        false
    }

    /// Rebuilds the order when skipped entries pile up (windows of mixed
    /// lengths), so that it stays proportional to the windows held.
    fn compact(&mut self) {
        if self.order.len() > 2 * self.windows.len() + 16 {
            let mut order: Vec<_> = self
                .windows
                .iter()
                .map(|(key, window)| (key.clone(), window.ends))
                .collect();
            order.sort_by_key(|(_, ends)| *ends);
            self.order = order.into();
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.len())
            .field("max_keys", &self.max_keys())
            .finish()
    }
}

impl RateLimitStore for MemoryStore {
    async fn hit(&self, key: &str, window: Duration) -> Result<Hit, StoreError> {
        Ok(self.count(key, window))
    }
}
