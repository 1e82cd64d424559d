//! The HTTP endpoint of [meterstick](https://docs.rs/meterstick): `GET /metrics` and
//! `GET /metrics.json` behind trusted-IP authentication, on axum and tokio. The `meterstick`
//! crate re-exports it as `meterstick::http` (its default `http` feature).
//!
//! [`serve`] runs a ready server; [`router`] gives an [`axum::Router`] to mount in an existing
//! application (serve it with `into_make_service_with_connect_info::<SocketAddr>()`, so that the
//! peer address is known).
//!
//! | request | response |
//! |---|---|
//! | `GET /metrics` | Prometheus text, or OpenMetrics or protobuf when `Accept` prefers `application/openmetrics-text` or `application/vnd.google.protobuf` (as Prometheus does with native histograms turned on) |
//! | `GET /metrics?format=openmetrics` (or `prometheus`, `protobuf`) | that format, whatever `Accept` says |
//! | `GET /metrics?prefix=kumo_` | every metric name with `kumo_` in front, as in KumoMTA (also on `/metrics.json`); `400` for a prefix that would make names invalid |
//! | `GET /metrics?filter=smtp_` | only the metrics whose name starts with `smtp_` (also on `/metrics.json`) |
//! | `GET /metrics.json` | the `/metrics.json` document |
//! | another path | `404 Not Found` |
//! | another method | `405 Method Not Allowed` |
//! | a peer outside the trusted hosts | `403 Forbidden`, with a plain-text body naming its address |
//!
//! Only the address of the TCP connection decides: `X-Forwarded-For` and its kind are ignored,
//! and an `Authorization` header never grants access. A `403` closes the connection. Bodies are
//! gzip-compressed when the client accepts it, and streamed: the encoder writes into a small
//! bounded channel, so the memory of one scrape does not grow with the number of series, and a
//! client that goes away stops it.
//!
//! [`serve_with_limits`] bounds what clients can hold (see [`Limits`]): connections from trusted
//! and from untrusted peers are counted apart, so a flood of untrusted connections never takes
//! the room of a trusted scraper; at most [`Limits::max_scrapes`] exports run at once, and one
//! whose client has stopped reading gives its place up to a scrape that waits for one.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::header::{ACCEPT, CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;

use meterstick_core::{Format, Registry, Scrape};

pub use crate::trusted::{TrustedHostError, TrustedHosts};

#[cfg(feature = "push")]
pub mod push;
mod trusted;

/// How many chunks a scrape may have in its channel. With the registry's 32 KiB buffer, what the
/// connection buffers (at most [`CONNECTION_BUFFER`] under [`serve_with_limits`]) and the
/// socket's own buffer, a scrape in progress held about 190 KiB in the tests whatever the
/// number of series, plus the compressor's state when the client asked for gzip.
const CHUNKS_IN_FLIGHT: usize = 2;

/// The most a connection served by [`serve_with_limits`] buffers: of the body it writes, and
/// of the request head it reads (a longer head is answered `431`).
const CONNECTION_BUFFER: usize = 64 * 1024;

#[derive(Clone)]
struct Endpoint {
    registry: Arc<dyn Deref<Target = Registry> + Send + Sync>,
    trusted: Arc<TrustedHosts>,
    write_timeout: Duration,
    scrapes: Arc<Scrapes>,
}

/// The exports in progress: a slot each, and a signal by which a scrape waiting for a slot asks
/// the scrapes whose clients have stalled to give theirs up.
struct Scrapes {
    slots: Arc<Semaphore>,
    wanted: Notify,
    stalled_after: Duration,
}

impl Scrapes {
    fn new(limits: &Limits) -> Self {
        Scrapes {
            slots: Arc::new(Semaphore::new(limits.max_scrapes.max(1))),
            wanted: Notify::new(),
            stalled_after: limits.stalled_after,
        }
    }

    /// A slot, or `None` if none came free within `wait`. While waiting, it asks the scrapes
    /// whose clients have taken nothing for `stalled_after` to end, every half of that.
    async fn admit(&self, wait: Duration) -> Option<OwnedSemaphorePermit> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() {
                return Some(slot);
            }
            self.wanted.notify_waiters();
            let pause = (self.stalled_after / 2).max(Duration::from_millis(10));
            let ask_again = (tokio::time::Instant::now() + pause).min(deadline);
            let slot = Arc::clone(&self.slots).acquire_owned();
            if let Ok(Ok(slot)) = tokio::time::timeout_at(ask_again, slot).await {
                return Some(slot);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
        }
    }
}

