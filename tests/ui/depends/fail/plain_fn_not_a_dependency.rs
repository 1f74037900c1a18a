use framework::prelude::*;

async fn get_settings() -> String {
    "settings".to_owned()
}

#[get("/")]
async fn index(settings: Depends<get_settings>) -> &'static str {
    let _ = settings;
    "hi"
}

fn main() {
    let _ = App::new().route(index);
}
