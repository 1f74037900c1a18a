use framework::prelude::*;

#[get("/items/{item_id")]
async fn read_item(item_id: u32) -> String {
    item_id.to_string()
}

fn main() {}
