//! The exact Prometheus text and OpenMetrics output of every shape of metric.

use meterstick::{Counter, Family, Gauge, Histogram, Metrics, Registry};

#[derive(Metrics)]
#[metrics(prefix = "mta")]
struct Mta {
    /// messages delivered, per service
    #[metric(label = "service")]
    delivered_total: Family<Counter>,

    /// connections ever made
    connections: Counter,

    /// messages ready, per service and queue
    #[metric(labels("service", "queue"))]
    ready: Family<Gauge, (String, String)>,

    #[metric(help = "help with a \\ backslash,\na newline and \"quotes\"")]
    balance: Gauge,

    /// delivery time, in seconds
    #[metric(buckets = [0.25, 1, 2.5])]
    delivery_seconds: Histogram,

    /// lookup time per resolver, in seconds
    #[metric(label = "resolver", buckets = [1.0])]
    lookup_seconds: Family<Histogram>,

    /// nobody is waiting yet
    #[metric(label = "queue")]
    waiting: Family<Gauge>,
}

fn registry() -> Registry {
    let registry = Registry::new();
    let m = registry.register(Mta::new()).unwrap();
    m.delivered_total.inc_by("smtp_client", 46);
    m.delivered_total
        .inc("quote \" back\\slash new\nline caf\u{e9}");
    m.connections.inc_by(3);
    m.ready.set(("smtp_client", "example.com"), -2);
    m.ready.set(("esmtp", "b"), 7);
    m.balance.set(i64::MIN);
    m.delivery_seconds.observe(0.25);
    m.delivery_seconds.observe(2.0);
    m.delivery_seconds.observe(7.5);
    m.lookup_seconds.observe("local", 0.5);
    registry
}

