use framework::prelude::*;

struct Settings;

#[get("/")]
async fn index(settings: Depends<Settings>) -> &'static str {
    let _ = settings;
    "hi"
}

fn main() {
    let _ = App::new().route(index);
}
