use framework::prelude::*;

#[get("/")]
async fn root(#[query(rename = "x")] q: String) -> String {
    q
}

fn main() {}
