//! The `/metrics` endpoint of `portclass live --metrics`: a tiny HTTP/1.1
//! server, on one thread of its own, that serves the body the live loop last
//! published, for a Prometheus server to scrape; with
//! `--metrics-web-config`, over TLS and behind basic auth ([`web_config`]).
//!
//! One connection at a time, `Connection: close`: a scrape every few seconds
//! needs nothing more, and it keeps the server's cost fixed whatever clients
//! do. Every connection is bounded: the TLS handshake must be done within
//! [`HANDSHAKE_TIMEOUT`], the request head must arrive within
//! [`HEAD_TIMEOUT`] and fit in [`HEAD_LIMIT`] bytes, and the response must be
//! taken within [`WRITE_TIMEOUT`], so a slow or hostile client delays the
//! next scrape by seconds at most and never hangs the server.

pub mod web_config;

use crate::render::prometheus::CONTENT_TYPE;
use base64::Engine as _;
use rustls::ServerConnection;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use thiserror::Error;
pub use web_config::{WebConfig, WebConfigError};

/// Largest request head (request line and headers) read, in bytes; a longer
/// one gets `431`.
pub const HEAD_LIMIT: usize = 8 * 1024;
/// How long a client has to finish the TLS handshake (with
/// `tls_server_config`).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a client has to send its whole request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a client has to take the whole response.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// After the response, how long the server reads and discards what the
/// client still sends (closing with unread data would reset the connection
/// and could destroy the response before the client reads it).
const LINGER_TIMEOUT: Duration = Duration::from_millis(500);
/// Most bytes discarded while lingering.
const LINGER_LIMIT: usize = 64 * 1024;
/// How long the accept loop rests after a failed accept (such as running out
/// of file descriptors), so that it does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// How long `drop` tries to connect to the server to wake its accept loop.
const WAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// Why the metrics server could not start; each names the address given.
#[derive(Debug, Error)]
pub enum MetricsError {
    /// The address is not `ADDR:PORT`.
    #[error("--metrics expects ADDR:PORT (like 127.0.0.1:9917 or [::1]:9917), got {given:?}{hint}")]
    BadAddress {
        /// The address as given.
        given: String,
        /// What to change, starting with `"; "`, or empty.
        hint: &'static str,
    },
    /// The host name of the address could not be resolved.
    #[error("cannot listen on {given}: cannot resolve the host: {source}")]
    Resolve {
        /// The address as given.
        given: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// Binding or listening failed.
    #[error("cannot listen on {addr}: {source}{hint}")]
    Listen {
        /// The address tried (the given one, resolved).
        addr: String,
        /// The operating system's error.
        source: io::Error,
        /// What to do about it, starting with `"; "`, or empty.
        hint: &'static str,
    },
    /// The server thread could not be started.
    #[error("cannot start the metrics server for {addr}: {source}")]
    Thread {
        /// The address listened on.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
}

/// The body served at `/metrics`: swapped whole by `publish`, cloned (a
/// reference count) by each request.
type SharedBody = Arc<Mutex<Arc<[u8]>>>;

/// Time limits of one connection; tests shorten them.
#[derive(Clone, Copy, Debug)]
struct Limits {
    handshake_timeout: Duration,
    head_timeout: Duration,
    write_timeout: Duration,
    linger_timeout: Duration,
}

impl Limits {
    const DEFAULT: Limits = Limits {
        handshake_timeout: HANDSHAKE_TIMEOUT,
        head_timeout: HEAD_TIMEOUT,
        write_timeout: WRITE_TIMEOUT,
        linger_timeout: LINGER_TIMEOUT,
    };
}

/// A running `/metrics` server. Dropping it stops the server thread and
/// closes the listening socket.
pub struct MetricsServer {
    local_addr: SocketAddr,
    scheme: &'static str,
    body: SharedBody,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds ADDR:PORT (e.g. `127.0.0.1:9917`, `[::1]:0`, `0.0.0.0:9917`, or
    /// a host name such as `localhost:9917`) and starts serving, over TLS
    /// and behind basic auth as `web` says (plain HTTP to anyone without);
    /// port 0 picks a free port (see [`local_addr`](Self::local_addr)).
    /// Until the first [`publish`](Self::publish), `/metrics` serves an
    /// empty body.
    pub fn start(addr: &str, web: Option<WebConfig>) -> Result<MetricsServer, MetricsError> {
        MetricsServer::start_with(addr, web, Limits::DEFAULT)
    }

    fn start_with(
        addr: &str,
        web: Option<WebConfig>,
        limits: Limits,
    ) -> Result<MetricsServer, MetricsError> {
        let listener = bind(addr)?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| MetricsError::Listen {
                addr: addr.to_string(),
                source,
                hint: "",
            })?;
        let scheme = web.as_ref().map_or("http", WebConfig::scheme);
        let mut access = Access {
            tls: web.as_ref().and_then(|w| w.tls.clone()),
            users: web.and_then(|w| w.users),
        };
        let body: SharedBody = Arc::new(Mutex::new(Arc::from(&[][..])));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let body = Arc::clone(&body);
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("portclass-metrics".to_string())
                .spawn(move || serve(&listener, &body, &stop, limits, &mut access))
                .map_err(|source| MetricsError::Thread {
                    addr: local_addr,
                    source,
                })?
        };
        Ok(MetricsServer {
            local_addr,
            scheme,
            body,
            stop,
            thread: Some(thread),
        })
    }

    /// The address listened on, with the actual port when 0 was asked for.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where the metrics are: `http://ADDR:PORT/metrics`, or `https://…`
    /// with TLS.
    pub fn url(&self) -> String {
        format!("{}://{}/metrics", self.scheme, self.local_addr)
    }

    /// Replaces the body served at `/metrics` (the live loop calls this every
    /// interval and at the end). Requests being answered keep the body they
    /// started with.
    pub fn publish(&self, body: Vec<u8>) {
        let body: Arc<[u8]> = body.into();
        // The server thread never panics holding the lock; if it ever did,
        // the body is still whole, so carry on with it.
        let mut current = self.body.lock().unwrap_or_else(PoisonError::into_inner);
        let old = std::mem::replace(&mut *current, body);
        drop(current);
        // A large old body is freed outside the lock.
        drop(old);
    }
}

impl fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsServer")
            .field("local_addr", &self.local_addr)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl Drop for MetricsServer {
    /// Stops the server: sets the stop flag, then connects to the server so
    /// that its blocking `accept` returns and it sees the flag. Returns once
    /// the connection being answered, if any, is done (bounded by the
    /// connection time limits).
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let woken = TcpStream::connect_timeout(&wake_addr(self.local_addr), WAKE_TIMEOUT).is_ok();
        if let Some(thread) = self.thread.take() {
            // Without the wake-up connection (a firewall dropping connections
            // to this host's own address), joining could wait forever; the
            // thread then stops at its next connection instead.
            if woken || thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

/// Where `drop` connects to reach the listener: the bound address, with a
/// wildcard (0.0.0.0, ::) replaced by the loopback address of its family.
fn wake_addr(local: SocketAddr) -> SocketAddr {
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, local.port())
}
/// Resolves `given` (`ADDR:PORT`) and listens on the first of its addresses
/// that works.
fn bind(given: &str) -> Result<TcpListener, MetricsError> {
    let addrs = resolve(given)?;
    let mut first_error = None;
    for addr in &addrs {
        match TcpListener::bind(addr) {
            Ok(listener) => return Ok(listener),
            Err(source) => {
                first_error.get_or_insert((*addr, source));
            }
        }
    }
    match first_error {
        Some((addr, source)) => Err(MetricsError::Listen {
            addr: addr.to_string(),
            hint: listen_hint(&source),
            source,
        }),
        None => Err(MetricsError::Resolve {
            given: given.to_string(),
            source: io::Error::other("no addresses found"),
        }),
    }
}

/// The socket addresses `given` names: an IP address and port, or a host
/// name and port.
fn resolve(given: &str) -> Result<Vec<SocketAddr>, MetricsError> {
    if let Ok(addr) = given.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    let bad = |hint| MetricsError::BadAddress {
        given: given.to_string(),
        hint,
    };
    let Some((host, port)) = given.rsplit_once(':') else {
        return Err(bad("; the port is missing"));
    };
    let Ok(port) = port.parse::<u16>() else {
        return Err(bad("; the port must be a number from 0 to 65535"));
    };
    if host.is_empty() {
        return Err(bad(
            "; name the address to listen on: 0.0.0.0:PORT for all IPv4 interfaces, \
             [::]:PORT for IPv6",
        ));
    }
    if host.contains(':') || host.starts_with('[') {
        return Err(bad("; write an IPv6 address in brackets, like [::1]:9917"));
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|source| MetricsError::Resolve {
            given: given.to_string(),
            source,
        })?
        .collect();
    Ok(addrs)
}

/// What to do about a failed bind, by its kind.
fn listen_hint(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::PermissionDenied => {
            "; ports below 1024 need root or the CAP_NET_BIND_SERVICE capability"
        }
        io::ErrorKind::AddrInUse => {
            "; another process listens there: pick another port (0 picks a free one)"
        }
        io::ErrorKind::AddrNotAvailable => "; no interface of this host has that address",
        _ => "",
    }
}

/// What the server thread checks of each connection: TLS, basic auth.
struct Access {
    tls: Option<Arc<rustls::ServerConfig>>,
    users: Option<web_config::Users>,
}

/// The server thread: answers connections one at a time until `stop`.
fn serve(
    listener: &TcpListener,
    body: &SharedBody,
    stop: &AtomicBool,
    limits: Limits,
    access: &mut Access,
) {
    for connection in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            break;
        }
        match connection {
            // One client's failure is that client's problem: go on serving.
            Ok(stream) => {
                let _ = answer(stream, body, limits, access);
            }
            Err(_) => thread::sleep(ACCEPT_BACKOFF),
        }
    }
}

