use framework::prelude::*;

#[get("/", status_code = 201, status_code = 202)]
async fn root() -> &'static str {
    "x"
}

fn main() {}
