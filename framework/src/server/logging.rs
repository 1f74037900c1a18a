//! Log output for `App::run`: `tracing` lines on standard error, at the
//! level `--log-level` (or `RUST_LOG`) asks for, unless the program set up
//! `tracing` itself.

/// Installs the subscriber; a program's own subscriber wins.
pub(crate) fn init(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Fails only when the program set up its own subscriber, which wins.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
