//! The body type shared by requests and responses.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// The error a streaming body may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

type Boxed = Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send>>;

/// A request or response body: empty, a buffer, or a stream of chunks.
///
/// Buffers are kept unboxed, so the common small JSON answer costs no
/// allocation beyond its bytes.
pub struct Body(Kind);

enum Kind {
    Empty,
    Full(Option<Bytes>),
    Incoming(hyper::body::Incoming),
    Stream(Boxed),
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Self {
        Body(Kind::Empty)
    }

    /// A body that sends the frames of any [`http_body::Body`] as they come.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        use http_body_util::BodyExt;
        Body(Kind::Stream(Box::pin(body.map_err(Into::into))))
    }

    /// A body sent chunk by chunk as the stream yields them (chunked encoding).
    pub fn from_stream<S, T, E>(stream: S) -> Self
    where
        S: futures_core::Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes>,
        E: Into<BoxError>,
    {
        Body::new(StreamBody(Box::pin(stream)))
    }

    pub(crate) fn incoming(incoming: hyper::body::Incoming) -> Self {
        Body(Kind::Incoming(incoming))
    }

    /// Any body as a `Body`, without boxing one that already is a `Body`
    /// or is hyper's own request body: what comes from another server or a
    /// tower service.
    pub fn from_any<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let mut slot = Some(body);
        let any = &mut slot as &mut dyn std::any::Any;
        if let Some(body) = any.downcast_mut::<Option<Body>>() {
            return body.take().unwrap_or_default();
        }
        if let Some(incoming) = any.downcast_mut::<Option<hyper::body::Incoming>>() {
            return incoming.take().map_or_else(Body::empty, Body::incoming);
        }
        slot.map_or_else(Body::empty, Body::new)
    }

    /// The length of the body when it is known before it is sent.
    pub fn exact_len(&self) -> Option<u64> {
        http_body::Body::size_hint(self).exact()
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Kind::Empty => "Body::Empty",
            Kind::Full(_) => "Body::Full",
            Kind::Incoming(_) => "Body::Incoming",
            Kind::Stream(_) => "Body::Stream",
        })
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body(Kind::Full(Some(bytes)))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::from(Bytes::from(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::from(Bytes::from(text))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body::from(Bytes::from_static(text.as_bytes()))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.0 {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Incoming(incoming) => Pin::new(incoming).poll_frame(cx).map_err(Into::into),
            Kind::Stream(stream) => stream.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Empty => true,
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Incoming(incoming) => incoming.is_end_stream(),
            Kind::Stream(stream) => stream.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Incoming(incoming) => incoming.size_hint(),
            Kind::Stream(stream) => stream.size_hint(),
        }
    }
}

/// Adapts a stream of byte chunks to [`http_body::Body`]. The stream is
/// boxed so that polling it needs no pin projection (and no `unsafe`).
struct StreamBody<S>(Pin<Box<S>>);

impl<S, T, E> http_body::Body for StreamBody<S>
where
    S: futures_core::Stream<Item = Result<T, E>>,
    T: Into<Bytes>,
{
    type Data = Bytes;
    type Error = E;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, E>>> {
        self.0
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|chunk| chunk.map(|c| Frame::data(c.into()))))
    }
}
