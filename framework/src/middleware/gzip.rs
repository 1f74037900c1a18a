//! [`GZipMiddleware`]: compresses responses for clients that accept gzip,
//! as Starlette's `GZipMiddleware`.
//!
//! # How it matches Starlette
//!
//! - Options and defaults: `minimum_size` 500 bytes, `compresslevel` 9,
//!   `thread_minimum_size` 128 KiB, and `exclude_content_types`
//!   ([`GZipMiddleware::DEFAULT_EXCLUDED_CONTENT_TYPES`]: already-compressed
//!   formats, `audio/*`, `video/*`, gRPC and `text/event-stream`).
//! - Left alone, exactly as they came: responses that already have a
//!   `Content-Encoding`, `206 Partial Content`, and excluded content types
//!   (compared on the media type without parameters, case-insensitively;
//!   `type/*` entries cover a whole family, and `application/grpc` covers
//!   `application/grpc+proto` and its siblings).
//! - A body whose length is known and below `minimum_size` is sent as is,
//!   with no header added.
//! - Any other response gets `Accept-Encoding` added to its `Vary` (even
//!   for a client that does not accept gzip: the answer depends on that
//!   header), and, when the client accepts gzip, `Content-Encoding: gzip`:
//!   - a body held whole is compressed whole and `Content-Length` set to
//!     the compressed size (on a blocking thread from `thread_minimum_size`
//!     bytes, so a big body does not stall other requests);
//!   - a **streaming body is compressed as it streams**, each chunk
//!     compressed and flushed (`Z_SYNC_FLUSH`) as soon as it arrives, so a
//!     client can decode every chunk on arrival; it is compressed whatever
//!     its size, as Starlette compresses any body that comes in more than
//!     one piece, and `Content-Length` is dropped.
//! - Existing `Vary` values are kept, joined into one header with the new
//!   one: `Vary: Origin, Accept-Encoding`.
//!
//! # Where it deliberately differs
//!
//! - `Accept-Encoding` is parsed, not searched: `gzip` or `x-gzip` in any
//!   case counts, unless given `q=0`. Starlette looks for the substring
//!   `gzip`, so it compresses for `gzip;q=0` (which refuses gzip) and not
//!   for `GZIP`.
//! - A streaming body whose `Content-Length` header is known (a
//!   [`FileResponse`](crate::response::FileResponse)) follows the size
//!   rule by that length, and from `minimum_size` up is compressed as it
//!   streams, without a `Content-Length`. Starlette reads a small file in
//!   one piece and compresses it whole.
//! - A `HEAD` response, emptied by the router, has no body to measure: it
//!   gets the headers its `GET` would get, by its `Content-Length`, with
//!   `Content-Length` removed when it would be compressed (its compressed
//!   size is not known without compressing). Registered on a
//!   [`Router`](crate::Router), the middleware still sees the body and
//!   answers `HEAD` exactly as `GET`, compressed length included.
//! - The compressed bytes are zlib-compatible gzip from `flate2`, not
//!   necessarily identical to CPython's `zlib` output.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use async_compression::tokio::write::GzipEncoder;
use async_compression::Level;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::io::AsyncWrite;
use tokio::task::JoinHandle;

use crate::body::{Body, BoxError};
use crate::middleware::cors::add_vary;
use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::Response;

type Encoder = GzipEncoder<Vec<u8>>;

/// Compresses responses with gzip for clients that accept it, as
/// Starlette's `GZipMiddleware`, streaming bodies included, chunk by chunk.
/// See the [module documentation](self) for the exact rules.
///
/// ```
/// use framework::prelude::*;
/// use framework::middleware::GZipMiddleware;
///
/// let app = App::new().middleware(GZipMiddleware::new().minimum_size(1000).compresslevel(5));
/// ```
#[derive(Debug, Clone)]
pub struct GZipMiddleware {
    minimum_size: u64,
    compresslevel: u32,
    thread_minimum_size: usize,
    /// Normalized: the media type alone, lowercased.
    exclude_content_types: Vec<String>,
}

impl GZipMiddleware {
    /// The content types left uncompressed by default, Starlette's list:
    /// formats that are compressed already, and event streams, which a
    /// proxy or browser must see unbuffered.
    pub const DEFAULT_EXCLUDED_CONTENT_TYPES: [&'static str; 14] = [
        "application/grpc",
        "application/gzip",
        "application/x-gzip",
        "application/zip",
        "audio/*",
        "font/woff",
        "font/woff2",
        "image/avif",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "text/event-stream",
        "video/*",
    ];

    /// Starlette's defaults: `minimum_size` 500, `compresslevel` 9,
    /// `thread_minimum_size` 128 KiB, the default excluded content types.
    pub fn new() -> Self {
        GZipMiddleware {
            minimum_size: 500,
            compresslevel: 9,
            thread_minimum_size: 128 * 1024,
            exclude_content_types: normalize(Self::DEFAULT_EXCLUDED_CONTENT_TYPES),
        }
    }

