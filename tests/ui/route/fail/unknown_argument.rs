use framework::prelude::*;

#[get("/", tags = ["a"])]
async fn root() -> &'static str {
    "x"
}

fn main() {}
