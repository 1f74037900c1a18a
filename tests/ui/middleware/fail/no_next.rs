use framework::prelude::*;

#[middleware("http")]
async fn timing(request: Request) -> Response {
    let _ = request;
    Response::text("never")
}

fn main() {
    let _ = App::new().middleware(timing);
}