/// A TCP connection whose reads and writes fail with `TimedOut` once
/// `deadline` has passed, each one waiting at most until then: whatever
/// reads and writes through it (rustls's handshake too) is bounded by the
/// deadline, however slowly the client trickles its bytes.
struct Bounded {
    tcp: TcpStream,
    deadline: Instant,
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = remaining(self.deadline).ok_or(io::ErrorKind::TimedOut)?;
        self.tcp.set_read_timeout(Some(left))?;
        self.tcp.read(buf)
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = remaining(self.deadline).ok_or(io::ErrorKind::TimedOut)?;
        self.tcp.set_write_timeout(Some(left))?;
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// The request and response bytes of a connection: straight over TCP, or
/// through TLS.
enum Channel<'a> {
    Plain(&'a mut Bounded),
    Tls(rustls::Stream<'a, ServerConnection, Bounded>),
}

impl Channel<'_> {
    fn new<'a>(io: &'a mut Bounded, tls: Option<&'a mut ServerConnection>) -> Channel<'a> {
        match tls {
            Some(conn) => Channel::Tls(rustls::Stream::new(conn, io)),
            None => Channel::Plain(io),
        }
    }
}

impl Read for Channel<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Channel::Plain(io) => io.read(buf),
            Channel::Tls(stream) => stream.read(buf),
        }
    }
}

