use framework::prelude::*;

#[depends]
async fn get_db() -> String {
    "real".to_owned()
}

#[depends]
async fn fake_db() -> u32 {
    0
}

fn main() {
    let _ = App::new().override_dependency(get_db, fake_db);
}
