use framework::prelude::*;

#[get("/")]
async fn root<T: Default>() -> &'static str {
    "x"
}

fn main() {}
