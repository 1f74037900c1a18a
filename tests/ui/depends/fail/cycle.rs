use framework::prelude::*;

#[depends]
async fn first(second: Depends<second>) -> u32 {
    *second + 1
}

#[depends]
async fn second(first: Depends<first>) -> u32 {
    *first + 1
}

#[get("/")]
async fn index(value: Depends<first>) -> String {
    value.to_string()
}

fn main() {
    let _ = App::new().route(index);
}
