use framework::prelude::*;

struct Db;

#[get("/")]
async fn root(db: Db) -> &'static str {
    let _ = db;
    "x"
}

fn main() {
    let _ = App::new().route(root);
}
