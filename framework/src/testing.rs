//! `TestClient`: requests through the whole app, in-process, no socket.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::app::App;
use crate::body::Body;
use crate::service::AppService;

/// Sends requests through the whole app (middleware, routing, extraction,
/// dependencies) in-process, as Starlette's `TestClient`.
///
/// Like Starlette's, it waits for a request's background tasks (and
/// dependency cleanup) before handing back the response, so a test can look
/// at their effects right away.
///
/// ```
/// use framework::prelude::*;
///
/// #[get("/items/{item_id}")]
/// async fn read_item(item_id: u32) -> Json<serde_json::Value> {
///     Json(serde_json::json!({ "item_id": item_id }))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let client = TestClient::new(App::new().route(read_item));
/// let response = client.get("/items/3").send().await;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.text(), r#"{"item_id":3}"#);
/// # });
/// ```
#[derive(Clone)]
pub struct TestClient {
    service: AppService,
}

impl TestClient {
    /// Builds the app for testing.
    ///
    /// # Panics
    /// When the app cannot start (see [`App::try_into_service`]), with the
    /// message naming each problem, as `App::run` would refuse.
    pub fn new(app: App) -> Self {
        TestClient::from_service(app.into_service())
    }

    /// Tests an app already built.
    pub fn from_service(service: AppService) -> Self {
        TestClient { service }
    }

    /// The app under test.
    pub fn service(&self) -> &AppService {
        &self.service
    }

    /// A request with any method.
    pub fn request(&self, method: Method, path: &str) -> TestRequest<'_> {
        TestRequest {
            client: self,
            method,
            path: path.to_owned(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A `GET` request.
    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::GET, path)
    }

    /// A `POST` request.
    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::POST, path)
    }

    /// A `PUT` request.
    pub fn put(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` request.
    pub fn patch(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` request.
    pub fn delete(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::DELETE, path)
    }

    /// A `HEAD` request.
    pub fn head(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::HEAD, path)
    }

    /// An `OPTIONS` request.
    pub fn options(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::OPTIONS, path)
    }
}

/// A request being built; [`send`](TestRequest::send) it.
pub struct TestRequest<'c> {
    client: &'c TestClient,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
}

impl TestRequest<'_> {
    /// Adds a query parameter (percent-encoded for you).
    pub fn query(mut self, name: &str, value: impl ToString) -> Self {
        self.query.push((name.to_owned(), value.to_string()));
        self
    }

    /// Adds a header.
    ///
    /// # Panics
    /// If the name or value is not valid in HTTP: a test's own mistake.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("TestRequest::header: invalid name");
        let value = HeaderValue::try_from(value).expect("TestRequest::header: invalid value");
        self.headers.append(name, value);
        self
    }

    /// Sends `value` as a JSON body with `content-type: application/json`.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = serde_json::to_vec(value)
            .expect("TestRequest::json: unserializable")
            .into();
        self.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self
    }

    /// Sends `value` as a urlencoded form.
    pub fn form<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = serde_urlencoded::to_string(value)
            .expect("TestRequest::form: unserializable")
            .into();
        self.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self
    }

    /// Sends raw bytes as the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends the request through the app, reads the whole response, and
    /// waits (up to 10 s) for the request's background tasks.
    pub async fn send(self) -> TestResponse {
        let mut uri = self.path;
        if !self.query.is_empty() {
            let query = serde_urlencoded::to_string(&self.query).unwrap_or_default();
            uri.push(if uri.contains('?') { '&' } else { '?' });
            uri.push_str(&query);
        }
        let mut request = http::Request::builder()
            .method(self.method)
            .uri(uri)
            .body(Body::from(self.body))
            .expect("TestRequest::send: invalid path");
        *request.headers_mut() = self.headers;
        request
            .headers_mut()
            .entry(http::header::HOST)
            .or_insert(HeaderValue::from_static("testserver"));
        let client = Some(([127, 0, 0, 1], 50000).into());
        let service = &self.client.service;
        let response = service.handle(request, client).await;
        let (parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => panic!("TestRequest::send: the response body failed: {e}"),
        };
        service.wait_idle(Duration::from_secs(10)).await;
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// A response read whole.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    /// If it is not JSON of that shape, naming the body.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("TestResponse::json: {e}; body: {}", self.text()))
    }
}
