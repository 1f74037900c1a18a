//! Every accepted form of middleware compiles and registers.
use framework::prelude::*;

#[derive(Clone)]
struct User(String);

#[depends]
async fn current_user(#[header] x_user: Option<String>) -> Option<User> {
    x_user.map(User)
}

#[middleware("http")]
async fn plain(request: Request, call_next: Next) -> Response {
    call_next(request).await
}

#[middleware("http")]
async fn renamed_and_mutable(mut req: Request, next: Next) -> Response {
    req.headers_mut().remove("x-secret");
    next(req).await
}

#[middleware("http")]
async fn fallible(request: Request, call_next: Next) -> Result<Response, HttpError> {
    if request.header("x-block").is_some() {
        return Err(HttpError::new(403, "Forbidden"));
    }
    Ok(call_next(request).await)
}

#[middleware("http")]
async fn with_a_dependency(request: Request, call_next: Next, user: Depends<current_user>) -> Response {
    let mut response = call_next(request).await;
    if let Some(user) = user.as_ref() {
        response.set_header("x-user", user.0.clone());
    }
    response
}

#[middleware("http")]
pub async fn public_with_query(call_next: Next, request: Request, debug: Option<bool>) -> Response {
    let _ = debug;
    call_next(request).await
}

struct Class;

impl Middleware for Class {
    async fn dispatch(&self, request: Request, call_next: Next<'_>) -> Response {
        call_next.run(request).await
    }
}

fn main() {
    let _ = App::new()
        .middleware(plain)
        .middleware(renamed_and_mutable)
        .middleware(fallible)
        .middleware(with_a_dependency)
        .middleware(public_with_query)
        .middleware(Class)
        .streaming_middleware(Class);
    let _ = Router::new().middleware(plain);
}