/// The `/metrics` and `/metrics.json` routes for `registry`, readable by `trusted` peers only.
///
/// `registry` is anything that derefs to a [`Registry`]: `Registry::global()`, an
/// `Arc<Registry>`. Serve the router with `into_make_service_with_connect_info::<SocketAddr>()`;
/// without the peer address every request is refused with `500`, never let through.
pub fn router<R>(registry: R, trusted: TrustedHosts) -> Router
where
    R: Deref<Target = Registry> + Send + Sync + 'static,
{
    build(registry, trusted, Limits::default())
}

fn build<R>(registry: R, trusted: TrustedHosts, limits: Limits) -> Router
where
    R: Deref<Target = Registry> + Send + Sync + 'static,
{
    let endpoint = Endpoint {
        registry: Arc::new(registry),
        trusted: Arc::new(trusted),
        write_timeout: limits.write_timeout,
        scrapes: Arc::new(Scrapes::new(&limits)),
    };
    Router::new()
        .route("/metrics", get(metrics))
        .route("/metrics.json", get(metrics_json))
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .no_br()
                .no_deflate()
                .no_zstd(),
        )
        .route_layer(middleware::from_fn_with_state(
            endpoint.clone(),
            authenticate,
        ))
        .with_state(endpoint)
}

/// Limits that keep slow, stalled or malicious clients from holding the server's resources.
///
/// The connection limits apply to [`serve_with_limits`] (and [`serve`], with the defaults),
/// which accepts the connections; the scrape limits to [`router`] as well.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Limits {
    /// How long a client may take to send a request's headers (and how long an idle keep-alive
    /// connection stays open); the connection is closed after it. Default 30 s.
    pub header_read_timeout: Duration,
    /// How long a scrape waits for a client that has stopped reading its body before giving up
    /// on it and closing the connection; also how long a scrape waits for a slot among
    /// [`Limits::max_scrapes`] before it is answered `503`. Default 30 s.
    pub write_timeout: Duration,
    /// How many connections trusted peers may hold open at once; a connection beyond it is
    /// closed as soon as it is accepted. Default 1024.
    pub max_connections: usize,
    /// How many connections untrusted peers may hold open at once, each answered `403` and
    /// closed; a connection beyond it is closed as soon as it is accepted, with no answer.
    /// Counted apart from trusted peers' connections, so that no flood of these takes a
    /// trusted scraper's room. Default 64.
    pub max_untrusted_connections: usize,
    /// How many exports may be written at once; a scrape beyond it waits for a slot. Each holds
    /// a blocking thread and about 190 KiB (more with gzip) while it runs. Default 64.
    pub max_scrapes: usize,
    /// A scrape whose client has taken nothing for this long gives up its slot, ending its
    /// response cut short, when another scrape waits for one; with no scrape waiting it keeps
    /// its slot until [`Limits::write_timeout`]. Default 1 s.
    pub stalled_after: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_untrusted_connections: 64,
            max_scrapes: 64,
            stalled_after: Duration::from_secs(1),
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_connections`].
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Sets [`Limits::max_untrusted_connections`].
    pub fn max_untrusted_connections(mut self, max: usize) -> Self {
        self.max_untrusted_connections = max;
        self
    }

    /// Sets [`Limits::max_scrapes`] (at least 1).
    pub fn max_scrapes(mut self, max: usize) -> Self {
        self.max_scrapes = max;
        self
    }

    /// Sets [`Limits::stalled_after`].
    pub fn stalled_after(mut self, after: Duration) -> Self {
        self.stalled_after = after;
        self
    }

    /// Sets [`Limits::header_read_timeout`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets [`Limits::write_timeout`].
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }
}

/// Serves `registry` on `addr` until the returned future is dropped or fails.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use meterstick_core::Registry;
/// use meterstick_http::{self as http, TrustedHosts};
///
/// let trusted = TrustedHosts::new(["127.0.0.1", "10.0.0.0/8"]).expect("valid trusted hosts");
/// http::serve(Registry::global(), "127.0.0.1:8000", trusted).await
/// # }
/// ```
pub async fn serve<R>(
    registry: R,
    addr: impl ToSocketAddrs,
    trusted: TrustedHosts,
) -> io::Result<()>
where
    R: Deref<Target = Registry> + Send + Sync + 'static,
{
    serve_listener(TcpListener::bind(addr).await?, registry, trusted).await
}

