//! The dispatch path without sockets: routing, extraction, the three
//! middlewares and the two dependencies, for `framework` and for axum (its
//! `Router` called as a tower `Service` with `oneshot`, as `axum::serve`
//! does per request).
//!
//! `bench-inprocess --server framework|axum --endpoint NAME [--stack]
//! [--iterations N] [--warmup W]` sends W requests, then times N more on a
//! current-thread runtime and prints the nanoseconds per request.
//! `bench/callgrind.sh` runs it under callgrind with N and with 0 to count
//! the instructions per request.

use std::time::Instant;

use bench::Endpoint;
use bytes::Bytes;
use http_body_util::BodyExt;

struct Options {
    server: String,
    endpoint: Endpoint,
    stack: bool,
    iterations: u64,
    warmup: u64,
}

fn options() -> Options {
    let mut server = String::from("framework");
    let mut endpoint = "plaintext".to_owned();
    let mut stack = false;
    let mut iterations = 100_000;
    let mut warmup = 100;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--server" => server = value(),
            "--endpoint" => endpoint = value(),
            "--stack" => stack = true,
            "--iterations" => iterations = value().parse().expect("--iterations takes a number"),
            "--warmup" => warmup = value().parse().expect("--warmup takes a number"),
            other => panic!("unknown argument {other}"),
        }
    }
    let endpoint =
        bench::endpoint(&endpoint).unwrap_or_else(|| panic!("unknown endpoint {endpoint}"));
    Options {
        server,
        endpoint,
        stack,
        iterations,
        warmup,
    }
}

fn request<B: From<Bytes>>(endpoint: &Endpoint) -> http::Request<B> {
    let mut builder = http::Request::builder()
        .method(endpoint.method)
        .uri(endpoint.uri)
        .header(http::header::HOST, "localhost");
    let body = match endpoint.body {
        Some(body) => {
            builder = builder
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(http::header::CONTENT_LENGTH, body.len());
            Bytes::from_static(body.as_bytes())
        }
        None => Bytes::new(),
    };
    builder.body(B::from(body)).expect("a valid request")
}

/// Sends `count` requests through the framework app (its `AppService`,
/// as the server calls it); returns the last body.
async fn run_framework(app: &framework::AppService, endpoint: &Endpoint, count: u64) -> Bytes {
    let mut last = Bytes::new();
    for _ in 0..count {
        let response = app.handle(request(endpoint), None).await;
        assert_eq!(response.status(), 200);
        last = response
            .into_body()
            .collect()
            .await
            .expect("the body")
            .to_bytes();
    }
    last
}

/// Sends `count` requests through the axum router; returns the last body.
async fn run_axum(router: &axum::Router, endpoint: &Endpoint, count: u64) -> Bytes {
    use tower::ServiceExt;
    let mut last = Bytes::new();
    for _ in 0..count {
        let response = router
            .clone()
            .oneshot(request::<axum::body::Body>(endpoint))
            .await
            .expect("infallible");
        assert_eq!(response.status(), 200);
        last = response
            .into_body()
            .collect()
            .await
            .expect("the body")
            .to_bytes();
    }
    last
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let endpoint = options.endpoint;
    let (warm, elapsed, last) = runtime.block_on(async {
        match options.server.as_str() {
            "framework" => {
                let app = bench::framework_app::app(options.stack).into_service();
                let warm = run_framework(&app, &endpoint, options.warmup).await;
                let start = Instant::now();
                let last = run_framework(&app, &endpoint, options.iterations).await;
                (warm, start.elapsed(), last)
            }
            "axum" => {
                let router = bench::axum_app::router(options.stack);
                let warm = run_axum(&router, &endpoint, options.warmup).await;
                let start = Instant::now();
                let last = run_axum(&router, &endpoint, options.iterations).await;
                (warm, start.elapsed(), last)
            }
            other => panic!("unknown server {other}: framework or axum"),
        }
    });
    for body in [&warm, &last] {
        if !body.is_empty() {
            assert_eq!(
                body,
                endpoint.expected.as_bytes(),
                "{} answered another body",
                options.server
            );
        }
    }
    let per_request = if options.iterations == 0 {
        0.0
    } else {
        elapsed.as_nanos() as f64 / options.iterations as f64
    };
    println!(
        "server={} endpoint={} stack={} iterations={} ns_per_request={per_request:.0}",
        options.server, endpoint.name, options.stack, options.iterations
    );
}
