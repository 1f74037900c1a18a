use framework::prelude::*;

#[get(items)]
async fn root() -> &'static str {
    "x"
}

fn main() {}