/// Serves `registry` on a listener that is already bound (to port 0, say), with the default
/// [`Limits`].
pub async fn serve_listener<R>(
    listener: TcpListener,
    registry: R,
    trusted: TrustedHosts,
) -> io::Result<()>
where
    R: Deref<Target = Registry> + Send + Sync + 'static,
{
    serve_with_limits(listener, registry, trusted, Limits::default()).await
}

/// Serves `registry` on a bound listener with the given [`Limits`].
///
/// Each connection is served on its own task: HTTP/1.1 with keep-alive for trusted peers,
/// malformed requests answered `400` by the HTTP parser, headers that do not arrive in time
/// closing the connection. An untrusted peer's connection is answered `403` and closed; beyond
/// [`Limits::max_untrusted_connections`] (or [`Limits::max_connections`] for trusted peers) a
/// connection is closed as soon as it is accepted. A failure to accept (too many open files,
/// say) is retried after a pause rather than ending the server.
pub async fn serve_with_limits<R>(
    listener: TcpListener,
    registry: R,
    trusted: TrustedHosts,
    limits: Limits,
) -> io::Result<()>
where
    R: Deref<Target = Registry> + Send + Sync + 'static,
{
    let app = build(registry, trusted.clone(), limits);
    let trusted_open = Arc::new(AtomicUsize::new(0));
    let untrusted_open = Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let is_trusted = trusted.contains(peer.ip());
        let (open, max) = match is_trusted {
            true => (&trusted_open, limits.max_connections),
            false => (&untrusted_open, limits.max_untrusted_connections),
        };
        let Some(open) = OpenConnection::count(open, max) else {
            // Closed at once: the peer holds no descriptor of this process.
            drop(stream);
            continue;
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request.map(Body::new))
        });
        tokio::spawn(async move {
            // A connection that fails (a client that went away, a malformed request already
            // answered) concerns that client alone.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                // An untrusted peer gets its `403` and no second request.
                .keep_alive(is_trusted)
                // Bounds what a connection buffers of a body its client does not read (hyper
                // queues up to about 400 KiB by default), and the request head as well.
                .max_buf_size(CONNECTION_BUFFER)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(open);
        });
    }
}

/// One open connection, counted in its kind's total until it is dropped.
struct OpenConnection(Arc<AtomicUsize>);

impl OpenConnection {
    /// Counts a connection in `open`, unless `max` are open already.
    fn count(open: &Arc<AtomicUsize>, max: usize) -> Option<Self> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()
        .map(|_| OpenConnection(Arc::clone(open)))
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Lets trusted peers through; answers everyone else `403` with its address.
async fn authenticate(State(endpoint): State<Endpoint>, request: Request, next: Next) -> Response {
    let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    else {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the peer address is unknown, so trusted-IP authentication cannot decide; serve the \
             router with `into_make_service_with_connect_info::<SocketAddr>()`\n"
                .to_owned(),
        );
    };
    let ip = peer.ip().to_canonical();
    if !endpoint.trusted.contains(ip) {
        let mut response = text(
            StatusCode::FORBIDDEN,
            format!("403 Forbidden: {ip} is not a trusted host\n"),
        );
        // The connection ends with the answer, however the router is served.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    next.run(request).await
}

async fn metrics(
    State(endpoint): State<Endpoint>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let format = match query.get("format").map(String::as_str) {
        None => negotiate(headers.get(ACCEPT)),
        Some("prometheus" | "text") => Format::Prometheus,
        Some("openmetrics") => Format::OpenMetrics,
        Some("protobuf") => Format::Protobuf,
        Some(other) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!(
                    "unknown format {}; use `prometheus`, `openmetrics` or `protobuf`\n",
                    quote_short(other)
                ),
            );
        }
    };
    stream(endpoint, format, &query).await
}

async fn metrics_json(
    State(endpoint): State<Endpoint>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    stream(endpoint, Format::Json, &query).await
}

/// What `?prefix=` and `?filter=` ask of an export, or the text of the `400` answer to a
/// prefix that would make names invalid.
fn scrape_options(query: &HashMap<String, String>) -> Result<(String, String), String> {
    let prefix = query.get("prefix").cloned().unwrap_or_default();
    let filter = query.get("filter").cloned().unwrap_or_default();
    match Scrape::new().prefix(&prefix) {
        Ok(_) => Ok((prefix, filter)),
        Err(_) => Err(format!(
            "prefix {} would make invalid metric names; use ASCII letters, digits, `_` and `:`, \
             not starting with a digit\n",
            quote_short(&prefix)
        )),
    }
}

