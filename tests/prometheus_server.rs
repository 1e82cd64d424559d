//! A real Prometheus server scrapes the endpoint, once with the Prometheus text format and once
//! with OpenMetrics negotiated, and its HTTP API must report the targets up and the registry's
//! values. With native histograms and exemplar storage turned on, it negotiates protobuf, and
//! its query API must answer over a native histogram and give back the exemplars.
//!
//! Ignored by default: it needs the `prometheus` binary (Debian package `prometheus`). `.ci/run`
//! installs it and runs this with `--include-ignored`.

#![cfg(feature = "http")]

mod support;

#[path = "../examples/kumod/metrics.rs"]
mod kumod;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use meterstick::http::TrustedHosts;
use meterstick::{Counter, Family, Gauge, Histogram, Info, Metrics, Registry};
use serde_json::Value;
use support::{Sample, samples_from_json, sorted};

#[derive(Metrics)]
#[metrics(prefix = "extra")]
struct Extra {
    /// delivery time, in seconds
    #[metric(buckets = [0.1, 1.0, 10.0])]
    delivery_seconds: Histogram,

    /// messages ready, per service and queue
    #[metric(labels("service", "queue"))]
    ready: Family<Gauge, (String, String)>,

    /// messages sent: a counter declared without `_total`
    sent: Counter,

    /// CPU time spent sending, in seconds
    #[metric(unit = "seconds")]
    cpu_seconds_total: Counter<f64>,

    /// the load average
    load: Gauge<f64>,

    /// the version and commit of the build
    #[metric(labels("version", "commit"))]
    build: Info<(String, String)>,
}

fn registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    let m = registry.register(kumod::KumodMetrics::new()).unwrap();
    kumod::fill_with_seed_values(&m);
    let extra = registry.register(Extra::new()).unwrap();
    for v in [0.05, 0.5, 0.5, 20.0] {
        extra.delivery_seconds.observe(v);
    }
    extra.ready.set(("smtp_client", "quote \" back\\slash"), -7);
    extra
        .ready
        .set(("caf\u{e9} \u{65e5}\u{672c}", "new\nline"), 46);
    extra.sent.inc_by(12);
    extra.cpu_seconds_total.inc_by(0.125);
    extra.load.set(-1.5e-7);
    extra.build.set(("1.2.0", "8a4f"));
    registry
}

