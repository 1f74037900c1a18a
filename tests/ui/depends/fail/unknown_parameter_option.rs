use framework::prelude::*;

#[depends]
async fn get_query(q: Option<String>) -> Option<String> {
    q
}

#[get("/")]
async fn index(#[depends(use_cash = false)] q: Depends<get_query>) -> String {
    format!("{:?}", *q)
}

fn main() {
    let _ = App::new().route(index);
}
