//! The HTTP server: hyper 1.x over tokio, HTTP/1.1 and HTTP/2 on one port.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Frame;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use crate::app::{App, AppInner};
use crate::background::Scope;
use crate::body::{Body, BoxError};
use crate::connection::{self, Busy, Idle, Stop, Watched};
use crate::response::Response;

/// A server bound to its socket, ready to run.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let server = framework::App::new().bind("127.0.0.1:0").await?;
/// println!("listening on {}", server.local_addr()?);
/// server.run().await
/// # }
/// ```
pub struct Server {
    listener: TcpListener,
    app: Arc<AppInner>,
}

impl App {
    /// Serves on `--host`/`--port` from the command line, or `HOST`/`PORT`
    /// from the environment, or `127.0.0.1:8000`, until Ctrl-C or SIGTERM.
    ///
    /// Also understands `--no-access-log` and `--log-level LEVEL`, and logs
    /// to the terminal unless the program set up `tracing` itself.
    ///
    /// And uvicorn's proxy flags, which override the app's
    /// [`Config::proxy_headers`](crate::app::Config::proxy_headers) when
    /// given: `--proxy-headers` / `--no-proxy-headers`, and
    /// `--forwarded-allow-ips LIST` (or the `FORWARDED_ALLOW_IPS`
    /// variable), the comma-separated addresses, networks or `*` trusted to
    /// send `X-Forwarded-For` and `X-Forwarded-Proto`.
    pub async fn run(self) -> std::io::Result<()> {
        let options = Options::from_env(std::env::args().skip(1), |name| std::env::var(name).ok())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        init_logging(&options.log_level);
        let app = self.config(|c| {
            c.access_log &= options.access_log;
            options.apply_proxy_headers(&mut c.proxy_headers);
        });
        let server = app.bind((options.host.as_str(), options.port)).await?;
        server.run().await
    }

    /// Binds to `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    pub async fn bind(self, addr: impl tokio::net::ToSocketAddrs) -> std::io::Result<Server> {
        Ok(self.serve(TcpListener::bind(addr).await?))
    }

    /// Serves on a listener the caller bound, for embedding and tests.
    pub fn serve(self, listener: TcpListener) -> Server {
        Server {
            listener,
            app: self.build(),
        }
    }
}

/// The command-line options `App::run` reads.
#[derive(Debug, PartialEq)]
struct Options {
    host: String,
    port: u16,
    access_log: bool,
    log_level: String,
    /// `--proxy-headers` / `--no-proxy-headers`, when given.
    proxy_headers: Option<bool>,
    /// `--forwarded-allow-ips` or `FORWARDED_ALLOW_IPS`, when given.
    forwarded_allow_ips: Option<String>,
}

