use framework::prelude::*;

#[get("/")]
async fn root(call_next: Next<'_>) -> &'static str {
    let _ = call_next;
    "x"
}

fn main() {}
