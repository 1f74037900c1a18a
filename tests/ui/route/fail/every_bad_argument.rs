use framework::prelude::*;

#[get("/d", tags = 1, status_code = 99)]
async fn root() -> &'static str {
    "x"
}

fn main() {}
