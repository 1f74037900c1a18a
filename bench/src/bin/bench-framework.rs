//! The benchmark app on `framework`: `bench-framework [--port N] [--stack]`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = bench::Args::from_env();
    // `App::run` reads `--port` itself (and ignores `--stack`).
    bench::framework_app::app(args.stack).run().await
}