impl Options {
    fn from_env(
        mut args: impl Iterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut options = Options {
            host: env("HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port: match env("PORT") {
                Some(port) => port
                    .parse()
                    .map_err(|_| format!("PORT={port} is not a port"))?,
                None => 8000,
            },
            access_log: true,
            log_level: "info".into(),
            proxy_headers: None,
            forwarded_allow_ips: env("FORWARDED_ALLOW_IPS"),
        };
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg, None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match flag.as_str() {
                "--host" => options.host = value("--host")?,
                "--port" => {
                    let port = value("--port")?;
                    options.port = port
                        .parse()
                        .map_err(|_| format!("--port {port} is not a port"))?;
                }
                "--log-level" => options.log_level = value("--log-level")?,
                "--no-access-log" => options.access_log = false,
                "--proxy-headers" => options.proxy_headers = Some(true),
                "--no-proxy-headers" => options.proxy_headers = Some(false),
                "--forwarded-allow-ips" => {
                    options.forwarded_allow_ips = Some(value("--forwarded-allow-ips")?);
                }
                _ => {}
            }
        }
        Ok(options)
    }

    fn apply_proxy_headers(&self, proxy_headers: &mut crate::middleware::ProxyHeaders) {
        let mut changed = proxy_headers.clone();
        if let Some(enabled) = self.proxy_headers {
            changed = changed.enabled(enabled);
        }
        if let Some(hosts) = &self.forwarded_allow_ips {
            changed = changed.trust(hosts);
        }
        *proxy_headers = changed;
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Fails only when the program set up its own subscriber, which wins.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

impl Server {
    /// The address the server listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes; then stops accepting, lets requests
    /// in flight finish and background tasks drain (both bounded by
    /// [`Config::shutdown_timeout`](crate::app::Config::shutdown_timeout)).
    pub async fn run_until(self, signal: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let Server { listener, app } = self;
        let addr = listener.local_addr()?;
        tracing::info!("{}", app.describe_middleware());
        tracing::info!("Running on http://{addr} (Press CTRL+C to quit)");

        let mut builder = auto::Builder::new(TokioExecutor::new());
        // The keep-alive clock is ours (`connection`), not hyper's. Writes
        // are flattened: hyper copies each body chunk behind the response
        // head and sends one buffer, as actix-web does, instead of queueing
        // buffers for `writev`; for the small responses most requests get
        // that saves ~470 instructions and a slower system call per
        // request (BENCHMARKS.md), and a chunk is still sent when it comes.
        builder
            .http1()
            .header_read_timeout(None)
            .max_buf_size(app.config.max_header_size.max(8192))
            .writev(false);
        builder.http2().timer(TokioTimer::new());
        // Every connection's watchdog hears the shutdown; every connection
        // task holds a `live` sender, so that `wait_live` ends when the last
        // connection has.
        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(());
        let (live, mut wait_live) = tokio::sync::mpsc::channel::<()>(1);
        let mut signal = std::pin::pin!(signal);

        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::error!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            let _ = stream.set_nodelay(true);
            let timeout = app.config.keep_alive_timeout;
            let app = app.clone();
            let idle = Idle::new();
            let service = hyper::service::service_fn({
                let idle = idle.clone();
                move |request: http::Request<Incoming>| {
                    serve_one(app.clone(), request, peer, idle.busy())
                }
            });
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            let (closed, closed_rx) = tokio::sync::oneshot::channel::<()>();
            let stop = Stop::new();
            let live = live.clone();
            let task = tokio::spawn({
                let stop = stop.clone();
                async move {
                    let mut connection = std::pin::pin!(connection);
                    let (mut stopping, mut kept) = (false, None);
                    // A client that hangs up mid-request is not the server's error.
                    let _ = std::future::poll_fn(|cx| {
                        if !stopping && stop.requested(cx, &mut kept) {
                            stopping = true;
                            connection.as_mut().graceful_shutdown();
                        }
                        connection.as_mut().poll(cx)
                    })
                    .await;
                    drop((closed, live));
                }
            });
            tokio::spawn(connection::watch(Watched {
                idle,
                timeout,
                connection: task.abort_handle(),
                closed: closed_rx,
                shutdown: shutdown_rx.clone(),
                stop,
            }));
        }

        drop(listener);
        tracing::info!("Shutting down");
        let limit = app.config.shutdown_timeout;
        let _ = shutdown.send(());
        drop(live);
        if tokio::time::timeout(limit, wait_live.recv()).await.is_err() {
            tracing::warn!("requests still running after {limit:?}; closing them");
        }
        if !app.tracker.wait_idle(limit).await {
            tracing::warn!("background tasks still running after {limit:?}; leaving them");
        }
        tracing::info!("Finished server process");
        Ok(())
    }
}

async fn serve_one(
    app: Arc<AppInner>,
    request: http::Request<Incoming>,
    peer: SocketAddr,
    busy: Busy,
) -> Result<http::Response<Outgoing>, std::convert::Infallible> {
    let access = (app.config.access_log && tracing::enabled!(tracing::Level::INFO)).then(|| {
        (
            request.method().clone(),
            request.uri().clone(),
            std::time::Instant::now(),
        )
    });
    // The client as uvicorn logs it: the one a trusted proxy forwarded for.
    let proxy = &app.config.proxy_headers;
    let client = match access {
        Some(_) => proxy
            .resolve(Some(peer), request.headers())
            .0
            .unwrap_or(peer),
        None => peer,
    };
    let request = request.map(Body::incoming);
    let response = app.handle(request, Some(peer)).await;
    if let Some((method, uri, start)) = access {
        tracing::info!(
            "{client} - \"{method} {uri}\" {} {:.1}ms",
            response.status(),
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(into_outgoing(response, Some(busy)))
}

pub(crate) fn into_outgoing(response: Response, busy: Option<Busy>) -> http::Response<Outgoing> {
    let (parts, body, scope) = response.into_parts();
    http::Response::from_parts(
        parts,
        Outgoing {
            body,
            rest: Bytes::new(),
            _scope: scope,
            _busy: busy,
        },
    )
}

/// The largest piece of a body handed to hyper at once. hyper copies each
/// piece behind the response head (`writev(false)`), into a buffer that
/// stays as large as the largest piece for the life of the connection; a
/// larger chunk is handed over in pieces of this size (without copying).
const MAX_PIECE: usize = 64 * 1024;

/// The body handed to hyper. It holds the request's [`Scope`], so that its
/// background tasks and cleanups start when hyper is done with the body:
/// sent in full, or dropped because the client went away.
pub(crate) struct Outgoing {
    body: Body,
    /// What is left of a chunk larger than [`MAX_PIECE`].
    rest: Bytes,
    _scope: Option<Box<Scope>>,
    // Dropped last: the connection counts as idle once the body is done.
    _busy: Option<Busy>,
}

impl http_body::Body for Outgoing {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.rest.is_empty() {
            match std::task::ready!(Pin::new(&mut this.body).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => this.rest = data,
                    Err(trailers) => return Poll::Ready(Some(Ok(trailers))),
                },
                other => return Poll::Ready(other),
            }
        }
        let piece = this.rest.split_to(this.rest.len().min(MAX_PIECE));
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty() && self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let mut hint = self.body.size_hint();
        let rest = self.rest.len() as u64;
        hint.set_lower(hint.lower() + rest);
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper + rest);
        }
        hint
    }
}

