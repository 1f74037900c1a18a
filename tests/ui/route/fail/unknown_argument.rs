use framework::prelude::*;

#[get("/", status = 201)]
async fn root() -> &'static str {
    "x"
}

fn main() {}
