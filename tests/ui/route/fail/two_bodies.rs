use framework::prelude::*;

#[post("/items")]
async fn create(#[body] first: String, #[body] second: Bytes) -> &'static str {
    let _ = (first, second);
    "x"
}

fn main() {}
