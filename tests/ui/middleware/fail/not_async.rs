use framework::prelude::*;

#[middleware("http")]
fn timing(request: Request, call_next: Next) -> Response {
    let _ = (request, call_next);
    Response::text("never")
}

fn main() {
    let _ = App::new().middleware(timing);
}
