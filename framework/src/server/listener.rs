//! Where connections come from: anything that accepts a stream. The server
//! serves any [`Listener`]: a TCP socket, a Unix domain socket (uvicorn's
//! `--uds`), or a socket inherited as a file descriptor (`--fd`, for
//! socket activation and worker processes). TLS is one more listener.

use std::fmt::Display;
use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};

/// The HTTP version a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1 (and 1.0).
    Http1,
    /// HTTP/2.
    Http2,
    /// Unknown until the server reads the first bytes: it then tells
    /// HTTP/2's preface from an HTTP/1 request itself.
    Detect,
}

/// A source of connections.
pub trait Listener: Send + 'static {
    /// A connection's byte stream.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Waits for the next connection: its stream, and the peer's address
    /// when it has one (a Unix socket's peer has none).
    fn accept(&mut self)
        -> impl Future<Output = io::Result<(Self::Io, Option<SocketAddr>)>> + Send;

    /// Where it listens, as the start-up line says it (`http://127.0.0.1:8000`,
    /// `unix socket /tmp/app.sock`).
    fn describe(&self) -> io::Result<impl Display>;

    /// Whether its connections are encrypted, so that requests say
    /// `https` (and `wss`).
    fn secure(&self) -> bool {
        false
    }

    /// Which version a new connection speaks, found before the server
    /// reads from it: a TCP socket peeks at the first bytes, a TLS one
    /// would read what ALPN agreed. Runs on the connection's own task.
    ///
    /// Knowing it first lets the server hand the stream to HTTP/1 or
    /// HTTP/2 as it is. Detecting it by reading costs each HTTP/1
    /// connection a read buffer twice as large (16 KiB instead of 8), as
    /// the bytes read to tell are handed back in front of the rest.
    fn protocol(io: &mut Self::Io) -> impl Future<Output = io::Result<Protocol>> + Send {
        let _ = io;
        std::future::ready(Ok(Protocol::Detect))
    }
}

/// The first bytes of HTTP/2's connection preface (RFC 9113, 3.4): no
/// HTTP/1 request starts with them.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

impl Listener for TcpListener {
    type Io = tokio::net::TcpStream;

    async fn accept(&mut self) -> io::Result<(Self::Io, Option<SocketAddr>)> {
        let (stream, peer) = TcpListener::accept(self).await?;
        // Small answers go out at once rather than after Nagle's delay.
        let _ = stream.set_nodelay(true);
        Ok((stream, Some(peer)))
    }

    fn describe(&self) -> io::Result<impl Display> {
        let addr = self.local_addr()?;
        Ok(format!("http://{addr}"))
    }

    async fn protocol(io: &mut Self::Io) -> io::Result<Protocol> {
        let mut first = [0; H2_PREFACE.len()];
        let n = io.peek(&mut first).await?;
        Ok(if n == 0 || first[..n] != H2_PREFACE[..n] {
            // Closed before a byte, or a byte the preface does not have.
            Protocol::Http1
        } else if n == H2_PREFACE.len() {
            Protocol::Http2
        } else {
            // Part of the preface so far: let the server read the rest
            // rather than peek again and again.
            Protocol::Detect
        })
    }
}

impl Listener for UnixListener {
    type Io = tokio::net::UnixStream;

    async fn accept(&mut self) -> io::Result<(Self::Io, Option<SocketAddr>)> {
        let (stream, _) = UnixListener::accept(self).await?;
        Ok((stream, None))
    }

    fn describe(&self) -> io::Result<impl Display> {
        let addr = self.local_addr()?;
        let path = addr
            .as_pathname()
            .map_or_else(|| "(unnamed)".to_owned(), |p| p.display().to_string());
        Ok(format!("unix socket {path}"))
    }
}

/// A listening socket this process was given: a TCP or a Unix one.
#[derive(Debug)]
pub enum Inherited {
    /// A TCP socket.
    Tcp(TcpListener),
    /// A Unix domain socket.
    Unix(UnixListener),
}

/// Takes the listening socket open as file descriptor `fd` (uvicorn's
/// `--fd`): a TCP or a Unix socket that a supervisor, systemd or a shell
/// bound and passed on. It must be listening already.
///
/// The descriptor is adopted through the socket-activation protocol
/// (`LISTEN_FDS`), which checks that it is a stream socket of one of the
/// two kinds; anything else is an error naming the descriptor.
pub fn from_fd(fd: u32) -> io::Result<Inherited> {
    if fd < 3 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("--fd {fd} is standard input, output or error, not a socket"),
        ));
    }
    // The protocol numbers inherited descriptors from 3 and, with no
    // LISTEN_PID, does not check whose they are.
    let index = (fd - 3) as usize;
    std::env::set_var("LISTEN_FDS", (index + 1).to_string());
    std::env::remove_var("LISTEN_PID");
    let mut fds = listenfd::ListenFd::from_env();
    std::env::remove_var("LISTEN_FDS");
    let listener = match fds.take_tcp_listener(index) {
        Ok(Some(listener)) => Inherited::Tcp(tcp(listener)?),
        _ => match fds.take_unix_listener(index)? {
            Some(listener) => Inherited::Unix(unix(listener)?),
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("--fd {fd} is not an open socket"),
                ))
            }
        },
    };
    Ok(listener)
}

fn tcp(listener: std::net::TcpListener) -> io::Result<TcpListener> {
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

fn unix(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
    listener.set_nonblocking(true)?;
    UnixListener::from_std(listener)
}

/// Binds a Unix domain socket at `path` (uvicorn's `--uds`), as uvicorn
/// does: a socket file left by an earlier run is replaced, and the socket
/// is open to every local user (mode 0666; the folder decides who reaches it).
pub fn bind_unix(path: &std::path::Path) -> io::Result<UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
    Ok(listener)
}
