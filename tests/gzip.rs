//! Issue 5, `GZipMiddleware`: Starlette's thresholds, skips and headers,
//! and streaming bodies compressed as they stream, over a real socket.

mod common;

use std::io::{Read, Write};

use common::{serve, ChannelBody, ChunkSource, ChunkStream};
use flate2::read::GzDecoder;
use flate2::write::GzDecoder as GzWriteDecoder;
use framework::middleware::GZipMiddleware;
use framework::prelude::*;
use framework::testing::TestResponse;
use framework::Body;
use http_body_util::{BodyDataStream, BodyExt, Empty};
use serde_json::{json, Value};
use tokio::sync::mpsc;

// ---------------------------------------------------------------------------
// Routes, one per kind of response Starlette treats differently
// ---------------------------------------------------------------------------

fn with_type(body: impl Into<Body>, content_type: &'static str) -> Response {
    let mut response = Response::new(body);
    response.set_header("content-type", content_type);
    response
}

#[get("/big")]
async fn big() -> String {
    "x".repeat(4000)
}

#[get("/small")]
async fn small() -> String {
    "x".repeat(499)
}

#[get("/exact")]
async fn exact() -> String {
    "x".repeat(500)
}

#[get("/empty")]
async fn empty() -> Response {
    Response::new(Body::empty())
}

#[get("/json")]
async fn json_list() -> Json<Value> {
    Json(json!({"items": (0..200).map(|i| json!({"id": i, "name": "item"})).collect::<Vec<_>>()}))
}

/// Two chunks already at hand, each sent as its own frame.
fn two_chunks() -> ChunkStream {
    let (chunks, receiver) = mpsc::unbounded_channel();
    for chunk in [&b"a"[..], b"bbbbbbbbbb"] {
        chunks.send(Bytes::from_static(chunk)).unwrap();
    }
    // The sender is dropped: the body ends after them.
    BodyDataStream::new(ChannelBody(receiver))
}

#[get("/stream")]
async fn stream() -> Streaming<ChunkStream> {
    Streaming::new(two_chunks())
}

#[get("/sse")]
async fn sse() -> Streaming<ChunkStream> {
    Streaming::new(two_chunks()).content_type("text/event-stream")
}

#[get("/encoded")]
async fn encoded() -> Response {
    let mut response = with_type(gzip(&"x".repeat(4000)), "text/plain");
    response.set_header("content-encoding", "gzip");
    response
}

#[get("/img")]
async fn img() -> Response {
    with_type("x".repeat(4000), "image/png")
}

#[get("/grpc")]
async fn grpc() -> Response {
    with_type("x".repeat(4000), "application/grpc+proto")
}

#[get("/audio")]
async fn audio() -> Response {
    with_type("x".repeat(4000), "Audio/MPEG; x=1")
}

#[get("/partial")]
async fn partial() -> Response {
    let mut response = Response::text("x".repeat(4000));
    response.set_status(StatusCode::PARTIAL_CONTENT);
    response
}

#[get("/vary")]
async fn vary() -> Response {
    let mut response = Response::text("x".repeat(4000));
    response.set_header("vary", "Origin");
    response
}

#[get("/untyped")]
async fn untyped() -> Response {
    Response::new("x".repeat(4000))
}

#[get("/file/{name}")]
async fn file(name: String) -> FileResponse {
    FileResponse::new(std::env::temp_dir().join(name))
}

fn app(gzip: GZipMiddleware) -> App {
    App::new()
        .middleware(gzip)
        .routes((
            big, small, exact, empty, json_list, stream, sse, encoded, img, grpc, audio, partial,
        ))
        .routes((vary, untyped, file))
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("a valid gzip body");
    text
}

async fn fetch(client: &TestClient, path: &str, accept_encoding: Option<&str>) -> TestResponse {
    let mut request = client.get(path);
    if let Some(value) = accept_encoding {
        request = request.header("accept-encoding", value);
    }
    request.send().await
}

/// The body as the client reads it: decompressed when the response says gzip.
fn decoded(r: &TestResponse) -> String {
    if r.header("content-encoding") == Some("gzip") {
        gunzip(r.bytes())
    } else {
        r.text()
    }
}

