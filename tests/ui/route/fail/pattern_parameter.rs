use framework::prelude::*;

#[get("/")]
async fn root((a, b): (u32, u32)) -> String {
    format!("{a}{b}")
}

fn main() {}
