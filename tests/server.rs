//! The server over real sockets: HTTP/1.1 keep-alive, HTTP/2, limits,
//! timeouts, panics, and graceful shutdown.

mod common;

use std::time::Duration;

use common::{exchange, read_response, serve, Running};
use framework::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, Mutex};

#[get("/")]
async fn root() -> &'static str {
    "hello"
}

#[get("/panic")]
async fn panics() -> &'static str {
    panic!("boom")
}

#[post("/upload")]
async fn upload(body: Bytes) -> String {
    body.len().to_string()
}

/// A body far larger than one write: 1 MiB of digits.
fn big_body() -> String {
    (0..1024 * 1024)
        .map(|i| char::from(b'0' + (i % 10) as u8))
        .collect()
}

#[get("/big")]
async fn big() -> String {
    big_body()
}

/// Parks the request until the test lets it go.
struct Gate(Mutex<Option<oneshot::Receiver<()>>>);

#[get("/slow")]
async fn slow(gate: State<Gate>) -> &'static str {
    let receiver = gate.0.lock().await.take();
    if let Some(receiver) = receiver {
        let _ = receiver.await;
    }
    "finished"
}

/// Serves the app, on a port the system picked.
async fn start(app: App) -> Running {
    let server = serve(app).await;
    assert_ne!(server.addr.port(), 0, "port 0 picks a real port");
    server
}

fn app() -> App {
    App::new().routes((root, panics, upload, big)).config(|c| {
        c.body_limit = 1024;
        c.access_log = false;
    })
}