    /// Bodies of known length below this many bytes are sent uncompressed (default 500).
    pub fn minimum_size(mut self, bytes: u64) -> Self {
        self.minimum_size = bytes;
        self
    }

    /// The gzip level, from 0 (store only) to 9 (smallest; the default).
    ///
    /// # Panics
    /// If `level` is over 9: a mistake in the program, seen at start-up.
    pub fn compresslevel(mut self, level: u32) -> Self {
        assert!(
            level <= 9,
            "GZipMiddleware: compresslevel must be 0 to 9, not {level}"
        );
        self.compresslevel = level;
        self
    }

    /// Bodies and chunks from this many bytes up are compressed on a
    /// blocking thread rather than on the async worker (default 128 KiB).
    pub fn thread_minimum_size(mut self, bytes: usize) -> Self {
        self.thread_minimum_size = bytes;
        self
    }

    /// The content types never compressed, replacing the default list
    /// (extend it with [`DEFAULT_EXCLUDED_CONTENT_TYPES`](Self::DEFAULT_EXCLUDED_CONTENT_TYPES)).
    /// Parameters are ignored; `type/*` covers a whole family.
    pub fn exclude_content_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.exclude_content_types = normalize(types);
        self
    }

    /// Whether the response must go out exactly as it came.
    fn leaves_alone(&self, response: &Response) -> bool {
        let headers = response.headers();
        if headers.contains_key(header::CONTENT_ENCODING)
            || response.status() == StatusCode::PARTIAL_CONTENT
        {
            return true;
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let family = format!("{}/*", media_type.split('/').next().unwrap_or(""));
        let grpc = media_type.starts_with("application/grpc+");
        self.exclude_content_types
            .iter()
            .any(|t| *t == media_type || *t == family || (grpc && t == "application/grpc"))
    }

    async fn compress_whole(&self, data: Bytes) -> io::Result<Bytes> {
        let level = self.compresslevel;
        if data.len() >= self.thread_minimum_size {
            let moved = data.clone();
            if let Ok(result) = tokio::task::spawn_blocking(move || gzip_whole(level, &moved)).await
            {
                return result;
            }
        }
        gzip_whole(level, &data)
    }
}

impl Default for GZipMiddleware {
    fn default() -> Self {
        GZipMiddleware::new()
    }
}

fn normalize<I, S>(types: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    types
        .into_iter()
        .map(|t| {
            t.as_ref()
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect()
}

impl Middleware for GZipMiddleware {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        let accepts = accepts_gzip(request.headers());
        let head = request.method() == Method::HEAD;
        let mut response = call_next.run(request).await;
        if self.leaves_alone(&response) {
            return response;
        }

        // Starlette decides on the first body message: whole and small
        // means untouched. A stream's length is unknown until it ends.
        let declared = response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body_len = response.body().exact_len();
        // The router empties a HEAD answer and keeps its GET length in
        // `Content-Length`; a router's own middleware still sees the body,
        // which is then treated as GET's.
        let stripped_head = head && body_len == Some(0);
        let known_len = if stripped_head {
            Some(declared.unwrap_or(0))
        } else {
            body_len.or(declared)
        };
        if known_len.is_some_and(|len| len < self.minimum_size) {
            return response;
        }
        add_vary(response.headers_mut(), "Accept-Encoding");
        if !accepts {
            return response;
        }
        if stripped_head {
            response.headers_mut().remove(header::CONTENT_LENGTH);
            set_gzip(&mut response);
            return response;
        }

        let mut body = response.replace_body(Body::empty());
        let first = if body.exact_len().is_some() {
            // Known length: see whether the body comes in one piece, which is
            // then compressed whole with its `Content-Length`.
            match body.frame().await {
                None => return self.whole(response, Bytes::new()).await,
                Some(Ok(frame)) if frame.is_data() && http_body::Body::is_end_stream(&body) => {
                    match frame.into_data() {
                        Ok(data) => return self.whole(response, data).await,
                        Err(frame) => Some(Ok(frame)),
                    }
                }
                Some(other) => Some(other),
            }
        } else {
            None
        };
        set_gzip(&mut response);
        let stream = GzipStream {
            first,
            inner: body,
            encoder: Some(new_encoder(self.compresslevel)),
            offload: None,
            thread_minimum_size: self.thread_minimum_size,
            trailers: None,
            finished: false,
        };
        let _ = response.replace_body(Body::new(stream));
        response
    }
}

impl GZipMiddleware {
    async fn whole(&self, mut response: Response, data: Bytes) -> Response {
        match self.compress_whole(data.clone()).await {
            Ok(compressed) => {
                let len = compressed.len();
                let _ = response.replace_body(compressed);
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
                set_gzip(&mut response);
            }
            Err(e) => {
                // Writing to memory does not fail; if it ever does, the
                // identity body is still a correct answer.
                tracing::error!("GZipMiddleware: compression failed, sending uncompressed: {e}");
                let len = data.len();
                let _ = response.replace_body(data);
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            }
        }
        response
    }
}

fn set_gzip(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
}

/// Whether the client accepts gzip: `gzip` or `x-gzip`, in any case, with
/// no `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            if !coding.eq_ignore_ascii_case("gzip") && !coding.eq_ignore_ascii_case("x-gzip") {
                return false;
            }
            let refused = parts.any(|param| {
                param
                    .trim()
                    .strip_prefix("q=")
                    .or_else(|| param.trim().strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            !refused
        })
}

