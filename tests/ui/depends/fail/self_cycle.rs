use framework::prelude::*;

#[depends]
async fn itself(again: Depends<itself>) -> u32 {
    *again + 1
}

fn main() {
    let _ = App::new().dependency(itself);
}