const HISTOGRAM_TAIL_PROMETHEUS: &str = "\
# HELP mta_lookup_seconds lookup time per resolver, in seconds
# TYPE mta_lookup_seconds histogram
mta_lookup_seconds_bucket{resolver=\"local\",le=\"1.0\"} 1
mta_lookup_seconds_bucket{resolver=\"local\",le=\"+Inf\"} 1
mta_lookup_seconds_sum{resolver=\"local\"} 0.5
mta_lookup_seconds_count{resolver=\"local\"} 1
# HELP mta_ready messages ready, per service and queue
# TYPE mta_ready gauge
mta_ready{service=\"esmtp\",queue=\"b\"} 7
mta_ready{service=\"smtp_client\",queue=\"example.com\"} -2
# HELP mta_waiting nobody is waiting yet
# TYPE mta_waiting gauge
";

#[test]
fn prometheus_text() {
    let expected = [
        "# HELP mta_balance help with a \\\\ backslash,\\na newline and \"quotes\"\n",
        "# TYPE mta_balance gauge\n",
        "mta_balance -9223372036854775808\n",
        "# HELP mta_connections_total connections ever made\n",
        "# TYPE mta_connections_total counter\n",
        "mta_connections_total 3\n",
        "# HELP mta_delivered_total messages delivered, per service\n",
        "# TYPE mta_delivered_total counter\n",
        "mta_delivered_total{service=\"quote \\\" back\\\\slash new\\nline caf\u{e9}\"} 1\n",
        "mta_delivered_total{service=\"smtp_client\"} 46\n",
        "# HELP mta_delivery_seconds delivery time, in seconds\n",
        "# TYPE mta_delivery_seconds histogram\n",
        "mta_delivery_seconds_bucket{le=\"0.25\"} 1\n",
        "mta_delivery_seconds_bucket{le=\"1.0\"} 1\n",
        "mta_delivery_seconds_bucket{le=\"2.5\"} 2\n",
        "mta_delivery_seconds_bucket{le=\"+Inf\"} 3\n",
        "mta_delivery_seconds_sum 9.75\n",
        "mta_delivery_seconds_count 3\n",
        HISTOGRAM_TAIL_PROMETHEUS,
    ]
    .concat();
    let registry = registry();
    assert_eq!(registry.to_prometheus(), expected);
    let mut written = Vec::new();
    registry.write_prometheus(&mut written).unwrap();
    assert_eq!(written, expected.as_bytes());
}

#[test]
fn openmetrics_text() {
    let expected = [
        // OpenMetrics escapes quotes in help too.
        "# HELP mta_balance help with a \\\\ backslash,\\na newline and \\\"quotes\\\"\n",
        "# TYPE mta_balance gauge\n",
        "mta_balance -9223372036854775808\n",
        // Counter families are named without `_total`; their samples carry it, never twice.
        "# HELP mta_connections connections ever made\n",
        "# TYPE mta_connections counter\n",
        "mta_connections_total 3\n",
        "# HELP mta_delivered messages delivered, per service\n",
        "# TYPE mta_delivered counter\n",
        "mta_delivered_total{service=\"quote \\\" back\\\\slash new\\nline caf\u{e9}\"} 1\n",
        "mta_delivered_total{service=\"smtp_client\"} 46\n",
        "# HELP mta_delivery_seconds delivery time, in seconds\n",
        "# TYPE mta_delivery_seconds histogram\n",
        "mta_delivery_seconds_bucket{le=\"0.25\"} 1\n",
        "mta_delivery_seconds_bucket{le=\"1.0\"} 1\n",
        "mta_delivery_seconds_bucket{le=\"2.5\"} 2\n",
        "mta_delivery_seconds_bucket{le=\"+Inf\"} 3\n",
        "mta_delivery_seconds_sum 9.75\n",
        "mta_delivery_seconds_count 3\n",
        HISTOGRAM_TAIL_PROMETHEUS,
        "# EOF\n",
    ]
    .concat();
    let registry = registry();
    assert_eq!(registry.to_openmetrics(), expected);
    let mut written = Vec::new();
    registry.write_openmetrics(&mut written).unwrap();
    assert_eq!(written, expected.as_bytes());
}

#[derive(Metrics)]
struct Edges {
    /// a histogram without observations
    #[metric(buckets = [1.0])]
    idle: Histogram,
    /// a histogram that saw infinity
    #[metric(buckets = [1.0])]
    huge: Histogram,
    /// a histogram that saw NaN
    #[metric(buckets = [1.0])]
    odd: Histogram,
    /// a histogram that saw minus infinity
    #[metric(buckets = [1.0])]
    tiny: Histogram,
}

#[test]
fn histograms_without_observations_and_non_finite_sums() {
    let registry = Registry::new();
    let m = registry.register(Edges::new()).unwrap();
    m.huge.observe(f64::INFINITY);
    m.odd.observe(f64::NAN);
    m.tiny.observe(f64::NEG_INFINITY);
    let text = registry.to_prometheus();
    for expected in [
        "idle_bucket{le=\"1.0\"} 0\nidle_bucket{le=\"+Inf\"} 0\nidle_sum 0.0\nidle_count 0\n",
        "huge_bucket{le=\"1.0\"} 0\nhuge_bucket{le=\"+Inf\"} 1\nhuge_sum +Inf\nhuge_count 1\n",
        "odd_bucket{le=\"1.0\"} 0\nodd_bucket{le=\"+Inf\"} 1\nodd_sum NaN\nodd_count 1\n",
        "tiny_bucket{le=\"1.0\"} 1\ntiny_bucket{le=\"+Inf\"} 1\ntiny_sum -Inf\ntiny_count 1\n",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
    let om = registry.to_openmetrics();
    for expected in [
        "idle_bucket{le=\"+Inf\"} 0\nidle_sum 0.0\nidle_count 0\n",
        "huge_bucket{le=\"+Inf\"} 1\nhuge_sum +Inf\nhuge_count 1\n",
        // OpenMetrics forbids a NaN or negative `_sum`; the `+Inf` bucket still has the count.
        "odd_bucket{le=\"+Inf\"} 1\n# HELP tiny",
        "tiny_bucket{le=\"+Inf\"} 1\n# EOF\n",
    ] {
        assert!(om.contains(expected), "{expected} missing from\n{om}");
    }
}

#[test]
fn an_empty_registry() {
    let registry = Registry::new();
    assert_eq!(registry.to_prometheus(), "");
    assert_eq!(registry.to_openmetrics(), "# EOF\n");
}

#[test]
fn content_types() {
    assert_eq!(
        meterstick::PROMETHEUS_CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(
        meterstick::OPENMETRICS_CONTENT_TYPE,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert_eq!(meterstick::JSON_CONTENT_TYPE, "application/json");
}

/// The three formats carry the same samples: every JSON number appears in both texts.
#[test]
fn formats_agree_sample_for_sample() {
    let registry = registry();
    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    let text = registry.to_prometheus();
    let om = registry.to_openmetrics();
    assert_eq!(json["mta_connections"]["value"], serde_json::json!(3.0));
    // A counter declared without `_total` has it in both text formats: one series name.
    assert!(
        text.contains("\nmta_connections_total 3\n") && om.contains("\nmta_connections_total 3\n")
    );
    assert_eq!(
        json["mta_delivered_total"]["value"]["service"]["smtp_client"],
        serde_json::json!(46.0)
    );
    assert!(text.contains("mta_delivered_total{service=\"smtp_client\"} 46\n"));
    let hist = &json["mta_delivery_seconds"]["value"];
    assert_eq!(hist["count"], serde_json::json!(3));
    assert_eq!(hist["sum"], serde_json::json!(9.75));
    assert_eq!(
        hist["bucket"],
        serde_json::json!([[0.25, 1], [1.0, 1], [2.5, 2]])
    );
    // One line per sample: 2 delivered, 1 connections, 2 ready, 1 balance, 6 and 4 histogram.
    let samples = |t: &str| t.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(samples(&text), 16);
    assert_eq!(samples(&om), 16);
}