fn new_encoder(level: u32) -> Encoder {
    GzipEncoder::with_quality(Vec::new(), Level::Precise(level as i32))
}

fn gzip_whole(level: u32, data: &[u8]) -> io::Result<Bytes> {
    feed(&mut new_encoder(level), data, true)
}

/// Compresses `input` and hands back everything the encoder has for the
/// client so far: flushed (`Z_SYNC_FLUSH`) so that it decodes on arrival,
/// or, with `finish`, the end of the gzip stream.
///
/// The encoder writes into a `Vec`, which is always ready, so the polls
/// complete at once and need no real waker.
fn feed(encoder: &mut Encoder, mut input: &[u8], finish: bool) -> io::Result<Bytes> {
    let mut cx = Context::from_waker(Waker::noop());
    let stalled = || io::Error::other("gzip encoder stalled writing to memory");
    while !input.is_empty() {
        match Pin::new(&mut *encoder).poll_write(&mut cx, input) {
            Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Poll::Ready(Ok(n)) => input = &input[n..],
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => return Err(stalled()),
        }
    }
    let flushed = if finish {
        Pin::new(&mut *encoder).poll_shutdown(&mut cx)
    } else {
        Pin::new(&mut *encoder).poll_flush(&mut cx)
    };
    match flushed {
        Poll::Ready(Ok(())) => Ok(Bytes::from(std::mem::take(encoder.get_mut()))),
        Poll::Ready(Err(e)) => Err(e),
        Poll::Pending => Err(stalled()),
    }
}

/// A body compressed as it streams.
struct GzipStream {
    /// A frame already read from `inner` while deciding what to do.
    first: Option<Result<Frame<Bytes>, BoxError>>,
    inner: Body,
    /// Away while a large chunk is compressed on a blocking thread.
    encoder: Option<Encoder>,
    offload: Option<JoinHandle<(Encoder, io::Result<Bytes>)>>,
    thread_minimum_size: usize,
    /// Trailers wait until the gzip stream has been ended before them.
    trailers: Option<HeaderMap>,
    finished: bool,
}

impl GzipStream {
    fn compress(&mut self, data: Bytes, finish: bool) -> Option<io::Result<Bytes>> {
        let mut encoder = self.encoder.take()?;
        if data.len() >= self.thread_minimum_size {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                self.offload = Some(runtime.spawn_blocking(move || {
                    let result = feed(&mut encoder, &data, finish);
                    (encoder, result)
                }));
                return None;
            }
        }
        let result = feed(&mut encoder, &data, finish);
        self.encoder = Some(encoder);
        Some(result)
    }

    fn fail(&mut self, error: impl Into<BoxError>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.finished = true;
        self.trailers = None;
        self.encoder = None;
        Poll::Ready(Some(Err(error.into())))
    }
}

impl http_body::Body for GzipStream {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            let compressed = if let Some(task) = &mut this.offload {
                let joined = ready!(Pin::new(task).poll(cx));
                this.offload = None;
                match joined {
                    Ok((encoder, result)) => {
                        this.encoder = Some(encoder);
                        Some(result)
                    }
                    Err(e) => return this.fail(e),
                }
            } else if this.finished {
                return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
            } else {
                let frame = match this.first.take() {
                    Some(frame) => Some(frame),
                    None => ready!(Pin::new(&mut this.inner).poll_frame(cx)),
                };
                match frame {
                    Some(Ok(frame)) => match frame.into_data() {
                        // An empty chunk has nothing to flush.
                        Ok(data) if data.is_empty() => continue,
                        Ok(data) => this.compress(data, false),
                        Err(frame) => {
                            this.trailers = frame.into_trailers().ok();
                            this.finished = true;
                            this.compress(Bytes::new(), true)
                        }
                    },
                    Some(Err(e)) => return this.fail(e),
                    None => {
                        this.finished = true;
                        this.compress(Bytes::new(), true)
                    }
                }
            };
            match compressed {
                // Handed to a blocking thread: poll its handle next.
                None => continue,
                Some(Ok(bytes)) if bytes.is_empty() => continue,
                Some(Ok(bytes)) => return Poll::Ready(Some(Ok(Frame::data(bytes)))),
                Some(Err(e)) => return this.fail(e),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.finished && self.offload.is_none() && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;
    use http::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING};

    #[test]
    fn accept_encoding_is_parsed() {
        let cases = [
            ("gzip", true),
            ("gzip, deflate, br", true),
            ("br;q=1.0, gzip;q=0.8", true),
            ("GZIP", true),
            ("x-gzip", true),
            ("deflate, br", false),
            ("gzip;q=0", false),
            ("gzip; q=0.0", false),
            ("*", false),
            ("", false),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(value));
            assert_eq!(accepts_gzip(&headers), expected, "{value}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
