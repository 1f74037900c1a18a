//! The foundation's examples answer as their FastAPI originals do.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/hello.rs"]
mod hello;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/status_codes.rs"]
mod status_codes;

use framework::TestClient;

#[tokio::test]
async fn hello_answers_hello_world_with_a_process_time() {
    let client = TestClient::new(hello::app());
    let response = client.get("/").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.text(), r#"{"message":"Hello World"}"#);
    let seconds: f64 = response.header("x-process-time").unwrap().parse().unwrap();
    assert!(seconds >= 0.0);
    // The middleware is global: a 404 is timed too.
    let response = client.get("/nope").send().await;
    assert_eq!(response.status(), 404);
    assert!(response.header("x-process-time").is_some());
}

#[tokio::test]
async fn status_codes_answer_with_the_status_they_name() {
    let client = TestClient::new(status_codes::app());
    for status in [201u16, 302, 404, 500] {
        let response = client.get(&format!("/{status}/")).send().await;
        assert_eq!(response.status(), status);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.text(), format!(r#"{{"httpStatus":{status}}}"#));
    }
}
