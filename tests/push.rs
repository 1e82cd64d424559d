//! Pushing to the real receivers: Prometheus's remote-write receiver, VictoriaMetrics and the
//! Pushgateway. Each gets a registry with counters, float gauges, families and histograms, and
//! every value is read back from the server's HTTP API. Then the failures: a receiver stopped
//! and started again, one that answers 500 before 200, one that answers 400, one that never
//! answers.
//!
//! The tests against real servers are ignored by default: they need the Debian packages
//! `prometheus`, `victoria-metrics` and `prometheus-pushgateway`, which `.ci/run` installs; it
//! runs these with `--include-ignored`.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meterstick::{Counter, Family, Gauge, Histogram, Metrics, Registry};
use meterstick_http::push::{PushError, Pushgateway, RemoteWrite};
use support::servers::{Server, label_text, query_samples};
use support::{Sample, sample_names, samples_from_json, sorted};

#[derive(Metrics)]
struct Batch {
    /// messages handled
    handled: Counter,
    /// the load average
    load: Gauge<f64>,
    /// messages per queue and outcome
    #[metric(labels("queue", "outcome"))]
    outcomes: Family<Counter, (String, String)>,
    /// free space per disk, as a ratio
    #[metric(label = "disk")]
    free_ratio: Family<Gauge<f64>>,
    /// time to handle a message
    #[metric(buckets = [0.1, 1.0, 10.0])]
    handle_seconds: Histogram,
}

fn registry() -> (Arc<Registry>, Arc<Batch>) {
    let registry = Arc::new(Registry::new());
    let m = registry.register(Batch::new()).unwrap();
    m.handled.inc_by(41);
    m.load.set(0.75);
    m.outcomes.inc_by(("bulk", "delivered"), 7);
    m.outcomes.inc(("bulk", "deferred"));
    m.outcomes.inc_by(("quo\"te/d", "ünï"), 3);
    m.free_ratio.set("sda", 0.5);
    m.free_ratio.set("sdb", -0.25);
    for v in [0.05, 0.5, 5.0, 50.0] {
        m.handle_seconds.observe(v);
    }
    (registry, m)
}

/// The samples a receiver must hold for `registry` pushed with `labels`: the JSON document's,
/// each with the labels added, and the pushers' own count.
fn expected(registry: &Registry, labels: &[(&str, &str)]) -> Vec<Sample> {
    let names = sample_names(registry);
    let samples = samples_from_json(&registry.to_json(), |name, _| names[name].clone());
    sorted(
        samples
            .into_iter()
            .filter(|s| !s.name.starts_with("meterstick_"))
            .map(|mut s| {
                s.labels
                    .extend(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())));
                s.labels = s
                    .labels
                    .into_iter()
                    .map(|(k, v)| {
                        let v = label_text(&k, &v);
                        (k, v)
                    })
                    .collect();
                s
            })
            .collect(),
    )
}

