use framework::prelude::*;

#[middleware(http)]
async fn timing(request: Request, call_next: Next) -> Response {
    call_next(request).await
}

fn main() {
    let _ = App::new().middleware(timing);
}