/// Ctrl-C or SIGTERM. The handlers are installed here, before the server
/// says it is running, so a signal sent right after that line is caught
/// rather than killing the process.
#[cfg(unix)]
fn shutdown_signal() -> impl Future<Output = ()> + Send {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    let mut terminate = signal(SignalKind::terminate()).ok();
    async move {
        let interrupted = async {
            match &mut interrupt {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        let terminated = async {
            match &mut terminate {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = interrupted => {},
            _ = terminated => {},
        }
    }
}

/// Ctrl-C, where there is no SIGTERM.
#[cfg(not(unix))]
fn shutdown_signal() -> impl Future<Output = ()> + Send {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::Options;

    #[tokio::test]
    async fn a_large_chunk_goes_to_hyper_in_pieces_and_whole() {
        use http_body_util::BodyExt;
        let big: Vec<u8> = (0..super::MAX_PIECE * 2 + 100).map(|i| i as u8).collect();
        let response = crate::response::Response::new(big.clone());
        let mut body = super::into_outgoing(response, None).into_body();
        assert_eq!(
            http_body::Body::size_hint(&body).exact(),
            Some(big.len() as u64)
        );
        let mut pieces = Vec::new();
        while let Some(frame) = body.frame().await {
            pieces.push(frame.unwrap().into_data().unwrap());
        }
        let sizes: Vec<usize> = pieces.iter().map(|p| p.len()).collect();
        assert_eq!(sizes, [super::MAX_PIECE, super::MAX_PIECE, 100]);
        assert_eq!(pieces.concat(), big);
    }

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Options, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Options::from_env(args.iter().map(|a| a.to_string()), |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn options_come_from_flags_then_environment_then_defaults() {
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str, u16);
        let cases: &[Case<'_>] = &[
            (&[], &[], "127.0.0.1", 8000),
            (
                &[],
                &[("HOST", "0.0.0.0"), ("PORT", "9000")],
                "0.0.0.0",
                9000,
            ),
            (&["--port", "7000"], &[("PORT", "9000")], "127.0.0.1", 7000),
            (&["--host=::1", "--port=0"], &[], "::1", 0),
        ];
        for (args, env, host, port) in cases {
            let options = parse(args, env).unwrap();
            assert_eq!(
                (options.host.as_str(), options.port),
                (*host, *port),
                "{args:?} {env:?}"
            );
        }
    }

    #[test]
    fn bad_ports_are_errors() {
        assert!(parse(&["--port", "http"], &[]).is_err());
        assert!(parse(&[], &[("PORT", "70000")]).is_err());
        assert!(parse(&["--port"], &[]).is_err());
    }

    #[test]
    fn proxy_flags_override_the_app_as_uvicorn_reads_them() {
        use crate::middleware::ProxyHeaders;
        let default = ProxyHeaders::new();
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], ProxyHeaders);
        let cases: &[Case<'_>] = &[
            (&[], &[], default.clone()),
            (&["--no-proxy-headers"], &[], default.clone().enabled(false)),
            (
                &["--no-proxy-headers", "--proxy-headers"],
                &[],
                default.clone(),
            ),
            (
                &["--forwarded-allow-ips", "10.0.0.0/8"],
                &[],
                default.clone().trust("10.0.0.0/8"),
            ),
            (
                &["--forwarded-allow-ips=*"],
                &[],
                default.clone().trust("*"),
            ),
            (
                &[],
                &[("FORWARDED_ALLOW_IPS", "10.1.2.3")],
                default.clone().trust("10.1.2.3"),
            ),
            (
                &["--forwarded-allow-ips", "192.168.0.1"],
                &[("FORWARDED_ALLOW_IPS", "10.1.2.3")],
                default.clone().trust("192.168.0.1"),
            ),
        ];
        for (args, env, expected) in cases {
            let mut proxy_headers = ProxyHeaders::new();
            parse(args, env)
                .unwrap()
                .apply_proxy_headers(&mut proxy_headers);
            assert_eq!(proxy_headers, *expected, "{args:?} {env:?}");
        }
        // Flags not given leave what the app set in code.
        let mut set_in_code = ProxyHeaders::disabled().trust("10.0.0.1");
        parse(&[], &[])
            .unwrap()
            .apply_proxy_headers(&mut set_in_code);
        assert_eq!(set_in_code, ProxyHeaders::disabled().trust("10.0.0.1"));
        assert!(parse(&["--forwarded-allow-ips"], &[]).is_err());
    }

    #[test]
    fn access_log_can_be_turned_off() {
        assert!(!parse(&["--no-access-log"], &[]).unwrap().access_log);
    }
}
