use framework::prelude::*;

#[depends]
struct CommonQueryParams {
    q: Option<String>,
}

fn main() {
    let _ = App::new();
}