#[tokio::test]
async fn http1_keeps_the_connection_alive_across_requests() {
    let server = start(app()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    for _ in 0..3 {
        let (head, body) = exchange(&mut stream, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/plain; charset=utf-8"),
            "{head}"
        );
        assert_eq!(body, "hello");
    }
    server.shut_down().await.unwrap();
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_on_the_same_port() {
    use http_body_util::BodyExt;
    let server = start(app()).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get(format!("http://{}/", server.addr))
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"hello");
    drop(sender);
    server.shut_down().await.unwrap();
}

#[tokio::test]
async fn a_panic_is_a_500_and_the_connection_keeps_serving() {
    let server = start(app()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let (head, body) = exchange(&mut stream, "GET /panic HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 500"), "{head}");
    assert_eq!(body, "Internal Server Error");
    let (_, body) = exchange(&mut stream, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!(body, "hello");
    server.shut_down().await.unwrap();
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_and_huge_heads_431() {
    let server = start(app()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let body = vec![b'x'; 2000];
    let head = format!(
        "POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let (head, body) = read_response(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert_eq!(body, r#"{"detail":"Request Entity Too Large"}"#);

    // A chunked body with no length is cut off at the limit too.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 600, "y".repeat(600));
    let request = format!("POST /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n{chunk}{chunk}0\r\n\r\n");
    let (head, _) = exchange(&mut stream, &request).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let huge = format!(
        "GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let _ = stream.write_all(huge.as_bytes()).await;
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 431"), "{head}");
    server.shut_down().await.unwrap();
}

#[tokio::test]
async fn a_client_that_sends_headers_too_slowly_is_dropped() {
    let app = app().config(|c| c.keep_alive_timeout = Duration::from_millis(200));
    let server = start(app).await;
    let mut stream = send(&server, b"GET / HTTP/1.1\r\nhost: x\r\n").await;
    closed_by_server(&mut stream).await;
    server.shut_down().await.unwrap();
}

/// Opens a connection and writes `bytes` (a request, or part of one).
async fn send(server: &Running, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads until the server closes the connection; panics if it has not
/// within 10 s (a broken server must not hang the test).
async fn closed_by_server(stream: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        Ok(Ok(n)) => panic!("unexpected bytes: {}", String::from_utf8_lossy(&buf[..n])),
        Err(_) => panic!("the server kept an idle connection open"),
    }
}

#[tokio::test]
async fn the_keep_alive_clock_restarts_after_each_response_and_closes_idle_connections() {
    let app = app().config(|c| c.keep_alive_timeout = Duration::from_millis(300));
    let server = start(app).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // Three requests 200 ms apart: 400 ms after the first, the connection
    // is still open, because the clock counts from the last response.
    for round in 0..3 {
        if round > 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (head, body) = exchange(&mut stream, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
        assert!(head.starts_with("HTTP/1.1 200"), "round {round}: {head}");
        assert_eq!(body, "hello");
    }
    let idle_from = std::time::Instant::now();
    closed_by_server(&mut stream).await;
    assert!(
        idle_from.elapsed() >= Duration::from_millis(250),
        "closed after {:?} idle, before the 300 ms timeout",
        idle_from.elapsed()
    );
    server.shut_down().await.unwrap();
}

#[tokio::test]
async fn a_handler_slower_than_the_keep_alive_timeout_still_answers() {
    let (release, parked) = oneshot::channel();
    let app = app()
        .route(slow)
        .state(Gate(Mutex::new(Some(parked))))
        .config(|c| c.keep_alive_timeout = Duration::from_millis(100));
    let server = start(app).await;
    let mut stream = send(&server, b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    release.send(()).unwrap();
    let (head, body) = read_response(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "finished");
    // Then, idle, the connection is closed as usual.
    closed_by_server(&mut stream).await;
    server.shut_down().await.unwrap();
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish() {
    let (release, parked) = oneshot::channel();
    let app = app().route(slow).state(Gate(Mutex::new(Some(parked))));
    let server = start(app).await;
    let mut stream = send(&server, b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n").await;
    // Make sure the request is in flight before shutting down.
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let Running {
        addr,
        stop,
        serving,
    } = server;
    let _ = stop.send(());
    // New connections are refused once the server stopped accepting.
    let mut refused = false;
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the listener is still open after shutdown began");
    assert!(
        !serving.is_finished(),
        "shutdown did not wait for the request in flight"
    );
    release.send(()).unwrap();
    let (head, body) = read_response(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "finished");
    serving.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_large_body_arrives_whole_and_the_connection_stays_usable() {
    let server = start(app()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    for _ in 0..2 {
        let (head, body) = exchange(&mut stream, "GET /big HTTP/1.1\r\nhost: x\r\n\r\n").await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("content-length: 1048576"), "{head}");
        assert!(body == big_body(), "the body arrived changed");
    }
    let (head, body) = exchange(&mut stream, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "hello");
    server.shut_down().await.unwrap();
}

#[tokio::test]
async fn shutdown_closes_idle_keep_alive_connections_at_once() {
    // A keep-alive timeout far longer than the test: shutdown must not wait for it.
    let app = app().config(|c| c.keep_alive_timeout = Duration::from_secs(60));
    let server = start(app).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    let (head, _) = exchange(&mut idle, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let began = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(5), server.shut_down())
        .await
        .expect("shutdown waited for an idle connection")
        .unwrap();
    closed_by_server(&mut idle).await;
    assert!(began.elapsed() < Duration::from_secs(5));
}

async fn run_until_signal(signal: &str) {
    use std::process::Stdio;
    use tokio::io::AsyncBufReadExt;
    let binary = common::hello_binary();
    assert!(
        binary.exists(),
        "{} is missing: cargo test builds the examples",
        binary.display()
    );
    let mut child = tokio::process::Command::new(&binary)
        .args(["--port", "0", "--no-access-log"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the server exited before listening");
        // uvicorn's wording: "Running on http://127.0.0.1:PORT (Press CTRL+C to quit)".
        if let Some(rest) = line.split("Running on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let request = "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    let (head, body) = exchange(&mut stream, request).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, r#"{"message":"Hello World"}"#);

    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut rest = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        rest.push(line);
    }
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status:?}; output: {rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("Finished server process")),
        "{rest:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_server_gracefully_with_exit_code_0() {
    run_until_signal("-TERM").await;
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_stops_the_server_gracefully_with_exit_code_0() {
    run_until_signal("-INT").await;
}
