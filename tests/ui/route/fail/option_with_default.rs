use framework::prelude::*;

#[get("/")]
async fn root(#[query(default = 1)] page: Option<u32>) -> String {
    format!("{page:?}")
}

fn main() {}
