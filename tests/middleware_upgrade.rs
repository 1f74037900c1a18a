//! A WebSocket upgrade request passes only the streaming-level middleware,
//! as only pure ASGI middleware sees `websocket` scopes in Starlette.

use framework::prelude::*;

/// Appends its name to `x-seen` on the way out.
struct Mark(&'static str);

impl Middleware for Mark {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        let mut response = call_next.run(request).await;
        let seen = match response
            .headers()
            .get("x-seen")
            .and_then(|v| v.to_str().ok())
        {
            Some(inner) => format!("{},{inner}", self.0),
            None => self.0.to_owned(),
        };
        response.set_header("x-seen", seen);
        response
    }
}

#[middleware("http")]
async fn function_layer(request: Request, call_next: Next) -> Response {
    let mut response = call_next(request).await;
    let seen = response
        .headers()
        .get("x-seen")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    response.set_header(
        "x-seen",
        seen.map_or("function".to_owned(), |s| format!("function,{s}")),
    );
    response
}

#[get("/ws")]
async fn ws() -> &'static str {
    "no websocket endpoint yet"
}

fn client() -> TestClient {
    TestClient::new(
        App::new()
            .streaming_middleware(Mark("outer-stream"))
            .middleware(function_layer)
            .middleware(Mark("class"))
            .streaming_middleware(Mark("inner-stream"))
            .route(ws),
    )
}

#[tokio::test]
async fn plain_requests_pass_every_layer_in_order() {
    let response = client().get("/ws").send().await;
    assert_eq!(
        response.header("x-seen"),
        Some("outer-stream,function,class,inner-stream")
    );
}

#[tokio::test]
async fn websocket_upgrades_pass_only_streaming_layers() {
    let response = client()
        .get("/ws")
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .send()
        .await;
    assert_eq!(response.header("x-seen"), Some("outer-stream,inner-stream"));
    // Other upgrades (h2c, say) are ordinary requests to the middleware.
    let response = client()
        .get("/ws")
        .header("connection", "Upgrade")
        .header("upgrade", "h2c")
        .send()
        .await;
    assert_eq!(
        response.header("x-seen"),
        Some("outer-stream,function,class,inner-stream")
    );
}
