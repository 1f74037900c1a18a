use framework::prelude::*;

#[get("/")]
async fn root() -> u32 {
    1
}

fn main() {}
