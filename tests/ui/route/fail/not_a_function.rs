use framework::prelude::*;

#[get("/")]
struct NotAHandler;

fn main() {}
