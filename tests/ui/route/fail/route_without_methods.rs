use framework::prelude::*;

#[route("/items")]
async fn items() -> &'static str {
    "x"
}

fn main() {}