/// A Prometheus server in a scratch directory, stopped and removed on drop.
struct Prometheus {
    child: Child,
    dir: PathBuf,
    base: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_prometheus(target: std::net::SocketAddr) -> Prometheus {
    let config = format!(
        "global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: text
    params:
      format: [prometheus]
    static_configs:
      - targets: ['{target}']
  - job_name: openmetrics
    static_configs:
      - targets: ['{target}']
"
    );
    start_prometheus_with(&config, &[])
}

/// Starts Prometheus with this configuration and these further flags, in a scratch directory
/// of its own.
fn start_prometheus_with(config: &str, flags: &[&str]) -> Prometheus {
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("meterstick-prometheus-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let child = Command::new("prometheus")
        .args(flags)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start prometheus ({e}); install it with `apt-get install prometheus` \
                 (Debian), as .ci/run does"
            )
        });
    Prometheus {
        child,
        dir,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn api(client: &reqwest::Client, prometheus: &Prometheus, path: &str) -> Option<Value> {
    let response = client
        .get(format!("{}{path}", prometheus.base))
        .send()
        .await
        .ok()?;
    let json: Value = response.json_value().await?;
    (json["status"] == "success").then(|| json["data"].clone())
}

trait JsonValue {
    async fn json_value(self) -> Option<Value>;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Option<Value> {
        serde_json::from_str(&self.text().await.ok()?).ok()
    }
}

/// What Prometheus stored for `job`, less its own `up` and `scrape_*` series and the `job` and
/// `instance` labels it adds.
async fn stored_samples(
    client: &reqwest::Client,
    prometheus: &Prometheus,
    job: &str,
) -> Vec<Sample> {
    let selector = format!("{{job=\"{job}\"}}");
    let mut samples = support::servers::query_samples(client, &prometheus.base, &selector).await;
    for sample in &mut samples {
        sample.labels.retain(|k, _| k != "job" && k != "instance");
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples
}

/// Serves `registry` on a free port of the loopback address, which it returns.
async fn serve(registry: &Arc<Registry>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = listener.local_addr().unwrap();
    tokio::spawn(meterstick::http::serve_listener(
        listener,
        registry.clone(),
        TrustedHosts::default(),
    ));
    target
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the prometheus server; see the module docs"]
async fn prometheus_scrapes_both_formats_and_stores_the_registry_values() {
    let registry = registry();
    let target = serve(&registry).await;
    let prometheus = start_prometheus(target);
    let client = reqwest::Client::new();
    let json = registry.to_json();
    // Prometheus's data model has no empty label values: `queue=""` is stored as no `queue`.
    let as_stored = |samples: Vec<Sample>| {
        sorted(
            samples
                .into_iter()
                .map(|mut s| {
                    s.labels.retain(|_, v| !v.is_empty());
                    s
                })
                .collect(),
        )
    };
    // The same series names whichever format the server reads: the text formats' sample names.
    let names = support::sample_names(&registry);
    let expected = as_stored(samples_from_json(&json, |name, _| names[name].clone()));
    let (expected_text, expected_om) = (expected.clone(), expected);

    // The first scrape comes some seconds after start; wait for both jobs' samples.
    let deadline = Instant::now() + Duration::from_secs(90);
    let (mut text, mut om) = (Vec::new(), Vec::new());
    while Instant::now() < deadline {
        text = stored_samples(&client, &prometheus, "text").await;
        om = stored_samples(&client, &prometheus, "openmetrics").await;
        if text.len() >= expected_text.len() && om.len() >= expected_om.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let targets = api(&client, &prometheus, "/api/v1/targets")
        .await
        .expect("the targets API answers");
    let active = targets["activeTargets"].as_array().unwrap();
    assert_eq!(active.len(), 2, "{targets}");
    for t in active {
        assert_eq!(t["health"], "up", "{t}");
        assert_eq!(t["lastError"], "", "{t}");
    }

    // Both jobs hold exactly the registry's values, under one series name per metric: a
    // counter declared without `_total` gains it in both formats, a counter kept exact (the
    // KumoMTA names) keeps its name in both, an info metric is `<name>_info` in both.
    assert_eq!(text, expected_text, "job text");
    assert_eq!(om, expected_om, "job openmetrics");
    for job in [&text, &om] {
        let has = |name: &str| job.iter().any(|s| s.name == name);
        assert!(has("extra_sent_total") && !has("extra_sent"));
        assert!(has("total_messages_delivered") && !has("total_messages_delivered_total"));
        assert!(has("extra_cpu_seconds_total") && has("extra_build_info") && has("extra_load"));
    }
}

#[derive(Metrics)]
struct Traced {
    /// requests answered
    requests: Counter,
    /// time to answer, in sparse exponential buckets
    #[metric(unit = "seconds")]
    answer_seconds: meterstick::NativeHistogram,
    /// time to deliver, in classic buckets
    #[metric(buckets = [0.1, 1.0, 10.0])]
    delivery_seconds: Histogram,
}

/// The value of an instant query that gives one sample.
async fn scalar(client: &reqwest::Client, prometheus: &Prometheus, query: &str) -> Option<f64> {
    let path = format!("/api/v1/query?query={}", encode_query(query));
    let data = api(client, prometheus, &path).await?;
    data["result"][0]["value"][1].as_str()?.parse().ok()
}

/// `query` as a URL query value.
fn encode_query(query: &str) -> String {
    query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the prometheus server; see the module docs"]
async fn prometheus_reads_native_histograms_and_exemplars_over_protobuf() {
    let registry = Arc::new(Registry::new());
    let m = registry.register(Traced::new()).unwrap();
    // 1,000 observations from 1 ms to about 10 s, evenly spread in logarithm.
    let observations: Vec<f64> = (0..1000)
        .map(|i| 0.001 * 10f64.powf(4.0 * f64::from(i) / 1000.0))
        .collect();
    for v in &observations {
        m.answer_seconds.observe(*v);
    }
    m.requests.inc_by(6);
    m.requests
        .inc_with_exemplar(&[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")])
        .unwrap();
    m.delivery_seconds.observe(0.5);
    m.delivery_seconds
        .observe_with_exemplar(2.5, &[("trace_id", "00f067aa0ba902b7")])
        .unwrap();

    let target = serve(&registry).await;
    let config = format!(
        "global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: native
    static_configs:
      - targets: ['{target}']
"
    );
    let prometheus = start_prometheus_with(
        &config,
        &["--enable-feature=native-histograms,exemplar-storage"],
    );
    let client = reqwest::Client::new();

    let deadline = Instant::now() + Duration::from_secs(90);
    let mut count = None;
    while Instant::now() < deadline && count.is_none() {
        count = scalar(&client, &prometheus, "histogram_count(answer_seconds)").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let targets = api(&client, &prometheus, "/api/v1/targets").await.unwrap();
    let target = &targets["activeTargets"][0];
    assert_eq!(target["health"], "up", "{target}");
    assert_eq!(
        count,
        Some(1000.0),
        "histogram_count over the native histogram"
    );

    let sum: f64 = observations.iter().sum();
    let stored_sum = scalar(&client, &prometheus, "histogram_sum(answer_seconds)")
        .await
        .unwrap();
    assert!(
        (stored_sum - sum).abs() <= sum * 1e-12,
        "{stored_sum} against {sum}"
    );

    // Each quantile within the relative error of schema 3: a bucket spans a factor of
    // 2^(1/8), so a value interpolated in the right bucket is off by less than 9.05%.
    let error = 2f64.powf(1.0 / 8.0) - 1.0;
    for q in [0.1, 0.5, 0.9, 0.99] {
        let query = format!("histogram_quantile({q}, answer_seconds)");
        let stored = scalar(&client, &prometheus, &query).await.unwrap();
        let exact = observations[((q * 1000.0) as usize).min(999)];
        let off = (stored - exact).abs() / exact;
        assert!(
            off < error,
            "quantile {q}: {stored} against {exact} ({off:.4} off)"
        );
    }
    // Native: no classic bucket series were made of it.
    let classic = scalar(&client, &prometheus, "count(answer_seconds_bucket)").await;
    assert_eq!(classic, None);

    // The exemplars: the counter's, and the one of the bucket 2.5 fell in (le 10).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exemplars = |query: &str| {
        format!(
            "/api/v1/query_exemplars?query={}&start={}&end={}",
            encode_query(query),
            now - 600,
            now + 600
        )
    };
    let mut found = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        found = api(&client, &prometheus, &exemplars("requests_total"))
            .await
            .unwrap_or_default();
        if found.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let counter = &found[0]["exemplars"][0];
    assert_eq!(
        counter["labels"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736",
        "{found}"
    );
    assert_eq!(counter["value"], "1");
    let ts = counter["timestamp"].as_f64().unwrap();
    assert!((ts - now as f64).abs() < 600.0, "{counter}");

    let buckets = api(&client, &prometheus, &exemplars("delivery_seconds_bucket"))
        .await
        .unwrap();
    let series = buckets.as_array().unwrap();
    assert_eq!(series.len(), 1, "one bucket has an exemplar: {buckets}");
    // Prometheus spells the bound it read from protobuf `10.0`, from text `10`.
    let le: f64 = series[0]["seriesLabels"]["le"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(le, 10.0, "{buckets}");
    assert_eq!(
        series[0]["exemplars"][0]["labels"]["trace_id"],
        "00f067aa0ba902b7"
    );
    assert_eq!(series[0]["exemplars"][0]["value"], "2.5");
}
