use framework::prelude::*;

#[get]
async fn root() -> &'static str {
    "x"
}

fn main() {}