impl Write for Channel<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Channel::Plain(io) => io.write(buf),
            Channel::Tls(stream) => stream.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Channel::Plain(io) => io.flush(),
            Channel::Tls(stream) => stream.flush(),
        }
    }
}

/// A response ready to send.
struct Response {
    status: &'static str,
    content_type: &'static str,
    /// Extra header lines, each ending in CRLF.
    extra_headers: &'static str,
    body: Arc<[u8]>,
    /// Headers only (a `HEAD` request).
    head_only: bool,
}

impl Response {
    fn new(status: &'static str, content_type: &'static str, body: Arc<[u8]>) -> Response {
        Response {
            status,
            content_type,
            extra_headers: "",
            body,
            head_only: false,
        }
    }

    fn text(status: &'static str, text: &'static str) -> Response {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            Arc::from(text.as_bytes()),
        )
    }

    /// The status line and headers.
    fn head(&self) -> String {
        format!(
            "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n",
            self.status,
            self.content_type,
            self.body.len(),
            self.extra_headers,
        )
    }
}

/// The page at `/`.
const INDEX_PAGE: &str = concat!(
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>portclass</title></head>\n",
    "<body><h1>portclass ",
    env!("CARGO_PKG_VERSION"),
    "</h1>\n<p>Live traffic by service, in the Prometheus text format: ",
    "<a href=\"/metrics\">/metrics</a></p></body></html>\n"
);

/// What a plain HTTP request to the TLS port gets, as Go's servers (and so
/// the exporters) answer it: the client learns to use `https://` instead
/// of seeing a failed handshake.
const PLAIN_TO_TLS: &[u8] = b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server: use https://\n";

/// Reads one request and answers it; errors are the client's connection
/// failing (or its TLS handshake).
fn answer(
    tcp: TcpStream,
    body: &SharedBody,
    limits: Limits,
    access: &mut Access,
) -> io::Result<()> {
    let mut io = Bounded {
        tcp,
        deadline: Instant::now() + limits.handshake_timeout,
    };
    let mut tls = match &access.tls {
        None => None,
        Some(config) => {
            if sends_plain_http(&mut io)? {
                io.write_all(PLAIN_TO_TLS)?;
                return close(io, limits);
            }
            let mut conn = ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
            while conn.is_handshaking() {
                if let Err(error) = conn.complete_io(&mut io) {
                    // Tell the client why (a TLS alert), if it still listens.
                    let _ = conn.write_tls(&mut io);
                    return Err(error);
                }
            }
            Some(conn)
        }
    };
    io.deadline = Instant::now() + limits.head_timeout;
    let head = read_head(&mut Channel::new(&mut io, tls.as_mut()))?;
    let response = match head {
        Head::Complete(head) => route(&head, body, access.users.as_mut()),
        Head::TooLarge => Response::text(
            "431 Request Header Fields Too Large",
            "request head too large\n",
        ),
        // Nothing to answer: the client closed or ran out of time.
        Head::Incomplete => return Ok(()),
    };
    // The head and the small bodies go out in one segment; a large body
    // follows without waiting for an acknowledgement.
    io.tcp.set_nodelay(true)?;
    io.deadline = Instant::now() + limits.write_timeout;
    {
        let mut channel = Channel::new(&mut io, tls.as_mut());
        channel.write_all(response.head().as_bytes())?;
        if !response.head_only {
            channel.write_all(&response.body)?;
        }
        channel.flush()?;
    }
    if let Some(conn) = tls.as_mut() {
        conn.send_close_notify();
        while conn.wants_write() {
            conn.write_tls(&mut io)?;
        }
    }
    close(io, limits)
}

