//! The HTTP server: hyper 1.x over tokio, HTTP/1.1 and HTTP/2 on one port,
//! on any [`Listener`]. It accepts connections, gives each its watchdog
//! (keep-alive timeout, graceful shutdown; see `connection`), and hands
//! every request to the app's [`AppService`].

mod cli;
mod connection;
pub mod listener;
mod logging;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

pub use listener::{Listener, Protocol};

use crate::app::App;
use crate::body::Body;
use crate::service::AppService;
use cli::{Bind, Options};
use connection::{Busy, Outgoing, Sweeper, Watch};

/// A server bound to its socket, ready to run.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let server = framework::App::new().bind("127.0.0.1:0").await?;
/// println!("listening on {}", server.local_addr()?);
/// server.run().await
/// # }
/// ```
pub struct Server<L: Listener = TcpListener> {
    listener: L,
    service: AppService,
}

impl App {
    /// Serves on `--host`/`--port` from the command line, or `HOST`/`PORT`
    /// from the environment, or `127.0.0.1:8000`, until Ctrl-C or SIGTERM;
    /// or on a Unix socket (`--uds PATH`) or an inherited socket
    /// (`--fd N`), as uvicorn.
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
    ///
    /// An app that cannot start (see [`App::try_into_service`]) logs why
    /// and returns the error before it listens.
    pub async fn run(self) -> std::io::Result<()> {
        let options = Options::from_env(std::env::args().skip(1), |name| std::env::var(name).ok())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        logging::init(&options.log_level);
        let app = self.config(|c| {
            c.access_log &= options.access_log;
            options.apply_proxy_headers(&mut c.proxy_headers);
        });
        let service = app.try_into_service().map_err(|e| {
            tracing::error!("{e}");
            std::io::Error::other(e)
        })?;
        match options.bind() {
            Bind::Tcp { host, port } => {
                let listener = TcpListener::bind((host.as_str(), port)).await?;
                Server::new(listener, service).run().await
            }
            Bind::Unix(path) => {
                let listener = listener::bind_unix(&path)?;
                let served = Server::new(listener, service).run().await;
                let _ = std::fs::remove_file(&path);
                served
            }
            Bind::Fd(fd) => match listener::from_fd(fd)? {
                listener::Inherited::Tcp(listener) => Server::new(listener, service).run().await,
                listener::Inherited::Unix(listener) => Server::new(listener, service).run().await,
            },
        }
    }

    /// Binds to `addr` (port 0 picks a free port; see [`Server::local_addr`]).
    ///
    /// # Panics
    /// When the app cannot start (see [`App::try_into_service`]).
    pub async fn bind(self, addr: impl tokio::net::ToSocketAddrs) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        Ok(self.serve(listener))
    }

    /// Serves on a listener the caller bound: a TCP or Unix socket, or any
    /// other [`Listener`], for embedding and tests.
    ///
    /// # Panics
    /// When the app cannot start (see [`App::try_into_service`]).
    pub fn serve<L: Listener>(self, listener: L) -> Server<L> {
        Server::new(listener, self.into_service())
    }
}

impl Server<TcpListener> {
    /// The address the server listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

impl<L: Listener> Server<L> {
    /// Serves `service` on `listener`.
    pub fn new(listener: L, service: AppService) -> Self {
        Server { listener, service }
    }

    /// The listener.
    pub fn listener(&self) -> &L {
        &self.listener
    }