fn content_of(path: &str) -> String {
    match path {
        "/small" => "x".repeat(499),
        "/exact" => "x".repeat(500),
        "/empty" => String::new(),
        "/stream" | "/sse" => "abbbbbbbbbb".to_owned(),
        "/json" => serde_json::to_string(&json!({
            "items": (0..200).map(|i| json!({"id": i, "name": "item"})).collect::<Vec<_>>()
        }))
        .unwrap(),
        _ => "x".repeat(4000),
    }
}

// ---------------------------------------------------------------------------
// Starlette's rules, with the default configuration
// ---------------------------------------------------------------------------

/// path, accept-encoding; then whether it is sent gzipped, its Vary, and
/// whether it streams.
type RuleCase = (
    &'static str,
    Option<&'static str>,
    bool,
    Option<&'static str>,
    bool,
);

#[tokio::test]
async fn default_rules_table() {
    let client = TestClient::new(app(GZipMiddleware::new()));
    let cases: &[RuleCase] = &[
        ("/big", Some("gzip"), true, Some("Accept-Encoding"), false),
        (
            "/big",
            Some("gzip, deflate, br"),
            true,
            Some("Accept-Encoding"),
            false,
        ),
        (
            "/big",
            Some("deflate, x-gzip"),
            true,
            Some("Accept-Encoding"),
            false,
        ),
        // Not accepted: the answer is identity, but still varies on the header.
        ("/big", None, false, Some("Accept-Encoding"), false),
        ("/big", Some("br"), false, Some("Accept-Encoding"), false),
        // Deliberately parsed (Starlette searches for the substring `gzip`).
        ("/big", Some("GZIP"), true, Some("Accept-Encoding"), false),
        (
            "/big",
            Some("gzip;q=0, br"),
            false,
            Some("Accept-Encoding"),
            false,
        ),
        // Below minimum_size: untouched, no header added.
        ("/small", Some("gzip"), false, None, false),
        ("/small", None, false, None, false),
        ("/empty", Some("gzip"), false, None, false),
        // minimum_size itself is compressed.
        ("/exact", Some("gzip"), true, Some("Accept-Encoding"), false),
        ("/json", Some("gzip"), true, Some("Accept-Encoding"), false),
        (
            "/untyped",
            Some("gzip"),
            true,
            Some("Accept-Encoding"),
            false,
        ),
        // A stream is compressed whatever its size, as it streams.
        ("/stream", Some("gzip"), true, Some("Accept-Encoding"), true),
        ("/stream", None, false, Some("Accept-Encoding"), true),
        // Skipped content types, encodings and partial content: untouched.
        ("/sse", Some("gzip"), false, None, true),
        ("/img", Some("gzip"), false, None, false),
        ("/grpc", Some("gzip"), false, None, false),
        ("/audio", Some("gzip"), false, None, false),
        ("/partial", Some("gzip"), false, None, false),
        // Existing Vary values are kept, in one header.
        (
            "/vary",
            Some("gzip"),
            true,
            Some("Origin, Accept-Encoding"),
            false,
        ),
        ("/vary", None, false, Some("Origin, Accept-Encoding"), false),
    ];
    for &(path, accept, gzipped, vary, streamed) in cases {
        let case = format!("{path} {accept:?}");
        let r = fetch(&client, path, accept).await;
        assert!(r.status().is_success(), "{case}");
        assert_eq!(
            r.header("content-encoding") == Some("gzip"),
            gzipped,
            "{case}"
        );
        assert_eq!(r.header("vary"), vary, "{case}");
        assert_eq!(decoded(&r), content_of(path), "{case}");
        if gzipped && !streamed {
            // Compressed whole: the length is the compressed length.
            let len = r.bytes().len().to_string();
            assert_eq!(r.header("content-length"), Some(len.as_str()), "{case}");
            assert!(r.bytes().len() < content_of(path).len(), "{case}");
        }
        if streamed {
            assert_eq!(r.header("content-length"), None, "{case}");
        }
    }
}

#[tokio::test]
async fn an_already_encoded_response_is_left_as_it_is() {
    let client = TestClient::new(app(GZipMiddleware::new()));
    for accept in [Some("gzip"), None] {
        let r = fetch(&client, "/encoded", accept).await;
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(r.header("vary"), None);
        // Exactly the handler's bytes: not compressed twice.
        assert_eq!(r.bytes().as_ref(), gzip(&"x".repeat(4000)).as_slice());
    }
}