/// Ends the connection after the response: shuts the sending side down,
/// then lingers.
fn close(mut io: Bounded, limits: Limits) -> io::Result<()> {
    io.tcp.shutdown(Shutdown::Write)?;
    linger(&mut io.tcp, Instant::now() + limits.linger_timeout);
    Ok(())
}

/// Whether the client's first bytes are an HTTP request rather than a TLS
/// handshake (whose first byte is 22, a handshake record). Waits for the
/// first byte until the connection's deadline; a client that sends nothing
/// is left to the handshake, which then times out.
fn sends_plain_http(io: &mut Bounded) -> io::Result<bool> {
    let mut first = [0u8; 1];
    let Some(left) = remaining(io.deadline) else {
        return Ok(false);
    };
    io.tcp.set_read_timeout(Some(left))?;
    match io.tcp.peek(&mut first) {
        Ok(1) => Ok(first[0].is_ascii_uppercase()),
        Ok(_) => Ok(false),
        Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => Ok(false),
        Err(e) => Err(e),
    }
}

/// What reading a request head gave.
enum Head {
    /// The head, without the blank line that ends it.
    Complete(Vec<u8>),
    /// More than [`HEAD_LIMIT`] bytes without the end of the head.
    TooLarge,
    /// The client closed the connection or the deadline passed first.
    Incomplete,
}

/// Reads up to the blank line that ends a request head (by the deadline
/// of the connection under `stream`).
fn read_head(stream: &mut impl Read) -> io::Result<Head> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let room = (HEAD_LIMIT - head.len()).min(chunk.len());
        let n = match stream.read(&mut chunk[..room]) {
            Ok(0) => return Ok(Head::Incomplete),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => return Ok(Head::Incomplete),
            Err(e) => return Err(e),
        };
        // The end may straddle two reads: search from a little before.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head_end(&head[from..]) {
            head.truncate(from + end);
            return Ok(Head::Complete(head));
        }
        if head.len() >= HEAD_LIMIT {
            return Ok(Head::TooLarge);
        }
    }
}

/// Where the head ends in `bytes`: the position of the blank line (CRLF
/// CRLF, or a bare LF LF from a lax client).
fn head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = bytes.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Picks the response to a request head; with `users`, only a request
/// with the credentials of one of them gets more than `401`.
fn route(head: &[u8], body: &SharedBody, users: Option<&mut web_config::Users>) -> Response {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let request_line = lines.next().unwrap_or_default();
    let Ok(request_line) = std::str::from_utf8(request_line) else {
        return Response::text("400 Bad Request", "bad request\n");
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Response::text("400 Bad Request", "bad request\n");
    };
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") || !target.starts_with('/') {
        return Response::text("400 Bad Request", "bad request\n");
    }
    if let Some(users) = users {
        let credentials = lines.find_map(|line| {
            let (name, value) = line.split_at_checked(line.iter().position(|&b| b == b':')?)?;
            name.eq_ignore_ascii_case(b"authorization")
                .then(|| basic_credentials(&value[1..]))
                .flatten()
        });
        let allowed = credentials.is_some_and(|(user, password)| users.check(&user, &password));
        if !allowed {
            let mut response = Response::text("401 Unauthorized", "unauthorized\n");
            response.extra_headers = "WWW-Authenticate: Basic realm=\"portclass\"\r\n";
            response.head_only = method == "HEAD";
            return response;
        }
    }
    let head_only = match method {
        "GET" => false,
        // Every general-purpose server answers HEAD like GET (RFC 9110).
        "HEAD" => true,
        _ => {
            let mut response =
                Response::text("405 Method Not Allowed", "method not allowed: use GET\n");
            response.extra_headers = "Allow: GET, HEAD\r\n";
            return response;
        }
    };
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    let mut response = match path {
        "/metrics" => {
            let current = body.lock().unwrap_or_else(PoisonError::into_inner);
            Response::new("200 OK", CONTENT_TYPE, Arc::clone(&current))
        }
        "/" => Response::new(
            "200 OK",
            "text/html; charset=utf-8",
            Arc::from(INDEX_PAGE.as_bytes()),
        ),
        _ => Response::text("404 Not Found", "not found: metrics are at /metrics\n"),
    };
    response.head_only = head_only;
    response
}

/// The user and password of an `Authorization: Basic …` header value
/// (RFC 7617): base64 of `user:password`; `None` for any other scheme or
/// a malformed value.
fn basic_credentials(value: &[u8]) -> Option<(String, Vec<u8>)> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let user = String::from_utf8(decoded[..colon].to_vec()).ok()?;
    Some((user, decoded[colon + 1..].to_vec()))
}

