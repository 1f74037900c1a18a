//! The benchmark app on actix-web: `bench-actix [--port N] [--stack]`.

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = bench::Args::from_env();
    bench::actix_app::serve(args.port, args.stack).await
}
