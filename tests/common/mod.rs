//! Helpers shared by the integration tests: an app served on a real
//! socket, raw HTTP/1.1 clients, response bodies fed or watched by the
//! test, an event log, log capture, and a few assertions several files
//! make alike.
//!
//! Each test file includes it with `mod common;`. Cargo builds every file
//! directly under `tests/` as a test crate, but not `tests/common/mod.rs`.

// Each test crate uses its own subset of these helpers, so what one crate
// leaves unused is not dead code.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use framework::prelude::*;
use framework::testing::TestResponse;
use framework::Body;
use http_body_util::BodyDataStream;
use hyper::body::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

// ---------------------------------------------------------------------------
// Serving on a real socket
// ---------------------------------------------------------------------------

/// An app served on a free loopback port until `stop` fires or is dropped.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) stop: oneshot::Sender<()>,
    pub(crate) serving: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Tells the server to stop, waits for it to finish, and gives its result.
    pub(crate) async fn shut_down(self) -> std::io::Result<()> {
        self.stop.send(()).unwrap();
        self.serving.await.unwrap()
    }
}

/// Serves `app` on `127.0.0.1:0`, a port the system picks.
pub(crate) async fn serve(app: App) -> Running {
    let server = app.bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop,
        serving,
    }
}

/// The `hello` example, which `cargo test` builds beside the tests.
pub(crate) fn hello_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let binary = dir
        .join("examples")
        .join(format!("hello{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: cargo test builds the examples",
        binary.display()
    );
    binary
}

/// Guards a test against hanging forever when the rule it checks breaks:
/// a wait that should end at once fails the test after a minute instead.
pub(crate) async fn guard<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .unwrap_or_else(|_| panic!("{what} never happened"))
}

// ---------------------------------------------------------------------------
// Raw HTTP/1.1
// ---------------------------------------------------------------------------

/// Reads one HTTP/1.1 response with a `content-length` body (none: empty):
/// its head, up to the blank line, and its body.
pub(crate) async fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed mid-body");
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).to_string();
            return (head, body);
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "connection closed before a response: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes `request` to `stream` and reads the response: its head and body.
pub(crate) async fn exchange(stream: &mut TcpStream, request: &str) -> (String, String) {
    stream.write_all(request.as_bytes()).await.unwrap();
    read_response(stream).await
}

/// Sends one request on a new connection and reads the whole response
/// (which must carry a `content-length`): its status and body.
pub(crate) async fn fetch(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (head, body) = exchange(&mut stream, request).await;
    assert!(
        head.to_ascii_lowercase().contains("\r\ncontent-length:"),
        "no content-length: {head}"
    );
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body)
}

/// A raw HTTP/1.1 client over a real socket, reading exactly what it is told.
pub(crate) struct RawClient {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawClient {
    pub(crate) async fn connect(addr: SocketAddr) -> Self {
        RawClient {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    pub(crate) async fn send(&mut self, request: &str) {
        self.stream.write_all(request.as_bytes()).await.unwrap();
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection early");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// The next line, without its CRLF.
    pub(crate) async fn line(&mut self) -> String {
        loop {
            if let Some(at) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8(self.buf[..at].to_vec()).unwrap();
                self.buf.drain(..at + 2);
                return line;
            }
            self.fill().await;
        }
    }

    /// The next `n` bytes.
    pub(crate) async fn exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            self.fill().await;
        }
        self.buf.drain(..n).collect()
    }

    /// The status, skipping the headers.
    pub(crate) async fn status(&mut self) -> u16 {
        self.head().await.0
    }

