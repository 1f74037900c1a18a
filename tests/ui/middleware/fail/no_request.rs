use framework::prelude::*;

#[middleware("http")]
async fn timing(call_next: Next) -> Response {
    let _ = call_next;
    Response::text("never")
}

fn main() {
    let _ = App::new().middleware(timing);
}
