//! The Redis rate-limit store against a real `redis-server`, started by
//! each test on a free loopback port and killed when the test ends.
//!
//! Without `redis-server` on the PATH these tests say so and pass, unless
//! `CI` is set: there (`.ci/run` installs it) a missing server is a failure.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use framework::middleware::{RedisStore, StoreFailure};
use framework::prelude::*;
use serde_json::{json, Value};

#[get("/")]
async fn root() -> Json<Value> {
    Json(json!({"message": "Hello World"}))
}

/// A `redis-server` of the test's own, killed when dropped.
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts one, or `None` (after saying why) when none is installed and
    /// this is not CI.
    fn start() -> Option<RedisServer> {
        match RedisServer::spawn(free_port()) {
            Ok(server) => Some(server),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "redis-server is not installed, and CI is set: install it (apt-get install redis-server)"
                );
                eprintln!("skipping: redis-server not installed");
                None
            }
            Err(e) => panic!("could not start redis-server: {e}"),
        }
    }

    /// Starts one on `port` and waits until it listens.
    fn spawn(port: u16) -> std::io::Result<RedisServer> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let server = RedisServer { child, port };
        server.wait_until_listening();
        Ok(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn wait_until_listening(&self) {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start listening on {addr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (free a moment ago).
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

/// One instance of the app, limited to `limit` per minute in the Redis at `url`.
fn instance(url: &str, limit: u64) -> TestClient {
    let store = RedisStore::new(url)
        .expect("a Redis URL")
        .prefix("test:shared:");
    TestClient::new(
        App::new()
            .middleware(RateLimitMiddleware::new(limit, Duration::from_secs(60)).store(store))
            .route(root),
    )
}

#[tokio::test]
async fn instances_sharing_one_redis_share_one_limit() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let first = instance(&redis.url(), 5);
    let second = instance(&redis.url(), 5);
    // Alternating between the instances: each sees the other's requests.
    let mut seen = Vec::new();
    for i in 0..7 {
        let client = if i % 2 == 0 { &first } else { &second };
        let response = client.get("/").send().await;
        seen.push((
            response.status().as_u16(),
            response.header("ratelimit-remaining").map(str::to_owned),
        ));
    }
    let expected: Vec<(u16, Option<String>)> = [
        (200, "4"),
        (200, "3"),
        (200, "2"),
        (200, "1"),
        (200, "0"),
        (429, "0"),
        (429, "0"),
    ]
    .into_iter()
    .map(|(status, remaining)| (status, Some(remaining.to_owned())))
    .collect();
    assert_eq!(seen, expected);

    let refused = second.get("/").send().await;
    assert_eq!(
        refused.json::<Value>(),
        json!({"detail": "Too Many Requests"})
    );
    assert_eq!(refused.header("ratelimit-limit"), Some("5"));
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "retry-after {retry_after}");
    // Another client has its own count in the same Redis.
    let other = first
        .get("/")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await;
    assert_eq!(other.status(), 200);
    assert_eq!(other.header("ratelimit-remaining"), Some("4"));
}

#[tokio::test]
async fn concurrent_requests_on_two_instances_are_counted_exactly() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let first = instance(&redis.url(), 20);
    let second = instance(&redis.url(), 20);
    let requests = (0..30).map(|i| {
        let client = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move { client.get("/").send().await.status().as_u16() })
    });
    let mut ok = 0;
    let mut refused = 0;
    for request in requests.collect::<Vec<_>>() {
        match request.await.unwrap() {
            200 => ok += 1,
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((ok, refused), (20, 10));
}

/// Runs `request` with a generous bound, so that a hang fails the test
/// instead of stalling the suite; the bound is no claim about speed.
async fn answered<F: std::future::Future>(request: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), request)
        .await
        .expect("the request hung on an unreachable Redis")
}

#[tokio::test]
async fn an_unreachable_redis_is_answered_by_the_policy() {
    // Needs no server: the point is that there is none.
    let closed = format!("redis://127.0.0.1:{}/", free_port());
    // A non-routable address, where a connection attempt may hang: the
    // store's timeout ends it.
    let blackhole = "redis://10.255.255.1:6379/".to_owned();
    for url in [closed, blackhole] {
        let open = TestClient::new(
            App::new()
                .middleware(
                    RateLimitMiddleware::new(1, Duration::from_secs(60)).store(
                        RedisStore::new(&url)
                            .unwrap()
                            .timeout(Duration::from_millis(100)),
                    ),
                )
                .route(root),
        );
        for _ in 0..3 {
            let response = answered(open.get("/").send()).await;
            assert_eq!(response.status(), 200, "{url}");
            assert_eq!(response.json::<Value>(), json!({"message": "Hello World"}));
            assert!(response.header("ratelimit-limit").is_none(), "{url}");
        }

        let closed = TestClient::new(
            App::new()
                .middleware(
                    RateLimitMiddleware::new(1, Duration::from_secs(60))
                        .store(
                            RedisStore::new(&url)
                                .unwrap()
                                .timeout(Duration::from_millis(100)),
                        )
                        .on_store_failure(StoreFailure::FailClosed),
                )
                .route(root),
        );
        for _ in 0..3 {
            let response = answered(closed.get("/").send()).await;
            assert_eq!(response.status(), 503, "{url}");
            assert_eq!(
                response.json::<Value>(),
                json!({"detail": "Service Unavailable"})
            );
            assert_eq!(response.header("retry-after"), Some("1"));
        }
    }
}

#[tokio::test]
async fn the_store_recovers_when_redis_comes_back() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let port = redis.port;
    let client = instance(&url, 100);
    assert_eq!(
        client.get("/").send().await.header("ratelimit-remaining"),
        Some("99")
    );

    drop(redis);
    let response = answered(client.get("/").send()).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.header("ratelimit-remaining").is_none(),
        "counted by a dead Redis"
    );

    // Same port, fresh and empty server: counting starts over once the
    // store's pause after the failure has passed.
    let restarted = RedisServer::spawn(port).expect("redis-server ran a moment ago");
    let mut remaining = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        remaining = answered(client.get("/").send())
            .await
            .header("ratelimit-remaining")
            .map(str::to_owned);
        if remaining.is_some() {
            break;
        }
    }
    assert_eq!(remaining.as_deref(), Some("99"));
    drop(restarted);
}
