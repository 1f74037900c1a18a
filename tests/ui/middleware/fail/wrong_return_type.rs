use framework::prelude::*;

#[middleware("http")]
async fn timing(request: Request, call_next: Next) -> u32 {
    let _ = call_next(request).await;
    3
}

fn main() {
    let _ = App::new().middleware(timing);
}
