use framework::prelude::*;

#[get("/items")]
async fn read_item(#[path] item_id: u32) -> String {
    item_id.to_string()
}

fn main() {}
