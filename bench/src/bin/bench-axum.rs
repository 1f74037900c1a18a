//! The benchmark app on axum: `bench-axum [--port N] [--stack]`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = bench::Args::from_env();
    bench::axum_app::serve(args.port, args.stack).await
}