/// Reads and discards what the client still sends, until it closes, up to
/// [`LINGER_LIMIT`] bytes or `deadline`.
fn linger(stream: &mut TcpStream, deadline: Instant) {
    let mut chunk = [0u8; 4096];
    let mut discarded = 0;
    while discarded < LINGER_LIMIT {
        let Some(remaining) = remaining(deadline) else {
            return;
        };
        if stream.set_read_timeout(Some(remaining)).is_err() {
            return;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => discarded += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Time left until `deadline`; `None` once it has passed (a zero timeout
/// would mean "no timeout" to the socket).
fn remaining(deadline: Instant) -> Option<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    (!left.is_zero()).then_some(left)
}

/// Whether a read error is the read timeout (`WouldBlock` on Unix,
/// `TimedOut` on Windows, and `TimedOut` from [`Bounded`] past its
/// deadline).
fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Short limits, so the tests that wait for a timeout are quick.
    const QUICK: Limits = Limits {
        handshake_timeout: Duration::from_millis(300),
        head_timeout: Duration::from_millis(300),
        write_timeout: Duration::from_secs(5),
        linger_timeout: Duration::from_millis(300),
    };

    /// How long a test client waits for an answer before failing: a bound
    /// that keeps a broken server from hanging the tests, not a timing
    /// assertion.
    const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

    fn quick_server() -> MetricsServer {
        MetricsServer::start_with("127.0.0.1:0", None, QUICK).unwrap()
    }

    fn connect(addr: SocketAddr) -> TcpStream {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(CLIENT_TIMEOUT)).unwrap();
        stream
    }

    /// A parsed response: status code, headers (names lowercased), body.
    #[derive(Debug)]
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    fn parse_reply(raw: &[u8]) -> Reply {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
        let head = std::str::from_utf8(&raw[..end]).unwrap();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"));
        let status = parts.next().unwrap().parse().unwrap();
        let headers = lines
            .map(|line| {
                let (name, value) = line.split_once(": ").unwrap();
                (name.to_ascii_lowercase(), value.to_string())
            })
            .collect();
        Reply {
            status,
            headers,
            body: raw[end + 4..].to_vec(),
        }
    }

    /// Sends `request` raw and reads the whole reply (the server closes).
    fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
        let mut stream = connect(addr);
        stream.write_all(request).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        parse_reply(&raw)
    }

    fn get(addr: SocketAddr, target: &str) -> Reply {
        let request = format!("GET {target} HTTP/1.1\r\nHost: test\r\nUser-Agent: t\r\n\r\n");
        exchange(addr, request.as_bytes())
    }

    #[test]
    fn serves_the_latest_published_body() {
        let server = quick_server();
        let addr = server.local_addr();
        assert_ne!(addr.port(), 0);

        let before = get(addr, "/metrics");
        assert_eq!(before.status, 200);
        assert!(before.body.is_empty());

        server.publish(b"portclass_packets_total{interface=\"lo\"} 1\n".to_vec());
        let reply = get(addr, "/metrics");
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        assert_eq!(reply.header("content-length"), Some("42"));
        assert_eq!(reply.header("connection"), Some("close"));
        assert_eq!(reply.body, b"portclass_packets_total{interface=\"lo\"} 1\n");

        server.publish(b"second\n".to_vec());
        let reply = get(addr, "/metrics?name[]=x");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, b"second\n");
    }

    #[test]
    fn serves_a_large_body_whole() {
        let server = quick_server();
        let body: Vec<u8> = (0..3_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        server.publish(body.clone());
        let reply = get(server.local_addr(), "/metrics");
        assert_eq!(reply.header("content-length"), Some("3000000"));
        assert!(reply.body == body);
    }

    #[test]
    fn head_requests_get_the_headers_only() {
        let server = quick_server();
        server.publish(b"x 1\n".to_vec());
        let reply = exchange(server.local_addr(), b"HEAD /metrics HTTP/1.1\r\n\r\n");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-length"), Some("4"));
        assert!(reply.body.is_empty());
    }

    #[test]
    fn the_root_page_links_to_metrics() {
        let server = quick_server();
        let reply = get(server.local_addr(), "/");
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        let page = String::from_utf8(reply.body).unwrap();
        assert!(page.contains("<a href=\"/metrics\">"));
    }

    #[test]
    fn other_paths_methods_and_garbage_are_refused() {
        let server = quick_server();
        let addr = server.local_addr();
        assert_eq!(get(addr, "/metricsx").status, 404);
        assert_eq!(get(addr, "/favicon.ico").status, 404);

        let post = exchange(
            addr,
            b"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        );
        assert_eq!(post.status, 405);
        assert_eq!(post.header("allow"), Some("GET, HEAD"));
        assert_eq!(exchange(addr, b"DELETE / HTTP/1.1\r\n\r\n").status, 405);

        assert_eq!(exchange(addr, b"hello\r\n\r\n").status, 400);
        assert_eq!(exchange(addr, b"GET /metrics SPDY/9\r\n\r\n").status, 400);
        assert_eq!(exchange(addr, b"GET metrics HTTP/1.1\r\n\r\n").status, 400);
        assert_eq!(exchange(addr, b"\xff\xfe /x HTTP/1.1\r\n\r\n").status, 400);
        // Lax line ends are accepted.
        assert_eq!(exchange(addr, b"GET /metrics HTTP/1.0\n\n").status, 200);
        // And the server still serves after all that.
        assert_eq!(get(addr, "/metrics").status, 200);
    }

    #[test]
    fn an_oversized_head_gets_431() {
        let server = quick_server();
        let mut request = b"GET /metrics HTTP/1.1\r\nX-Padding: ".to_vec();
        request.resize(4 * HEAD_LIMIT, b'a');
        let reply = exchange(server.local_addr(), &request);
        assert_eq!(reply.status, 431);
        // A head just under the limit is fine.
        let mut request = b"GET /metrics HTTP/1.1\r\nX-Padding: ".to_vec();
        request.resize(HEAD_LIMIT - 4, b'a');
        request.extend_from_slice(b"\r\n\r\n");
        assert_eq!(exchange(server.local_addr(), &request).status, 200);
    }

    #[test]
    fn silent_and_slow_clients_do_not_block_the_next_request() {
        let server = quick_server();
        server.publish(b"ok\n".to_vec());
        let addr = server.local_addr();
        // Connected, sending nothing, holding the connection open.
        let silent = connect(addr);
        // Half a request line, then nothing.
        let mut partial = connect(addr);
        partial.write_all(b"GET /metr").unwrap();
        // Answered once the server gives up on the two above.
        let reply = get(addr, "/metrics");
        assert_eq!(reply.body, b"ok\n");
        // The server closed both without an answer.
        for mut stream in [silent, partial] {
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest);
            assert!(rest.is_empty());
        }
    }

    /// Drops `server` on another thread and waits (bounded) for it.
    fn drop_bounded(server: MetricsServer) {
        let (done, finished) = mpsc::channel();
        thread::spawn(move || {
            drop(server);
            let _ = done.send(());
        });
        finished
            .recv_timeout(CLIENT_TIMEOUT)
            .expect("dropping the server did not return");
    }

    #[test]
    fn dropping_the_server_frees_the_port() {
        let server = quick_server();
        let addr = server.local_addr();
        assert_eq!(get(addr, "/metrics").status, 200);
        drop_bounded(server);
        // Nobody listens any more, and the port can be bound again.
        assert!(TcpStream::connect(addr).is_err());
        let again = TcpListener::bind(addr).unwrap();
        drop(again);
        let server = MetricsServer::start_with(&addr.to_string(), None, QUICK).unwrap();
        assert_eq!(server.local_addr(), addr);
        assert_eq!(get(addr, "/").status, 200);
    }

    #[test]
    fn dropping_returns_with_a_silent_client_connected() {
        let server = quick_server();
        let silent = connect(server.local_addr());
        drop_bounded(server);
        drop(silent);
    }

    #[test]
    fn listens_on_ipv6_and_wildcard_addresses() {
        let server = MetricsServer::start_with("0.0.0.0:0", None, QUICK).unwrap();
        let port = server.local_addr().port();
        let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        assert_eq!(get(loopback, "/").status, 200);
        drop_bounded(server);

        // Only where this host has IPv6 loopback.
        if TcpListener::bind("[::1]:0").is_ok() {
            let server = MetricsServer::start_with("[::1]:0", None, QUICK).unwrap();
            assert!(server.local_addr().is_ipv6());
            assert_eq!(get(server.local_addr(), "/").status, 200);
            drop_bounded(server);
        }
    }

    #[test]
    fn bad_addresses_name_what_was_given() {
        let cases = [
            ("9917", "the port is missing"),
            ("127.0.0.1", "the port is missing"),
            ("127.0.0.1:99999", "a number from 0 to 65535"),
            ("127.0.0.1:http", "a number from 0 to 65535"),
            (":9917", "0.0.0.0:PORT"),
            ("::1:9917", "in brackets"),
            ("[::1:9917", "in brackets"),
            ("", "the port is missing"),
        ];
        for (given, hint) in cases {
            let message = MetricsServer::start(given, None).unwrap_err().to_string();
            assert!(
                message.starts_with("--metrics expects ADDR:PORT"),
                "{message}"
            );
            assert!(message.contains(&format!("got {given:?}")), "{message}");
            assert!(message.contains(hint), "{given}: {message}");
        }
    }

    #[test]
    fn a_port_in_use_is_a_clear_error() {
        let first = quick_server();
        let addr = first.local_addr();
        let error = MetricsServer::start(&addr.to_string(), None).unwrap_err();
        assert!(matches!(error, MetricsError::Listen { .. }));
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("cannot listen on {addr}: ")),
            "{message}"
        );
        assert!(
            message.contains("another process listens there"),
            "{message}"
        );
    }

    #[test]
    fn wildcard_addresses_are_woken_through_loopback() {
        let v4 = "0.0.0.0:9917".parse().unwrap();
        assert_eq!(wake_addr(v4), "127.0.0.1:9917".parse().unwrap());
        let v6 = "[::]:9917".parse().unwrap();
        assert_eq!(wake_addr(v6), "[::1]:9917".parse().unwrap());
        let other = "192.0.2.1:9917".parse().unwrap();
        assert_eq!(wake_addr(other), other);
    }

    #[test]
    fn head_end_finds_crlf_and_lax_blank_lines() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\n"), Some(14));
        assert_eq!(head_end(b"GET / HTTP/1.1\n\n"), Some(14));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }
}

