use framework::prelude::*;

#[depends(scope = "session")]
async fn get_query(q: Option<String>) -> Option<String> {
    q
}

fn main() {
    let _ = App::new().dependency(get_query);
}
