//! A real Prometheus server scrapes the endpoint, once with the Prometheus text format and once
//! with OpenMetrics negotiated, and its HTTP API must report the targets up and the registry's
//! values.
//!
//! Ignored by default: it needs the `prometheus` binary (Debian package `prometheus`). `.ci/run`
//! installs it and runs this with `--include-ignored`.

#![cfg(feature = "http")]

mod support;

#[path = "../examples/kumod/metrics.rs"]
mod kumod;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use meterstick::http::TrustedHosts;
use meterstick::{Counter, Family, Gauge, Histogram, Info, Metrics, Registry};
use serde_json::Value;
use support::{Sample, number_text, samples_from_json, sorted};

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
    let dir = std::env::temp_dir().join(format!("meterstick-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let child = Command::new("prometheus")
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

/// What Prometheus stored for `job`, less its own `up` and `scrape_*` series.
async fn stored_samples(
    client: &reqwest::Client,
    prometheus: &Prometheus,
    job: &str,
) -> Vec<Sample> {
    let query = format!("/api/v1/query?query=%7Bjob%3D%22{job}%22%7D");
    let Some(data) = api(client, prometheus, &query).await else {
        return Vec::new();
    };
    let mut samples: Vec<Sample> = data["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|series| {
            let metric = series["metric"].as_object().unwrap();
            let name = metric["__name__"].as_str().unwrap().to_owned();
            if name == "up" || name.starts_with("scrape_") {
                return None;
            }
            let labels: BTreeMap<String, String> = metric
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "__name__" | "job" | "instance"))
                .map(|(k, v)| {
                    let v = v.as_str().unwrap();
                    let v = match (k.as_str(), v.parse::<f64>()) {
                        ("le", Ok(f)) if f.is_finite() => number_text(&Value::from(f)),
                        _ => v.to_owned(),
                    };
                    (k.clone(), v)
                })
                .collect();
            let value: f64 = series["value"][1].as_str().unwrap().parse().unwrap();
            Some(Sample {
                name,
                labels,
                value: number_text(&Value::from(value)),
            })
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the prometheus server; see the module docs"]
async fn prometheus_scrapes_both_formats_and_stores_the_registry_values() {
    let registry = registry();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = listener.local_addr().unwrap();
    tokio::spawn(meterstick::http::serve_listener(
        listener,
        registry.clone(),
        TrustedHosts::default(),
    ));
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
