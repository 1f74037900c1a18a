use framework::prelude::*;

#[get("/")]
fn root(request: &Request) -> String {
    request.path().to_owned()
}

fn main() {}
