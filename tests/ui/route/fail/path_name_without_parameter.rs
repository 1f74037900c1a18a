use framework::prelude::*;

#[get("/items/{item_id}")]
async fn read_item() -> &'static str {
    "x"
}

fn main() {}
