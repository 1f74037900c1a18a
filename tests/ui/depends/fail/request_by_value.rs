use framework::prelude::*;

#[depends]
async fn user_agent(request: Request) -> String {
    request.header("user-agent").unwrap_or("").to_owned()
}

#[get("/")]
async fn index(agent: Depends<user_agent>) -> String {
    agent.to_string()
}

fn main() {
    let _ = App::new().route(index);
}
