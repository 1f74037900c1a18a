use framework::prelude::*;

#[post("/items")]
async fn create(first: Json<serde_json::Value>, second: Bytes) -> &'static str {
    let _ = (first, second);
    "x"
}

fn main() {}