#[tokio::test]
async fn head_gets_the_headers_of_get_without_a_body() {
    let client = TestClient::new(app(GZipMiddleware::new()));
    let r = client
        .head("/big")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    // The compressed length is not known without the body.
    assert_eq!(r.header("content-length"), None);
    assert!(r.bytes().is_empty());

    let r = client.head("/big").send().await;
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_eq!(r.header("content-length"), Some("4000"));

    let r = client
        .head("/small")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("vary"), None);
    assert_eq!(r.header("content-length"), Some("499"));

    // On a router, the middleware runs before the body is stripped, so
    // HEAD is compressed as GET is, and keeps the compressed length.
    let router = Router::new()
        .prefix("/r")
        .middleware(GZipMiddleware::new())
        .route(big);
    let client = TestClient::new(App::new().include_router(router));
    let get = fetch(&client, "/r/big", Some("gzip")).await;
    let head = client
        .head("/r/big")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.header("content-encoding"), Some("gzip"));
    assert_eq!(head.header("content-length"), get.header("content-length"));
    assert_eq!(head.header("vary"), Some("Accept-Encoding"));
    assert!(head.bytes().is_empty());
}

#[tokio::test]
async fn files_follow_the_size_rule_by_their_content_length() {
    let dir = std::env::temp_dir();
    let stem = format!("framework-gzip-{}", std::process::id());
    let (big_name, small_name) = (format!("{stem}-big.txt"), format!("{stem}-small.txt"));
    std::fs::write(dir.join(&big_name), "y".repeat(2000)).unwrap();
    std::fs::write(dir.join(&small_name), "y".repeat(100)).unwrap();
    let client = TestClient::new(app(GZipMiddleware::new()));

    let r = fetch(&client, &format!("/file/{big_name}"), Some("gzip")).await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_eq!(gunzip(r.bytes()), "y".repeat(2000));

    let r = fetch(&client, &format!("/file/{small_name}"), Some("gzip")).await;
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("content-length"), Some("100"));
    assert_eq!(r.header("vary"), None);
    assert_eq!(r.text(), "y".repeat(100));

    let _ = std::fs::remove_file(dir.join(big_name));
    let _ = std::fs::remove_file(dir.join(small_name));
}

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

#[tokio::test]
async fn minimum_size_is_configurable() {
    let client = TestClient::new(app(GZipMiddleware::new().minimum_size(1)));
    let r = fetch(&client, "/small", Some("gzip")).await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(r.bytes()), "x".repeat(499));
    let r = fetch(&client, "/empty", Some("gzip")).await;
    assert_eq!(r.header("content-encoding"), None);

    // With 0, even an empty body is compressed, as Starlette does.
    let client = TestClient::new(app(GZipMiddleware::new().minimum_size(0)));
    let r = fetch(&client, "/empty", Some("gzip")).await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(r.bytes()), "");

    let client = TestClient::new(app(GZipMiddleware::new().minimum_size(5000)));
    let r = fetch(&client, "/big", Some("gzip")).await;
    assert_eq!(r.header("content-encoding"), None);
    // A stream's size is unknown: still compressed.
    let r = fetch(&client, "/stream", Some("gzip")).await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
}

#[tokio::test]
async fn every_compresslevel_makes_valid_gzip() {
    let mut sizes = Vec::new();
    for level in [0, 1, 6, 9] {
        let client = TestClient::new(app(GZipMiddleware::new().compresslevel(level)));
        let r = fetch(&client, "/json", Some("gzip")).await;
        assert_eq!(r.header("content-encoding"), Some("gzip"), "level {level}");
        assert_eq!(gunzip(r.bytes()), content_of("/json"), "level {level}");
        sizes.push(r.bytes().len());
    }
    // Level 0 stores; the others compress.
    assert!(sizes[0] > content_of("/json").len(), "{sizes:?}");
    assert!(sizes[3] <= sizes[1], "{sizes:?}");
}

#[test]
#[should_panic(expected = "GZipMiddleware: compresslevel must be 0 to 9, not 10")]
fn compresslevel_over_9_is_refused_at_start_up() {
    let _ = GZipMiddleware::new().compresslevel(10);
}