/// What `base` holds for `job`, less meterstick's own counts, polled until it has as many
/// samples as `expected` (or 60 s).
async fn stored(base: &str, job: &str, expected: &[Sample]) -> Vec<Sample> {
    let client = reqwest::Client::new();
    let selector = format!("{{job=\"{job}\"}}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut samples = query_samples(&client, base, &selector).await;
        samples.retain(|s| !s.name.starts_with("meterstick_"));
        if samples == expected || Instant::now() > deadline {
            return samples;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn prometheus_receiver() -> Server {
    Server::start(
        "prometheus",
        &[
            "--config.file={dir}/prometheus.yml",
            "--storage.tsdb.path={dir}/data",
            "--web.listen-address=127.0.0.1:{port}",
            "--web.enable-remote-write-receiver",
        ],
        &[("prometheus.yml", "global:\n  scrape_interval: 1m\n")],
        "/-/ready",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the prometheus server; see the module docs"]
async fn remote_write_reaches_prometheus_with_every_value() {
    let server = prometheus_receiver();
    push_and_read_back(&server.base).await;
}

/// Pushes the registry of [`registry`] by remote write to the receiver at `base`, and checks
/// that its query API gives back every sample, with the pusher's labels.
async fn push_and_read_back(base: &str) {
    let (registry, _m) = registry();
    let labels = [("instance", "mx1"), ("job", "push")];
    let pusher = RemoteWrite::new(format!("{base}/api/v1/write"))
        .labels(labels)
        .start(registry.clone())
        .unwrap();
    pusher.flush().await.unwrap();
    let expected = expected(&registry, &labels);
    assert!(expected.len() > 12, "{expected:?}");
    assert_eq!(stored(base, "push", &expected).await, expected);
    pusher.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs victoria-metrics; see the module docs"]
async fn remote_write_reaches_victoria_metrics_with_every_value() {
    let server = Server::start(
        "victoria-metrics",
        &[
            "-storageDataPath={dir}/data",
            "-httpListenAddr=127.0.0.1:{port}",
            "-search.latencyOffset=0s",
            "-search.disableCache",
        ],
        &[],
        "/health",
    );
    push_and_read_back(&server.base).await;
}

/// The samples the Pushgateway serves, less its own and meterstick's.
async fn gateway_samples(base: &str) -> Vec<Sample> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let families = support::parse_with_python(&[("prometheus", &text)]);
    let Ok(families) = &families[0] else {
        panic!("{families:?}");
    };
    sorted(
        support::all_samples(families)
            .into_iter()
            .filter(|s| {
                !s.name.starts_with("push_")
                    && !s.name.starts_with("pushgateway_")
                    && !s.name.starts_with("go_")
                    && !s.name.starts_with("process_")
                    && !s.name.starts_with("meterstick_")
            })
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs prometheus-pushgateway; see the module docs"]
async fn the_pushgateway_keeps_puts_adds_and_deletes() {
    let server = Server::start(
        "prometheus-pushgateway",
        // A file of its own: Debian's gateway otherwise keeps what it was pushed in a file
        // shared by every gateway on the machine.
        &[
            "--web.listen-address=127.0.0.1:{port}",
            "--persistence.file={dir}/pushgateway.db",
        ],
        &[],
        "/-/ready",
    );
    let (registry, _m) = registry();
    // A grouping value with a slash goes in base64.
    let gateway = Pushgateway::new(&server.base, "nightly").grouping([("instance", "mx1/a")]);
    gateway.push(&registry).await.unwrap();
    let labels = [("instance", "mx1/a"), ("job", "nightly")];
    assert_eq!(
        gateway_samples(&server.base).await,
        expected(&registry, &labels)
    );

    // `push_add` adds a metric and keeps the others; `push` replaces them all.
    let other = Registry::new();
    other.gauge("extra", "one more").unwrap().set(3);
    gateway.push_add(&other).await.unwrap();
    let after_add = gateway_samples(&server.base).await;
    assert!(after_add.iter().any(|s| s.name == "extra"), "{after_add:?}");
    assert!(after_add.iter().any(|s| s.name == "handled_total"));
    gateway.push(&other).await.unwrap();
    let after_put = gateway_samples(&server.base).await;
    assert!(after_put.iter().all(|s| s.name == "extra"), "{after_put:?}");

    gateway.delete().await.unwrap();
    assert!(gateway_samples(&server.base).await.is_empty());
    // Each request counted.
    let counts = registry.to_prometheus();
    assert!(
        counts
            .contains("meterstick_push_requests_total{pusher=\"pushgateway\",outcome=\"sent\"} 1"),
        "{counts}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the prometheus server; see the module docs"]
async fn a_receiver_stopped_and_started_again_gets_the_latest_values() {
    let mut server = prometheus_receiver();
    let (registry, m) = registry();
    let labels = [("job", "outage")];
    let pusher = RemoteWrite::new(format!("{}/api/v1/write", server.base))
        .labels(labels)
        .interval(Duration::from_millis(200))
        .request_timeout(Duration::from_secs(1))
        .start(registry.clone())
        .unwrap();
    pusher.flush().await.unwrap();
    server.stop();
    // Updates go on, at full speed, while nothing receives; pushes fail and are retried.
    let started = Instant::now();
    for _ in 0..1_000_000 {
        m.handled.inc();
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    // Memory stays flat while every push fails: nothing is queued. After a first second of
    // failures (the client's pools made), four more seconds of them.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = support::proc_status_kib("VmRSS");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let grown = support::proc_status_kib("VmRSS").saturating_sub(before);
    eprintln!("resident memory grew {grown} KiB over 4 s of failing pushes");
    assert!(grown < 4 * 1024, "{grown} KiB");
    assert!(matches!(pusher.flush().await, Err(PushError::Transport(_))));
    server.restart("/-/ready");
    // The next pushes carry what the registry holds now: nothing it still holds is lost.
    let expected = expected(&registry, &labels);
    assert!(
        expected
            .iter()
            .any(|s| s.name == "handled_total" && s.value == "1000041.0")
    );
    assert_eq!(stored(&server.base, "outage", &expected).await, expected);
    let counts = registry.to_json();
    let json: serde_json::Value = serde_json::from_str(&counts).unwrap();
    let requests = json["meterstick_push_requests_total"]["value"]
        .as_array()
        .unwrap()
        .clone();
    let count = |outcome: &str| {
        requests
            .iter()
            .find(|e| e["pusher"] == "remote_write" && e["outcome"] == outcome)
            .and_then(|e| e["@"].as_f64())
            .unwrap_or(0.0)
    };
    assert!(
        count("failed") >= 2.0 && count("sent") >= 2.0,
        "{requests:?}"
    );
    pusher.shutdown().await.unwrap();
}

/// A receiver that answers each request with the next status of `statuses` (the last one
/// again once they run out), or never answers while `statuses` is empty; counts requests.
async fn scripted_receiver(statuses: Vec<u16>) -> (String, Arc<AtomicUsize>) {
    use axum::http::StatusCode;
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    let app = axum::Router::new().route(
        "/api/v1/write",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            let statuses = statuses.clone();
            async move {
                // Every request is a valid snappy-compressed body.
                assert!(snap::raw::Decoder::new().decompress_vec(&body).is_ok());
                let n = seen.fetch_add(1, Ordering::SeqCst);
                match statuses.get(n).or(statuses.last()) {
                    Some(status) => StatusCode::from_u16(*status).unwrap(),
                    None => std::future::pending().await,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1/write", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_500_then_200_is_retried_until_it_takes_the_push() {
    let (url, requests) = scripted_receiver(vec![500, 503, 500, 200]).await;
    let (registry, _m) = registry();
    let pusher = RemoteWrite::new(url)
        .interval(Duration::from_secs(60))
        .start(registry.clone())
        .unwrap();
    let started = Instant::now();
    pusher.flush().await.unwrap();
    assert_eq!(requests.load(Ordering::SeqCst), 4);
    // Three waits of 125-250, 250-500 and 500-1000 ms.
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(875), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    let text = registry.to_prometheus();
    assert!(text.contains("outcome=\"failed\"} 3"), "{text}");
    assert!(text.contains("outcome=\"sent\"} 1"), "{text}");
    pusher.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_push_is_dropped_and_counted_not_retried() {
    keep_log();
    let (url, requests) = scripted_receiver(vec![400]).await;
    let (registry, _m) = registry();
    let pusher = RemoteWrite::new(url)
        .interval(Duration::from_secs(60))
        .start(registry.clone())
        .unwrap();
    let refused = pusher.flush().await.unwrap_err();
    assert!(
        matches!(refused, PushError::Status { status: 400, .. }),
        "{refused}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    assert!(
        registry.to_prometheus().contains(
            "meterstick_push_requests_total{pusher=\"remote_write\",outcome=\"refused\"} 1"
        )
    );
    assert_eq!(refusals_logged(), 1);
    // The next push is tried again: a refusal drops one request, not the pusher.
    assert!(pusher.flush().await.is_err());
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    pusher.shutdown().await.unwrap_err();
    // Three refusals counted (the last push at shutdown among them), one logged.
    assert_eq!(requests.load(Ordering::SeqCst), 3);
    assert!(
        registry.to_prometheus().contains(
            "meterstick_push_requests_total{pusher=\"remote_write\",outcome=\"refused\"} 3"
        )
    );
    assert_eq!(refusals_logged(), 1);
}

/// What the pushers of this process logged, kept by the logger [`keep_log`] installs.
static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Keep;

impl log::Log for Keep {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        if record.target().starts_with("meterstick") {
            let line = format!("{} {}", record.level(), record.args());
            LOGGED.lock().unwrap().push(line);
        }
    }

    fn flush(&self) {}
}

fn keep_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Keep).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// How many warnings of a refused push were logged. (No other test of this file has a push
/// refused.)
fn refusals_logged() -> usize {
    let logged = LOGGED.lock().unwrap();
    logged
        .iter()
        .filter(|l| l.starts_with("WARN") && l.contains("was refused"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_neither_blocks_updates_nor_shutdown() {
    let (url, requests) = scripted_receiver(Vec::new()).await;
    let (registry, m) = registry();
    let pusher = RemoteWrite::new(url)
        .interval(Duration::from_millis(100))
        .request_timeout(Duration::from_millis(300))
        .shutdown_timeout(Duration::from_millis(500))
        .start(registry.clone())
        .unwrap();
    // While requests hang, updates go on; at most one request is in flight at a time.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        m.handled.inc();
        m.outcomes.inc(("bulk", "delivered"));
        tokio::task::yield_now().await;
    }
    let made = requests.load(Ordering::SeqCst);
    // Two seconds of 300 ms timeouts and backoff: a handful, never a pile.
    assert!((2..=10).contains(&made), "{made} requests");
    let started = Instant::now();
    let last = pusher.shutdown().await;
    assert!(last.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn bad_urls_and_labels_are_refused_at_start() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let registry = Arc::new(Registry::with_labels([("instance", "a")]).unwrap());
        let start = |pusher: RemoteWrite| pusher.start(registry.clone()).map(|_| ());
        assert!(matches!(
            start(RemoteWrite::new("nope")),
            Err(PushError::Invalid(_))
        ));
        assert!(matches!(
            start(RemoteWrite::new("ftp://x/")),
            Err(PushError::Invalid(_))
        ));
        let bad_key = RemoteWrite::new("http://x/").labels([("1x", "v")]);
        assert!(matches!(start(bad_key), Err(PushError::Invalid(_))));
        let twice = RemoteWrite::new("http://x/").labels([("instance", "b")]);
        assert!(matches!(start(twice), Err(PushError::Invalid(_))));
    });
}

#[derive(Metrics)]
struct Service {
    /// requests answered
    requests: Counter,
    /// CPU time, in seconds
    #[metric(unit = "seconds")]
    cpu_seconds: Counter<f64>,
    /// connections per listener
    #[metric(label = "listener")]
    connections: Family<Gauge>,
    /// time to answer, in seconds
    #[metric(buckets = [0.1, 1.0])]
    answer_seconds: Histogram,
    /// size of a message, in bytes, in sparse exponential buckets
    #[metric(schema = 0)]
    message_bytes: meterstick::NativeHistogram,
    /// the build
    #[metric(labels("version"))]
    build: meterstick::Info<String>,
}

/// The requests an OTLP receiver decoded with `opentelemetry-proto`, one JSON object each.
fn received(file: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Python's opentelemetry-proto; see the module docs"]
async fn otlp_is_read_by_opentelemetry_proto_point_for_point() {
    let dir = std::env::temp_dir().join(format!("meterstick-otlp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("requests.jsonl");
    let port = support::servers::free_port();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/otlp_receiver.py"
    );
    let mut receiver = std::process::Command::new(support::python())
        .arg(script)
        .arg(port.to_string())
        .arg(&out)
        .spawn()
        .expect("start the receiver");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the OTLP receiver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    let registry = Arc::new(Registry::with_labels([("region", "eu")]).unwrap());
    let m = registry.register(Service::new()).unwrap();
    m.requests.inc_by(5);
    m.cpu_seconds.inc_by(0.25);
    m.connections.set("smtp", 3);
    m.connections.set("http", -1);
    for v in [0.05, 0.5, 5.0] {
        m.answer_seconds.observe(v);
    }
    for v in [3.0, 3.5, 100.0, 0.0, -6.0] {
        m.message_bytes.observe(v);
    }
    m.build.set("1.2.3");
    let pusher = meterstick_http::push::Otlp::new(format!("http://127.0.0.1:{port}/v1/metrics"))
        .resource([("service.name", "kumod"), ("host.name", "mx1")])
        .start(registry.clone())
        .unwrap();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as f64;
    pusher.flush().await.unwrap();
    pusher.shutdown().await.unwrap();
    let _ = receiver.kill();
    let _ = receiver.wait();
    let requests = received(&out);
    let _ = std::fs::remove_dir_all(&dir);
    // The flush and the last push.
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0]["content_type"], "application/x-protobuf");
    let rm = &requests[0]["request"]["resource_metrics"][0];
    let attributes: Vec<(String, String)> = rm["resource"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
            (text(&a["key"]), text(&a["value"]["string_value"]))
        })
        .collect();
    assert_eq!(
        attributes,
        [
            ("service.name".into(), "kumod".into()),
            ("host.name".into(), "mx1".into())
        ]
    );
    let scope = &rm["scope_metrics"][0];
    assert_eq!(scope["scope"]["name"], "meterstick");
    let metric = |name: &str| {
        scope["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {scope}"))
            .clone()
    };
    let attrs = |point: &serde_json::Value| -> Vec<(String, String)> {
        point["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                (
                    a["key"].as_str().unwrap().to_owned(),
                    a["value"]["string_value"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let eu = ("region".to_owned(), "eu".to_owned());
    // Counters: monotonic cumulative sums, with their times.
    for (name, value) in [("requests", 5.0), ("cpu_seconds", 0.25)] {
        let sum = &metric(name)["sum"];
        assert_eq!(
            sum["aggregation_temporality"],
            "AGGREGATION_TEMPORALITY_CUMULATIVE"
        );
        assert_eq!(sum["is_monotonic"], true);
        let point = &sum["data_points"][0];
        assert_eq!(point["as_double"], value);
        assert_eq!(attrs(point), std::slice::from_ref(&eu));
        let start: f64 = point["start_time_unix_nano"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let time: f64 = point["time_unix_nano"].as_str().unwrap().parse().unwrap();
        assert!(start <= time && (time - before).abs() < 60e9, "{point}");
    }
    assert_eq!(metric("cpu_seconds")["unit"], "seconds");
    assert_eq!(metric("requests")["description"], "requests answered");
    // Gauges, a point per series.
    let points = metric("connections")["gauge"]["data_points"]
        .as_array()
        .unwrap()
        .clone();
    let by_listener: Vec<(Vec<(String, String)>, f64)> = points
        .iter()
        .map(|p| (attrs(p), p["as_double"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        by_listener,
        [
            (vec![eu.clone(), ("listener".into(), "http".into())], -1.0),
            (vec![eu.clone(), ("listener".into(), "smtp".into())], 3.0)
        ]
    );
    let info = &metric("build")["gauge"]["data_points"][0];
    assert_eq!(info["as_double"], 1.0);
    assert_eq!(attrs(info)[1], ("version".into(), "1.2.3".into()));
    // A classic histogram: counts per bucket, not cumulative, the last for `+Inf`.
    let histogram = &metric("answer_seconds")["histogram"];
    assert_eq!(
        histogram["aggregation_temporality"],
        "AGGREGATION_TEMPORALITY_CUMULATIVE"
    );
    let point = &histogram["data_points"][0];
    assert_eq!(point["count"], "3");
    assert_eq!(point["sum"], 5.55);
    assert_eq!(point["bucket_counts"], serde_json::json!(["1", "1", "1"]));
    assert_eq!(point["explicit_bounds"], serde_json::json!([0.1, 1.0]));
    // A native histogram: exponential, at its schema as scale. At scale 0, OpenTelemetry's
    // bucket i holds (2^i, 2^(i+1)]: 3 and 3.5 in bucket 1, 100 in bucket 6 (64, 128], -6 in
    // negative bucket 2 (4, 8]; 0 in the zero bucket.
    let exponential = &metric("message_bytes")["exponential_histogram"];
    assert_eq!(
        exponential["aggregation_temporality"],
        "AGGREGATION_TEMPORALITY_CUMULATIVE"
    );
    let point = &exponential["data_points"][0];
    assert_eq!(point["count"], "5");
    assert_eq!(point["sum"], 100.5);
    assert_eq!(
        point.get("scale"),
        None,
        "scale 0 is the default, left out: {point}"
    );
    assert_eq!(point["zero_count"], "1");
    assert_eq!(point["positive"]["offset"], 1);
    assert_eq!(
        point["positive"]["bucket_counts"],
        serde_json::json!(["2", "0", "0", "0", "0", "1"])
    );
    assert_eq!(point["negative"]["offset"], 2);
    assert_eq!(point["negative"]["bucket_counts"], serde_json::json!(["1"]));
}