/// The server with `--metrics-web-config`: TLS, basic auth, client
/// certificates, against a rustls client.
#[cfg(test)]
mod web_tests {
    use super::web_config::tests::Fixture;
    use super::*;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

    const QUICK: Limits = Limits {
        handshake_timeout: Duration::from_millis(300),
        head_timeout: Duration::from_millis(300),
        write_timeout: Duration::from_secs(5),
        linger_timeout: Duration::from_millis(300),
    };

    /// Bounds a broken server's hold on a test; not a timing assertion.
    const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

    const BODY: &[u8] = b"portclass_packets_total{interface=\"lo\"} 7\n";

    fn server(f: &Fixture, web: &str) -> MetricsServer {
        let web = f.load(web).unwrap();
        let server = MetricsServer::start_with("127.0.0.1:0", Some(web), QUICK).unwrap();
        server.publish(BODY.to_vec());
        server
    }

    fn connect(addr: SocketAddr) -> TcpStream {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(CLIENT_TIMEOUT)).unwrap();
        stream
    }

    /// A client that trusts the certificate in `ca_pem`, with a client
    /// certificate when given.
    fn client(
        ca_pem: &str,
        identity: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
    ) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        Arc::new(match identity {
            Some((cert, key)) => builder.with_client_auth_cert(vec![cert], key).unwrap(),
            None => builder.with_no_client_auth(),
        })
    }

    /// Status, headers (lowercased names) and body of a raw response.
    fn parse(raw: &[u8]) -> (u16, String, Vec<u8>) {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8(raw[..end].to_vec()).unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head.to_ascii_lowercase(), raw[end + 4..].to_vec())
    }

    /// `GET target` over TLS, with `Authorization: Basic` for
    /// `credentials`; the whole response, or the error of the handshake or
    /// the exchange.
    fn tls_get(
        addr: SocketAddr,
        client: &Arc<rustls::ClientConfig>,
        method: &str,
        credentials: Option<&str>,
    ) -> io::Result<(u16, String, Vec<u8>)> {
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let mut conn =
            rustls::ClientConnection::new(Arc::clone(client), name).map_err(io::Error::other)?;
        let mut tcp = connect(addr);
        let mut stream = rustls::Stream::new(&mut conn, &mut tcp);
        let auth = credentials.map_or(String::new(), |c| {
            format!(
                "Authorization: Basic {}\r\n",
                base64::engine::general_purpose::STANDARD.encode(c)
            )
        });
        let request = format!("{method} /metrics HTTP/1.1\r\nHost: t\r\n{auth}\r\n");
        stream.write_all(request.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        Ok(parse(&raw))
    }

    #[test]
    fn over_tls_only_the_right_password_gets_the_metrics() {
        let f = Fixture::new();
        let server = server(&f, &f.full());
        assert!(server.url().starts_with("https://127.0.0.1:"));
        let addr = server.local_addr();
        let tls = client(&f.cert_pem, None);

        let (status, head, body) = tls_get(addr, &tls, "GET", Some("prom:s3cret")).unwrap();
        assert_eq!(status, 200, "{head}");
        assert_eq!(body, BODY);
        // Again, from memory this time.
        assert_eq!(
            tls_get(addr, &tls, "GET", Some("prom:s3cret")).unwrap().0,
            200
        );

        for credentials in [
            None,
            Some("prom:wrong"),
            Some("nobody:s3cret"),
            Some("prom"),
        ] {
            let (status, head, body) = tls_get(addr, &tls, "GET", credentials).unwrap();
            assert_eq!(status, 401, "{credentials:?}");
            assert!(
                head.contains("\r\nwww-authenticate: basic realm=\"portclass\""),
                "{head}"
            );
            assert!(!body.windows(BODY.len()).any(|w| w == BODY));
        }
        let (status, _, body) = tls_get(addr, &tls, "HEAD", None).unwrap();
        assert_eq!((status, body.len()), (401, 0));
    }

    #[test]
    fn plain_http_and_untrusting_clients_get_nothing() {
        let f = Fixture::new();
        let server = server(&f, &f.full());
        let addr = server.local_addr();

        // Plain HTTP: Go's answer, and no metrics.
        let mut stream = connect(addr);
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nAuthorization: Basic cHJvbTpzM2NyZXQ=\r\n\r\n")
            .unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.0 400 Bad Request\r\n"), "{text}");
        assert!(text.contains("HTTPS server"), "{text}");
        assert!(!text.contains("portclass_packets_total"), "{text}");

        // A client that trusts another certificate fails its handshake.
        let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        let stranger = client(&other.cert.pem(), None);
        let error = tls_get(addr, &stranger, "GET", Some("prom:s3cret")).unwrap_err();
        assert!(error.to_string().contains("certificate"), "{error}");

        // Garbage that is neither: the handshake fails, nothing is served.
        let mut stream = connect(addr);
        stream
            .write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])
            .unwrap();
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        assert!(!String::from_utf8_lossy(&raw).contains("portclass"));

        // And the server still serves.
        let tls = client(&f.cert_pem, None);
        assert_eq!(
            tls_get(addr, &tls, "GET", Some("prom:s3cret")).unwrap().0,
            200
        );
    }

    #[test]
    fn silent_and_slow_handshakes_do_not_block_the_next_scrape() {
        let f = Fixture::new();
        let server = server(&f, &f.full());
        let addr = server.local_addr();
        // Connected, sending nothing.
        let silent = connect(addr);
        // The start of a ClientHello record, then nothing.
        let mut partial = connect(addr);
        partial.write_all(&[0x16, 0x03, 0x01, 0x02]).unwrap();
        // Answered once the server gives up on both.
        let tls = client(&f.cert_pem, None);
        let (status, _, body) = tls_get(addr, &tls, "GET", Some("prom:s3cret")).unwrap();
        assert_eq!((status, body.as_slice()), (200, BODY));
        for mut stream in [silent, partial] {
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest);
            assert!(!String::from_utf8_lossy(&rest).contains("portclass"));
        }
    }

    #[test]
    fn basic_auth_works_without_tls_too() {
        let f = Fixture::new();
        let server = server(&f, &format!("basic_auth_users:\n  prom: {}\n", f.hash));
        assert!(server.url().starts_with("http://"));
        let get = |auth: &str| {
            let mut stream = connect(server.local_addr());
            let request = format!("GET /metrics HTTP/1.1\r\n{auth}\r\n");
            stream.write_all(request.as_bytes()).unwrap();
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).unwrap();
            parse(&raw)
        };
        let (status, _, body) = get("authorization: basic cHJvbTpzM2NyZXQ=\r\n");
        assert_eq!((status, body.as_slice()), (200, BODY));
        assert_eq!(get("").0, 401);
        assert_eq!(get("Authorization: Bearer cHJvbTpzM2NyZXQ=\r\n").0, 401);
        assert_eq!(get("Authorization: Basic !!!\r\n").0, 401);
    }

    #[test]
    fn client_certificates_signed_by_the_client_ca_are_let_in() {
        let f = Fixture::new();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "test client CA");
        let ca = rcgen::CertifiedIssuer::self_signed(params, ca_key).unwrap();
        std::fs::write(f.dir.path().join("ca.pem"), ca.pem()).unwrap();
        let identity = || {
            let key = rcgen::KeyPair::generate().unwrap();
            let mut params = rcgen::CertificateParams::new(vec!["client".to_string()]).unwrap();
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
            let cert = params.signed_by(&key, &ca).unwrap();
            let key = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
            (cert.der().clone(), key)
        };
        let tls = "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_ca_file: ca.pem\n";

        let required = server(
            &f,
            &format!("{tls}  client_auth_type: RequireAndVerifyClientCert\n"),
        );
        let with = client(&f.cert_pem, Some(identity()));
        let without = client(&f.cert_pem, None);
        let (status, _, body) = tls_get(required.local_addr(), &with, "GET", None).unwrap();
        assert_eq!((status, body.as_slice()), (200, BODY));
        assert!(tls_get(required.local_addr(), &without, "GET", None).is_err());
        // A certificate the CA did not sign is refused.
        let stranger = rcgen::generate_simple_self_signed(vec!["client".to_string()]).unwrap();
        let key = PrivateKeyDer::try_from(stranger.signing_key.serialize_der()).unwrap();
        let forged = client(&f.cert_pem, Some((stranger.cert.der().clone(), key)));
        assert!(tls_get(required.local_addr(), &forged, "GET", None).is_err());

        let optional = server(
            &f,
            &format!("{tls}  client_auth_type: VerifyClientCertIfGiven\n"),
        );
        assert_eq!(
            tls_get(optional.local_addr(), &without, "GET", None)
                .unwrap()
                .0,
            200
        );
        assert_eq!(
            tls_get(optional.local_addr(), &with, "GET", None)
                .unwrap()
                .0,
            200
        );
    }

    #[test]
    fn basic_credentials_parse_as_rfc_7617_says() {
        assert_eq!(
            basic_credentials(b" Basic cHJvbTpzM2NyZXQ="),
            Some(("prom".to_string(), b"s3cret".to_vec()))
        );
        // The password may hold colons; the user may not.
        assert_eq!(
            basic_credentials(b"BASIC YTpiOmM="),
            Some(("a".to_string(), b"b:c".to_vec()))
        );
        assert_eq!(basic_credentials(b"Basic cHJvbQ=="), None);
        assert_eq!(basic_credentials(b"Bearer cHJvbTpzM2NyZXQ="), None);
        assert_eq!(basic_credentials(b"Basic"), None);
        assert_eq!(basic_credentials(b"Basic %%%"), None);
    }
}