#[tokio::test]
async fn excluded_content_types_are_configurable() {
    let client = TestClient::new(app(
        GZipMiddleware::new().exclude_content_types(["Text/Plain; charset=utf-8"])
    ));
    let r = fetch(&client, "/big", Some("gzip")).await;
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("vary"), None);
    let r = fetch(&client, "/img", Some("gzip")).await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(r.bytes()), "x".repeat(4000));

    let extended = GZipMiddleware::DEFAULT_EXCLUDED_CONTENT_TYPES
        .iter()
        .copied()
        .chain(["application/json"]);
    let client = TestClient::new(app(GZipMiddleware::new().exclude_content_types(extended)));
    for path in ["/json", "/img", "/sse"] {
        let r = fetch(&client, path, Some("gzip")).await;
        assert_eq!(r.header("content-encoding"), None, "{path}");
    }
    assert_eq!(
        fetch(&client, "/big", Some("gzip"))
            .await
            .header("content-encoding"),
        Some("gzip")
    );
}

#[tokio::test]
async fn large_bodies_and_chunks_compressed_on_blocking_threads_come_out_whole() {
    let client = TestClient::new(app(GZipMiddleware::new().thread_minimum_size(1)));
    for path in ["/big", "/json", "/stream"] {
        let r = fetch(&client, path, Some("gzip")).await;
        assert_eq!(r.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(gunzip(r.bytes()), content_of(path), "{path}");
    }
}

// ---------------------------------------------------------------------------
// Streaming, over a real socket
// ---------------------------------------------------------------------------

#[get("/live")]
async fn live(chunks: State<ChunkSource>) -> Streaming<ChunkStream> {
    Streaming::new(chunks.stream())
}

async fn connect(
    addr: std::net::SocketAddr,
) -> hyper::client::conn::http1::SendRequest<Empty<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    sender
}

fn get_request(path: &str, method: &str) -> hyper::Request<Empty<Bytes>> {
    hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("accept-encoding", "gzip")
        .body(Empty::new())
        .unwrap()
}

/// Reads the next data frame of the body. The generous limit only turns a
/// body that never comes (one buffered to its end) into a failure instead
/// of a hung test.
async fn next_data(body: &mut hyper::body::Incoming) -> Option<Bytes> {
    let read = async {
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                return Some(data);
            }
        }
        None
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("the next chunk never came: the body is being buffered")
}

#[tokio::test]
async fn a_streaming_body_is_compressed_chunk_by_chunk_as_it_streams() {
    let (feed, chunks) = ChunkSource::channel();
    let app = App::new()
        .middleware(GZipMiddleware::new())
        .state(chunks)
        .route(live);
    // Dropped at the end of the test, which stops the server.
    let server = serve(app).await;
    let mut client = connect(server.addr).await;

    // The head comes before any chunk: nothing is buffered to decide.
    let response = client
        .send_request(get_request("/live", "GET"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["vary"], "Accept-Encoding");
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert!(response.headers().get("content-length").is_none());
    let mut body = response.into_body();
    let mut decoder = GzWriteDecoder::new(Vec::new());

    // Each chunk arrives compressed and decodable while the handler's
    // stream is still open: the next one is sent only after that.
    let mut sent = String::new();
    for i in 0..3 {
        let chunk = format!("event {i}: {}\n", "data ".repeat(40));
        sent.push_str(&chunk);
        feed.send(Bytes::from(chunk)).unwrap();
        let compressed = next_data(&mut body).await.expect("a compressed chunk");
        decoder.write_all(&compressed).unwrap();
        decoder.flush().unwrap();
        assert_eq!(
            String::from_utf8_lossy(decoder.get_ref()),
            sent,
            "after chunk {i}"
        );
    }

    // Closing the stream ends the gzip stream.
    drop(feed);
    while let Some(rest) = next_data(&mut body).await {
        decoder.write_all(&rest).unwrap();
    }
    let all = decoder.finish().unwrap();
    assert_eq!(String::from_utf8(all).unwrap(), sent);
}

#[tokio::test]
async fn whole_bodies_and_head_over_a_real_socket() {
    let server = serve(app(GZipMiddleware::new())).await;
    let mut client = connect(server.addr).await;

    let response = client
        .send_request(get_request("/big", "GET"))
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let length: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(bytes.len(), length);
    assert_eq!(gunzip(&bytes), "x".repeat(4000));

    let response = client
        .send_request(get_request("/big", "HEAD"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert!(response.headers().get("content-length").is_none());

    let response = client
        .send_request(get_request("/small", "GET"))
        .await
        .unwrap();
    assert!(response.headers().get("content-encoding").is_none());
    assert_eq!(response.headers()["content-length"], "499");
}
