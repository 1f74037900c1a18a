use framework::prelude::*;

#[route("/items", methods = ["GET", "FETCH"])]
async fn items() -> &'static str {
    "x"
}

fn main() {}
