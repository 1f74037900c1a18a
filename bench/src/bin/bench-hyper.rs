//! The benchmark app on raw hyper: `bench-hyper [--port N] [--stack]`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = bench::Args::from_env();
    bench::hyper_app::serve(args.port, args.stack).await
}