/// The format `Accept` gives the highest quality above zero, as Prometheus asks: protobuf
/// (`application/vnd.google.protobuf` for `io.prometheus.client.MetricFamily`, delimited),
/// then OpenMetrics, then plain text on a tie; plain text when nothing else is asked for.
fn negotiate(accept: Option<&HeaderValue>) -> Format {
    let Some(accept) = accept.and_then(|a| a.to_str().ok()) else {
        return Format::Prometheus;
    };
    let mut protobuf = None::<f32>;
    let mut openmetrics = None::<f32>;
    let mut text = None::<f32>;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut q = 1.0;
        let mut ours = true;
        for (name, value) in parts.filter_map(|p| p.split_once('=')) {
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => q = value.parse::<f32>().unwrap_or(0.0),
                "proto" => ours &= value == "io.prometheus.client.MetricFamily",
                "encoding" => ours &= value == "delimited",
                _ => {}
            }
        }
        let slot = match media.as_str() {
            "application/vnd.google.protobuf" if ours => &mut protobuf,
            "application/openmetrics-text" => &mut openmetrics,
            "text/plain" => &mut text,
            _ => continue,
        };
        *slot = Some(slot.map_or(q, |s| s.max(q)));
    }
    let best = [
        (protobuf, Format::Protobuf),
        (openmetrics, Format::OpenMetrics),
        (text, Format::Prometheus),
    ]
    .into_iter()
    .filter_map(|(q, format)| Some((q.filter(|q| *q > 0.0)?, format)))
    // The first of the highest: `max_by` keeps the last of equals, so the order is reversed.
    .rev()
    .max_by(|a, b| a.0.total_cmp(&b.0));
    best.map_or(Format::Prometheus, |(_, format)| format)
}

/// A response whose body the registry writes, on a blocking thread, while it is sent; `503` if
/// no slot among the scrapes in progress came free in time.
async fn stream(endpoint: Endpoint, format: Format, query: &HashMap<String, String>) -> Response {
    let (prefix, filter) = match scrape_options(query) {
        Ok(options) => options,
        Err(refusal) => return text(StatusCode::BAD_REQUEST, refusal),
    };
    let Some(slot) = endpoint.scrapes.admit(endpoint.write_timeout).await else {
        let mut response = text(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many scrapes in progress; try again\n".to_owned(),
        );
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    let writer = ChannelWriter {
        tx,
        runtime: tokio::runtime::Handle::current(),
        timeout: endpoint.write_timeout,
        scrapes: Arc::clone(&endpoint.scrapes),
    };
    // Set once the whole export is in the channel: a body that ends without it was cut short
    // (the client stopped reading, the export failed) and must not look complete.
    let finished = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&finished);
    tokio::task::spawn_blocking(move || {
        let mut writer = writer;
        // An error here means the client went away or stopped reading; the body says so below.
        // The prefix was checked above.
        let scrape = Scrape::new()
            .filter(&filter)
            .prefix(&prefix)
            .unwrap_or_default();
        if (**endpoint.registry)
            .write_format(format, scrape, &mut writer)
            .is_ok()
        {
            done.store(true, Ordering::Release);
        }
        // The channel closes only now, after the flag is set.
        drop(writer);
        drop(slot);
    });
    let mut rx = rx;
    let mut failed = false;
    // `poll_recv` keeps answering `None` once the channel is done, as a body may be polled again.
    let body = futures_util::stream::poll_fn(move |cx| match rx.poll_recv(cx) {
        Poll::Ready(None) if !finished.load(Ordering::Acquire) && !failed => {
            // An error ends the response without its last chunk, so the client sees a broken
            // body rather than a short one.
            failed = true;
            Poll::Ready(Some(Err(io::Error::other("the export was cut short"))))
        }
        other => other,
    });
    let mut response = Body::from_stream(body).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response
}

/// How many characters of a client's value an error message quotes.
const QUOTED_CHARS: usize = 32;

/// A client's value for an error message: its first characters, quoted and escaped, so that
/// the answer neither grows with the request nor carries its control characters.
fn quote_short(value: &str) -> String {
    let head: String = value.chars().take(QUOTED_CHARS).collect();
    let more = if head.len() < value.len() { "..." } else { "" };
    format!("`{}{more}`", head.escape_debug())
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// Sends each write as one chunk of the response body, waiting while the channel is full, but
/// no longer than the write timeout, nor than `stalled_after` once another scrape waits for a
/// slot.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    runtime: tokio::runtime::Handle,
    timeout: Duration,
    scrapes: Arc<Scrapes>,
}

