use framework::prelude::*;

#[get("/", status_code = 1000)]
async fn root() -> &'static str {
    "x"
}

fn main() {}
