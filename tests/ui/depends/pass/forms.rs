//! Every accepted form of dependency compiles and registers.
use framework::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct CommonQueryParams {
    q: Option<String>,
    #[serde(default)]
    skip: u32,
}

#[depends]
async fn common(params: Query<CommonQueryParams>) -> CommonQueryParams {
    params.0
}

#[depends]
fn plain(#[query(default = 3)] n: u32) -> u32 {
    n
}

#[depends]
async fn fallible(#[header] x_token: String) -> Result<String, HttpError> {
    Ok(x_token)
}

#[depends]
async fn for_effect(request: &Request) {
    let _ = request.path();
}

#[depends(scope = "function")]
async fn yielding(tasks: BackgroundTasks) -> Yield<u8> {
    tasks.add_task(async {});
    Yield::new(1, async {})
}

#[depends(scope = "request")]
async fn fallible_yield(n: Depends<plain>) -> Result<Yield<u32>, HttpError> {
    Ok(Yield::new(*n, async {}))
}

#[depends]
pub async fn other_plain() -> u32 {
    7
}

#[get("/", dependencies(for_effect))]
async fn index(
    commons: Depends<common>,
    #[depends(use_cache = false)] n: Depends<plain>,
    token: Depends<fallible>,
    y: Depends<yielding>,
    f: Depends<fallible_yield>,
) -> String {
    format!("{:?} {} {} {} {} {}", commons.q, commons.skip, *n, *token, *y, *f)
}

fn main() {
    let _ = App::new()
        .dependency(for_effect)
        .override_dependency(plain, other_plain)
        .include_router(Router::new().dependency(fallible).route(index));
}