impl ChannelWriter {
    async fn send(&self, chunk: Bytes) -> io::Result<()> {
        let started = tokio::time::Instant::now();
        let send = self.tx.send(Ok(chunk));
        let give_up = tokio::time::sleep(self.timeout);
        tokio::pin!(send, give_up);
        // The body ends with an error on each failure (see `stream`), which closes the
        // connection.
        loop {
            let wanted = self.scrapes.wanted.notified();
            tokio::select! {
                sent = &mut send => {
                    return sent.map_err(|_| {
                        io::Error::new(io::ErrorKind::BrokenPipe, "the client went away")
                    });
                }
                () = &mut give_up => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client stopped reading",
                    ));
                }
                () = wanted => {
                    if started.elapsed() >= self.scrapes.stalled_after {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the client stopped reading and another scrape needs the slot",
                        ));
                    }
                }
            }
        }
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let chunk = Bytes::copy_from_slice(buf);
        self.runtime.block_on(self.send(chunk))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_scrape_gets_a_slot_when_one_frees_or_none_after_its_wait() {
        let limits = Limits::default()
            .max_scrapes(1)
            .stalled_after(Duration::from_secs(1));
        let scrapes = Scrapes::new(&limits);
        let held = scrapes
            .admit(Duration::from_secs(5))
            .await
            .expect("a free slot");
        // Nobody gives the slot up: no slot within the wait.
        let started = tokio::time::Instant::now();
        assert!(scrapes.admit(Duration::from_secs(3)).await.is_none());
        assert!(started.elapsed() >= Duration::from_secs(3));
        // Freed a second into another scrape's wait: that scrape gets it then.
        let started = tokio::time::Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            drop(held);
        });
        assert!(scrapes.admit(Duration::from_secs(3)).await.is_some());
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    fn negotiated(accept: &str) -> Format {
        negotiate(Some(&HeaderValue::from_str(accept).unwrap()))
    }

    #[test]
    fn an_unknown_format_is_quoted_short_and_escaped() {
        assert_eq!(quote_short("xml"), "`xml`");
        assert_eq!(quote_short("a\nb\u{1b}[2J"), "`a\\nb\\u{1b}[2J`");
        let long = "\u{7}é".repeat(30_000);
        let quoted = quote_short(&long);
        assert!(quoted.len() < 200, "{} bytes", quoted.len());
        assert!(quoted.ends_with("...`"));
        assert!(!quoted.chars().any(char::is_control), "{quoted}");
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(None), Format::Prometheus);
        assert_eq!(negotiated("*/*"), Format::Prometheus);
        assert_eq!(negotiated("text/plain"), Format::Prometheus);
        assert_eq!(
            negotiated("application/openmetrics-text"),
            Format::OpenMetrics
        );
        // What Prometheus 2.x sends.
        assert_eq!(
            negotiated(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                 version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            ),
            Format::OpenMetrics
        );
        assert_eq!(
            negotiated("application/openmetrics-text;q=0.2, text/plain;q=0.9"),
            Format::Prometheus
        );
        assert_eq!(
            negotiated("application/openmetrics-text;q=0"),
            Format::Prometheus
        );
        assert_eq!(
            negotiated("Application/OpenMetrics-Text; version=1.0.0"),
            Format::OpenMetrics
        );
        // What Prometheus 2.42 sends with native histograms turned on.
        assert_eq!(
            negotiated(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
                 encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,\
                 application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;\
                 q=0.5,*/*;q=0.1"
            ),
            Format::Protobuf
        );
        // Another message, or another encoding, is not ours to give.
        assert_eq!(
            negotiated("application/vnd.google.protobuf;proto=other.Message;encoding=delimited"),
            Format::Prometheus
        );
        assert_eq!(
            negotiated(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
                 encoding=text,text/plain;q=0.5"
            ),
            Format::Prometheus
        );
        // A tie goes to protobuf, then OpenMetrics.
        assert_eq!(
            negotiated("text/plain,application/openmetrics-text,application/vnd.google.protobuf"),
            Format::Protobuf
        );
        assert_eq!(
            negotiated("text/plain;q=0.5,application/openmetrics-text;q=0.5"),
            Format::OpenMetrics
        );
    }
}