    /// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes; then stops accepting, lets requests
    /// in flight finish and background tasks drain (both bounded by
    /// [`Config::shutdown_timeout`](crate::app::Config::shutdown_timeout)).
    pub async fn run_until(self, signal: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let Server {
            mut listener,
            service,
        } = self;
        let config = service.config().clone();
        tracing::info!("{}", service.describe_middleware());
        tracing::info!("Running on {} (Press CTRL+C to quit)", listener.describe()?);
        let secure = listener.secure();

        let builders = Arc::new(Builders::new(&config));
        // The sweeper watches every connection and hears the shutdown;
        // every connection task holds a `live` sender, so that `wait_live`
        // ends when the last connection has.
        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(());
        let sweeper = Sweeper::new();
        tokio::spawn(connection::sweep(
            sweeper.clone(),
            config.keep_alive_timeout,
            shutdown_rx,
        ));
        let (live, mut wait_live) = tokio::sync::mpsc::channel::<()>(1);
        let mut signal = std::pin::pin!(signal);
        let serving = Arc::new(Serving {
            service: service.clone(),
            access_log: config.access_log,
            secure,
        });

        loop {
            let (mut stream, peer) = tokio::select! {
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
            let watch = Watch::new();
            let hyper_service = hyper::service::service_fn({
                let watch = watch.clone();
                let serving = serving.clone();
                move |request: http::Request<Incoming>| {
                    serve_one(serving.clone(), request, peer, watch.busy())
                }
            });
            let live = live.clone();
            let builders = builders.clone();
            let task = tokio::spawn({
                let stop = watch.clone();
                async move {
                    if let Ok(protocol) = L::protocol(&mut stream).await {
                        let io = TokioIo::new(stream);
                        let builders = &*builders;
                        match protocol {
                            Protocol::Http1 => {
                                let connection = builders.http1.serve_connection(io, hyper_service);
                                drive(connection.with_upgrades(), |c| c.graceful_shutdown(), &stop)
                                    .await
                            }
                            // Boxed: the task's future is as large as its
                            // largest arm, and an idle HTTP/1 connection (the
                            // most common thing a server holds) should not
                            // pay for HTTP/2's state.
                            Protocol::Http2 => {
                                let connection = builders.http2.serve_connection(io, hyper_service);
                                Box::pin(drive(connection, |c| c.graceful_shutdown(), &stop)).await
                            }
                            Protocol::Detect => {
                                let connection = builders
                                    .detect
                                    .serve_connection_with_upgrades(io, hyper_service);
                                Box::pin(drive(connection, |c| c.graceful_shutdown(), &stop)).await
                            }
                        }
                    }
                    drop(live);
                }
            });
            watch.serves(task.abort_handle());
            sweeper.add(&watch);
        }

        drop(listener);
        tracing::info!("Shutting down");
        let limit = config.shutdown_timeout;
        let _ = shutdown.send(());
        drop(live);
        if tokio::time::timeout(limit, wait_live.recv()).await.is_err() {
            tracing::warn!("requests still running after {limit:?}; closing them");
        }
        if !service.wait_idle(limit).await {
            tracing::warn!("background tasks still running after {limit:?}; leaving them");
        }
        tracing::info!("Finished server process");
        Ok(())
    }
}

/// The connection builders of one server, set up once: HTTP/1.1 and
/// HTTP/2 for connections whose version the listener told, and the two
/// together for those the server tells itself.
struct Builders {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
    detect: auto::Builder<TokioExecutor>,
}

impl Builders {
    fn new(config: &crate::config::Config) -> Self {
        // The keep-alive clock is ours (`connection`), not hyper's. Writes
        // are flattened: hyper copies each body chunk behind the response
        // head and sends one buffer, as actix-web does, instead of queueing
        // buffers for `writev`; for the small responses most requests get
        // that saves ~470 instructions and a slower system call per
        // request (BENCHMARKS.md), and a chunk is still sent when it comes.
        let max_buf = config.max_header_size.max(8192);
        let mut http1 = http1::Builder::new();
        http1
            .header_read_timeout(None)
            .max_buf_size(max_buf)
            .max_header_size(config.max_header_size)
            .writev(false);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2.timer(TokioTimer::new());
        let mut detect = auto::Builder::new(TokioExecutor::new());
        detect
            .http1()
            .header_read_timeout(None)
            .max_buf_size(max_buf)
            .writev(false);
        detect.http2().timer(TokioTimer::new());
        Builders {
            http1,
            http2,
            detect,
        }
    }
}

/// Drives `connection` to its end, starting its graceful shutdown (with
/// `graceful`) when the watchdog says the server stops. A client that
/// hangs up mid-request is not the server's error: the outcome is dropped.
async fn drive<C: Future>(connection: C, graceful: fn(Pin<&mut C>), stop: &Watch) {
    let mut connection = std::pin::pin!(connection);
    let (mut stopping, mut kept) = (false, None);
    let _ = std::future::poll_fn(|cx| {
        if !stopping && stop.stop_requested(cx, &mut kept) {
            stopping = true;
            graceful(connection.as_mut());
        }
        connection.as_mut().poll(cx)
    })
    .await;
}

/// What every request of one server shares.
struct Serving {
    service: AppService,
    access_log: bool,
    secure: bool,
}

async fn serve_one(
    serving: Arc<Serving>,
    request: http::Request<Incoming>,
    peer: Option<SocketAddr>,
    busy: Busy,
) -> Result<http::Response<Outgoing>, std::convert::Infallible> {
    let access = (serving.access_log && tracing::enabled!(tracing::Level::INFO)).then(|| {
        (
            request.method().clone(),
            request.uri().clone(),
            std::time::Instant::now(),
        )
    });
    // The client as uvicorn logs it: the one a trusted proxy forwarded for.
    let service = &serving.service;
    let client = match access {
        Some(_) => service
            .config()
            .proxy_headers
            .resolve(peer, request.headers())
            .0
            .or(peer),
        None => peer,
    };
    let request = request.map(Body::incoming);
    let response = service.respond(request, peer, serving.secure).await;
    if let Some((method, uri, start)) = access {
        let client = client.map_or_else(|| "-".to_owned(), |c| c.to_string());
        tracing::info!(
            "{client} - \"{method} {uri}\" {} {:.1}ms",
            response.status(),
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(connection::outgoing(response, Some(busy)))
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
