use framework::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, serde::Serialize)]
struct Item {
    name: String,
    price: f64,
}

#[get("/items/{item_id}")]
async fn read_item(item_id: i64, q: String, f: Option<f64>, #[query(default = false)] b: bool) -> Json<Value> {
    Json(json!({"item_id": item_id, "q": q, "f": f, "b": b}))
}

#[post("/items/", status_code = 201)]
async fn create_item(item: Json<Item>) -> Json<Item> {
    item
}

#[depends]
async fn get_query(#[query(default = "")] q: String) -> String {
    q
}

#[get("/search")]
async fn search(query: Depends<get_query>) -> Json<Value> {
    Json(json!({"search": *query}))
}

#[tokio::test]
async fn smoke() {
    let client = TestClient::new(App::new().route(read_item).route(create_item).route(search));
    let r = client.get("/items/abc?f=x&b=maybe").send().await;
    println!("{} {}", r.status(), r.text());
    let r = client.get("/items/5?q=hi").send().await;
    println!("{} {}", r.status(), r.text());
    let r = client.post("/items/").json(&json!({"name": 3})).send().await;
    println!("{} {}", r.status(), r.text());
    let r = client.post("/items/").json(&json!({"name": "x", "price": 2.5})).send().await;
    println!("{} {}", r.status(), r.text());
    let r = client.get("/search?q=z").send().await;
    println!("{} {}", r.status(), r.text());
    let r = client.get("/search").send().await;
    println!("{} {}", r.status(), r.text());
    let r = client.get("/nope").send().await;
    println!("{} {}", r.status(), r.text());
    let r = client.delete("/search").send().await;
    println!("{} {:?} {}", r.status(), r.headers(), r.text());
    let r = client.get("/items").send().await;
    println!("{} {:?} {}", r.status(), r.headers(), r.text());
}