    /// The status and the headers (names lowercased).
    pub(crate) async fn head(&mut self) -> (u16, Vec<(String, String)>) {
        let status_line = self.line().await;
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let line = self.line().await;
            if line.is_empty() {
                return (status, headers);
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }

    /// The next chunk of a chunked body; `None` at the last.
    pub(crate) async fn chunk(&mut self) -> Option<Vec<u8>> {
        let size = usize::from_str_radix(self.line().await.trim(), 16).unwrap();
        if size == 0 {
            self.line().await;
            return None;
        }
        let data = self.exact(size).await;
        assert_eq!(self.line().await, "");
        Some(data)
    }
}

/// The value of the header `name` (lowercase) in a head `RawClient` read.
pub(crate) fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------
// Bodies the test feeds or watches
// ---------------------------------------------------------------------------

/// A response body fed by a channel the test holds: each `send` is one
/// chunk, and dropping the sender ends the body.
pub(crate) struct ChannelBody(pub(crate) mpsc::UnboundedReceiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// The stream a handler hands to `Streaming`.
pub(crate) type ChunkStream = BodyDataStream<ChannelBody>;

/// Where a streaming handler (as state) finds the receiving end of the
/// test's channel, for the one request of the test.
pub(crate) struct ChunkSource(Mutex<Option<mpsc::UnboundedReceiver<Bytes>>>);

impl ChunkSource {
    /// The test's end, to send the chunks, and the handler's.
    pub(crate) fn channel() -> (mpsc::UnboundedSender<Bytes>, ChunkSource) {
        let (chunks, receiver) = mpsc::unbounded_channel();
        (chunks, ChunkSource(Mutex::new(Some(receiver))))
    }

    /// The body stream; only once.
    pub(crate) fn stream(&self) -> ChunkStream {
        let receiver = self.0.lock().unwrap().take().expect("one request per test");
        BodyDataStream::new(ChannelBody(receiver))
    }
}

/// What happened, in order, shared by the app (as state) and the test.
#[derive(Clone, Default)]
pub(crate) struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    pub(crate) fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }

    pub(crate) fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A body that records when it has been sent to its end.
struct RecordEnd {
    inner: Body,
    events: Events,
}

impl hyper::body::Body for RecordEnd {
    type Data = Bytes;
    type Error = framework::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.events.push("body sent");
        }
        polled
    }
}

/// A middleware recording the response passing out (`response out`), and
/// the end of its body (`body sent`).
pub(crate) struct Observer(pub(crate) Events);

impl Middleware for Observer {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        let response = call_next.run(request).await;
        self.0.push("response out");
        let events = self.0.clone();
        response.map_body(move |inner| Body::new(RecordEnd { inner, events }))
    }
}

// ---------------------------------------------------------------------------
// Log capture
// ---------------------------------------------------------------------------

/// Log lines written by a `fmt` subscriber, for the test to read.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("log lines are UTF-8")
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures the lines logged at `level` and above on this thread, without
/// colours, until the guard is dropped. A test runtime that runs every
/// task on the test's thread (the default) has its handlers and background
/// tasks logged too.
pub(crate) fn capture_logs(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(level)
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// Captures every log line of the whole test binary, from every thread.
///
/// `tracing` caches whether a call site is enabled; a thread-scoped
/// subscriber can lose that race against another test hitting the same
/// call site with none. A global one cannot, so a test that must see a
/// line logged deep inside the framework uses this, and picks its own
/// lines out (by a request id, say).
pub(crate) fn capture_global_logs() -> Captured {
    static GLOBAL: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    GLOBAL
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_max_level(tracing::Level::INFO)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in this test binary");
            captured
        })
        .clone()
}

// ---------------------------------------------------------------------------
// Assertions several files make
// ---------------------------------------------------------------------------

/// Starlette's answer to a host it refuses: `400 Invalid host header`, as
/// plain text.
pub(crate) fn assert_invalid_host(r: &TestResponse, case: &str) {
    assert_eq!(r.status(), 400, "{case}");
    assert_eq!(r.text(), "Invalid host header", "{case}");
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "{case}"
    );
}

/// Each of `names` is in `onion` (an app's `describe_middleware()`), each
/// one before the next: outer layers first.
pub(crate) fn assert_onion_order(onion: &str, names: &[&str]) {
    let at = |name: &str| {
        onion
            .find(name)
            .unwrap_or_else(|| panic!("{name} missing from {onion}"))
    };
    assert!(
        names.windows(2).all(|pair| at(pair[0]) < at(pair[1])),
        "{onion}"
    );
}
