use framework::prelude::*;

#[get("/")]
async fn root(q: &str) -> String {
    q.to_owned()
}

fn main() {}
