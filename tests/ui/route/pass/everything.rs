use framework::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Item {
    name: String,
}

struct Settings;

/// Every kind of parameter at once.
#[put("/items/{item_id}/{rest:path}", status_code = 201)]
#[allow(clippy::too_many_arguments)]
async fn everything(
    item_id: u32,
    rest: String,
    q: Option<String>,
    tags: Vec<String>,
    #[query(default = 10)] limit: u32,
    #[header] user_agent: Option<String>,
    #[cookie] session: Option<String>,
    item: Json<Item>,
    _settings: State<Settings>,
    background_tasks: BackgroundTasks,
    request: &Request,
) -> Result<Json<String>, HttpError> {
    let _ = (item_id, rest, q, tags, limit, user_agent, session, background_tasks, request);
    Ok(Json(item.0.name))
}

#[route("/multi", methods = ["GET", "POST"])]
fn sync_handler() -> &'static str {
    "sync"
}

fn main() {
    let everything_local = 1;
    let _ = everything_local;
    let _app = App::new().state(Settings).route(everything).routes((sync_handler,));
}
