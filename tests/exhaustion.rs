//! Clients that try to exhaust the endpoint: floods of untrusted connections, hundreds of
//! trusted clients that stop reading, untrusted peers that try to keep their connection.

#![cfg(feature = "http")]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use meterstick::http::{self, Limits, TrustedHosts};
use meterstick::{Counter, Family, Metrics, Registry};

#[derive(Metrics)]
struct Wide {
    /// many series
    #[metric(label = "id")]
    series: Family<Counter>,
}

/// A registry of `n` series, served on loopback with `limits`, trusting 127.0.0.1 only.
async fn serve(n: usize, limits: Limits) -> (Arc<Registry>, SocketAddr) {
    let registry = Arc::new(Registry::new());
    let m = registry.register(Wide::new()).unwrap();
    for i in 0..n {
        m.series.inc(&format!("series-{i:07}"));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::clone(&registry);
    tokio::spawn(http::serve_with_limits(
        listener,
        served,
        TrustedHosts::default(),
        limits,
    ));
    (registry, addr)
}

/// A connection to `addr` from the local address `from`, with a receive buffer of `rcvbuf`
/// bytes if given (so that the kernel does not read a body on the client's behalf).
async fn connect_from(
    from: &str,
    addr: SocketAddr,
    rcvbuf: Option<u32>,
) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    if let Some(size) = rcvbuf {
        socket.set_recv_buffer_size(size)?;
    }
    socket.bind(format!("{from}:0").parse().unwrap())?;
    tokio::time::timeout(Duration::from_secs(10), socket.connect(addr))
        .await
        .map_err(|_| std::io::Error::other("connect timed out"))?
}

/// Held by each test of this file, which count this process's descriptors and memory and time
/// scrapes, so that none runs beside another (each test file is a process of its own).
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The number of file descriptors this process has open.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_peer_gets_its_403_and_the_connection_closes() {
    let _alone = ALONE.lock().await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_, addr) = serve(3, Limits::default()).await;
    let mut stream = connect_from("127.0.0.2", addr, None).await.unwrap();
    // Keep-alive asked for, and a second request queued behind the first.
    stream
        .write_all(
            b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .await
        .unwrap();
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
        .await
        .expect("the server kept an untrusted peer's connection open after its 403");
    read.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    assert_eq!(response.matches("HTTP/1.1").count(), 1, "{response}");
    assert!(
        response.to_ascii_lowercase().contains("connection: close"),
        "{response}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_untrusted_connections_leaves_room_for_a_trusted_scraper() {
    let _alone = ALONE.lock().await;
    const FLOOD: usize = 4_000;
    let limits = Limits::default();
    let (registry, addr) = serve(1_000, limits).await;
    let expected = registry.to_prometheus().len();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/metrics");
    let usual = {
        let started = Instant::now();
        assert_eq!(support::fetch_text(&client, &url).await.len(), expected);
        started.elapsed()
    };
    let before = open_fds();
    // Idle connections from ten untrusted addresses, held open by this test, while a trusted
    // client scrapes.
    let flood = tokio::spawn(async move {
        let mut held = Vec::with_capacity(FLOOD);
        for i in 0..FLOOD {
            let from = format!("127.0.0.{}", 2 + i % 10);
            if let Ok(stream) = connect_from(&from, addr, None).await {
                held.push(stream);
            }
        }
        held
    });
    let mut slowest = Duration::ZERO;
    let mut scrapes = 0;
    while !flood.is_finished() || scrapes < 10 {
        let started = Instant::now();
        let body = tokio::time::timeout(Duration::from_secs(5), support::fetch_text(&client, &url))
            .await
            .expect("a trusted scrape was locked out by the flood");
        assert_eq!(body.len(), expected);
        slowest = slowest.max(started.elapsed());
        scrapes += 1;
    }
    let held = flood.await.unwrap();
    assert!(
        held.len() > FLOOD * 9 / 10,
        "only {} connections made",
        held.len()
    );
    // Each flood connection costs this process one descriptor (the test's own end); the
    // server keeps at most `max_untrusted_connections` of its ends open.
    let servers = open_fds().saturating_sub(before + held.len());
    println!(
        "{} untrusted connections held; the server kept {servers} descriptors; \
         {scrapes} trusted scrapes meanwhile, the slowest {slowest:?} (alone {usual:?})",
        held.len()
    );
    assert!(
        servers <= limits.max_untrusted_connections + 16,
        "the server holds {servers} descriptors for the flood"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "a trusted scrape took {slowest:?} during the flood"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_scrape_is_fast_while_hundreds_of_clients_stall() {
    let _alone = ALONE.lock().await;
    use tokio::io::AsyncWriteExt;
    const STALLED: usize = 300;
    let limits = Limits::default();
    let (registry, addr) = serve(50_000, limits).await;
    let expected = registry.to_prometheus().len();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/metrics");
    assert_eq!(support::fetch_text(&client, &url).await.len(), expected);
    let rss_before = support::proc_status_kib("VmRSS");
    let mut stalled = Vec::new();
    for _ in 0..STALLED {
        let mut stream = connect_from("127.0.0.1", addr, Some(4096)).await.unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        stalled.push(stream);
    }
    // Each round of scrapes gives way after `stalled_after` to those waiting behind it.
    let rounds = STALLED.div_ceil(limits.max_scrapes) as u32 + 2;
    tokio::time::sleep(limits.stalled_after * rounds).await;
    let rss_stalled = support::proc_status_kib("VmRSS");
    let started = Instant::now();
    let body = support::fetch_text(&client, &url).await;
    let fresh = started.elapsed();
    assert_eq!(body.len(), expected);
    println!(
        "{STALLED} stalled clients on a {expected}-byte body: a fresh scrape took {fresh:?}; \
         resident memory {} MiB before them, {} MiB with them",
        rss_before / 1024,
        rss_stalled / 1024
    );
    assert!(
        fresh < Duration::from_secs(1),
        "a fresh scrape took {fresh:?} while {STALLED} clients stalled"
    );
    // At most `max_scrapes` exports are held, each with a few chunks of 32 KiB.
    let grown = rss_stalled.saturating_sub(rss_before);
    assert!(
        grown < 64 * 1024,
        "{grown} KiB more with the stalled clients"
    );
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_connections_past_their_cap_are_closed_and_room_comes_back() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _alone = ALONE.lock().await;
    let (_, addr) = serve(3, Limits::default().max_connections(2)).await;
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(connect_from("127.0.0.1", addr, None).await.unwrap());
    }
    // Let the server accept both before the third arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let scrape = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut third = connect_from("127.0.0.1", addr, None).await.unwrap();
    let _ = third.write_all(scrape).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut answer))
        .await
        .expect("a connection past the cap was kept open");
    assert!(read.is_err() || answer.is_empty(), "answered past the cap");
    // One of the two goes: a new connection is served.
    drop(idle.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = connect_from("127.0.0.1", addr, None).await.unwrap();
    fourth.write_all(scrape).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), fourth.read_to_end(&mut answer))
        .await
        .expect("the freed room was not given back")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
