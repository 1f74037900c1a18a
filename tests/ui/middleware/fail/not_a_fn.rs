use framework::prelude::*;

#[middleware("http")]
struct Timing;

fn main() {
    let _ = App::new();
}
