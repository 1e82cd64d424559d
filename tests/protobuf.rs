//! The protobuf exposition, read back by a decoder that is not ours: `protoc` compiles
//! Prometheus's `metrics.proto` and the `protobuf` package (PyPI) decodes the body with it.
//! Every sample equals the JSON document's; types, help, exemplars and constant labels are
//! what was declared.
//!
//! Ignored by default because they need outside tools; `.ci/run` installs them and runs these
//! with `--include-ignored`.

mod support;

use meterstick::{
    Counter, Family, Gauge, Histogram, Info, Metrics, NativeHistogram, NativeOptions, Registry,
};
use serde_json::Value;
use support::{
    decode_with_metrics_proto, sample_names, samples_from_json, samples_from_protobuf, sorted,
};

#[derive(Metrics)]
struct Service {
    /// Requests answered.
    requests: Counter,
    /// CPU seconds used.
    #[metric(unit = "seconds")]
    cpu_seconds: Counter<f64>,
    /// Connections open.
    connections: Gauge,
    /// Load average.
    load: Gauge<f64>,
    /// Messages sent, by domain and outcome.
    #[metric(labels("domain", "outcome"))]
    sent: Family<Counter, (String, String)>,
    /// Time to deliver, classic buckets.
    #[metric(buckets = [0.01, 0.1, 1.0])]
    delivery_seconds: Histogram,
    /// Time to answer, by route.
    #[metric(label = "route", buckets = [0.5, 2.0])]
    answer_seconds: Family<Histogram>,
    /// Size of a message, native.
    message_bytes: NativeHistogram,
    /// Queue wait, native, by queue.
    #[metric(label = "queue", schema = 1, max_buckets = 30, zero_threshold = 0.001)]
    wait_seconds: Family<NativeHistogram>,
    /// The build.
    #[metric(labels("version"))]
    build: Info<String>,
    /// Never touched: a family without series.
    #[metric(label = "k")]
    untouched: Family<Gauge>,
}

fn filled() -> (Registry, std::sync::Arc<Service>) {
    let registry = Registry::new();
    let m = registry.register(Service::new()).unwrap();
    m.requests.inc_by(41);
    m.requests
        .inc_with_exemplar(&[("trace_id", "abc123")])
        .unwrap();
    m.cpu_seconds.inc_by(1.25);
    m.connections.set(-7);
    m.load.set(0.30000000000000004);
    m.sent.inc_by(("example.com", "delivered"), 12);
    m.sent.inc(("quo\"te\\d\nnew", "ünïcode"));
    m.sent
        .inc_with_exemplar(
            ("example.com", "deferred"),
            &[("trace_id", "t-1"), ("span_id", "s-2")],
        )
        .unwrap();
    for v in [0.005, 0.05, 0.5, 5.0] {
        m.delivery_seconds.observe(v);
    }
    m.delivery_seconds
        .observe_with_exemplar(0.07, &[("trace_id", "slow")])
        .unwrap();
    m.answer_seconds.observe("/a", 1.0);
    m.answer_seconds.observe("/b", 3.0);
    for v in [0.0, 1.0, 1.5, 100.0, 1e6, -3.0, -0.25, 2.0e-40] {
        m.message_bytes.observe(v);
    }
    let mut x = 0.0001;
    while x < 1000.0 {
        m.wait_seconds.observe("fast", x);
        m.wait_seconds.observe("slow", x * 7.0);
        x *= 1.3;
    }
    m.wait_seconds.observe("fast", 0.0005);
    m.build.set("1.2.3");
    (registry, m)
}

#[test]
#[ignore = "needs protoc, Prometheus's metrics.proto and Python's protobuf; see tests/support/mod.rs"]
fn the_decoded_protobuf_equals_the_json_sample_for_sample() {
    let (registry, _m) = filled();
    let body = registry.to_protobuf();
    let families = decode_with_metrics_proto(&body);
    let names = sample_names(&registry);
    let from_json = sorted(samples_from_json(&registry.to_json(), |name, _| {
        names[name].clone()
    }));
    let from_protobuf = sorted(samples_from_protobuf(&families));
    assert_eq!(from_protobuf, from_json);
    assert!(from_json.len() > 60, "{} samples", from_json.len());

    // Types and help as declared; the family without series is left out.
    let by_name = |n: &str| {
        families
            .iter()
            .find(|f| f["name"] == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let kinds = [
        ("requests_total", "COUNTER"),
        ("cpu_seconds_total", "COUNTER"),
        ("connections", "GAUGE"),
        ("load", "GAUGE"),
        ("sent_total", "COUNTER"),
        ("delivery_seconds", "HISTOGRAM"),
        ("answer_seconds", "HISTOGRAM"),
        ("message_bytes", "HISTOGRAM"),
        ("wait_seconds", "HISTOGRAM"),
        ("build_info", "GAUGE"),
    ];
    for (name, kind) in kinds {
        // The protobuf JSON mapping leaves out a field at its default: COUNTER is 0.
        let found = by_name(name)
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("COUNTER");
        assert_eq!(found, kind, "{name}");
    }
    assert_eq!(families.len(), kinds.len());
    assert_eq!(by_name("load")["help"], "Load average.");

    // The native histograms are native: a schema and spans, no classic buckets.
    let native = &by_name("message_bytes")["metric"][0]["histogram"];
    assert_eq!(native["schema"], 3);
    assert!(native.get("bucket").is_none());
    assert_eq!(native["zero_count"], "2", "0.0 and 2e-40: {native}");
    let wait = &by_name("wait_seconds")["metric"];
    for series in wait.as_array().unwrap() {
        let h = &series["histogram"];
        assert_eq!(h["zero_threshold"], 0.001);
        assert!(h["schema"].as_i64().unwrap() <= 1);
        let buckets: usize = ["positive_delta", "negative_delta"]
            .iter()
            .map(|d| h[d].as_array().map_or(0, Vec::len))
            .sum();
        assert!(buckets <= 30, "{h}");
    }
}

#[test]
#[ignore = "needs protoc, Prometheus's metrics.proto and Python's protobuf; see tests/support/mod.rs"]
fn exemplars_are_written_with_their_labels_value_and_time() {
    let (registry, _m) = filled();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let families = decode_with_metrics_proto(&registry.to_protobuf());
    let by_name = |n: &str| families.iter().find(|f| f["name"] == n).unwrap();
    let seconds = |e: &Value| {
        let t = &e["timestamp"];
        t["seconds"].as_f64().unwrap() + t["nanos"].as_f64().unwrap() / 1e9
    };

    let counter = &by_name("requests_total")["metric"][0]["counter"];
    assert_eq!(counter["value"], 42.0);
    let e = &counter["exemplar"];
    assert_eq!(
        e["label"],
        serde_json::json!([{"name": "trace_id", "value": "abc123"}])
    );
    assert_eq!(e["value"], 1.0);
    assert!((before - seconds(e)).abs() < 60.0, "{e}");

    let sent = by_name("sent_total")["metric"].as_array().unwrap().clone();
    let deferred = sent
        .iter()
        .find(|m| m["label"][1]["value"] == "deferred")
        .unwrap();
    let labels = &deferred["counter"]["exemplar"]["label"];
    assert_eq!(
        labels[1],
        serde_json::json!({"name": "span_id", "value": "s-2"})
    );
    // The series without one has none.
    assert!(
        sent.iter()
            .filter(|m| m["counter"].get("exemplar").is_some())
            .count()
            == 1
    );

    // On the bucket the observation fell in (0.07: up to 0.1), and no other.
    let buckets = by_name("delivery_seconds")["metric"][0]["histogram"]["bucket"]
        .as_array()
        .unwrap()
        .clone();
    let with: Vec<&Value> = buckets
        .iter()
        .filter(|b| b.get("exemplar").is_some())
        .collect();
    assert_eq!(with.len(), 1);
    assert_eq!(with[0]["upper_bound"], 0.1);
    assert_eq!(with[0]["exemplar"]["value"], 0.07);
    assert_eq!(with[0]["exemplar"]["label"][0]["value"], "slow");
}

#[test]
#[ignore = "needs protoc, Prometheus's metrics.proto and Python's protobuf; see tests/support/mod.rs"]
fn constant_labels_come_first_on_every_series() {
    let registry = Registry::with_labels([("instance", "mx1"), ("region", "eu")]).unwrap();
    let m = registry.register(Service::new()).unwrap();
    m.sent.inc(("a", "b"));
    m.message_bytes.observe(3.0);
    m.requests.inc();
    let families = decode_with_metrics_proto(&registry.to_protobuf());
    let mut series = 0;
    for family in &families {
        for metric in family["metric"].as_array().unwrap() {
            let labels = metric["label"].as_array().unwrap();
            assert_eq!(
                labels[0],
                serde_json::json!({"name": "instance", "value": "mx1"})
            );
            assert_eq!(
                labels[1],
                serde_json::json!({"name": "region", "value": "eu"})
            );
            series += 1;
        }
    }
    // requests, cpu, connections, load, sent, delivery, message_bytes (the families with
    // series and the single metrics).
    assert_eq!(series, 7);
}

#[test]
#[ignore = "needs protoc, Prometheus's metrics.proto and Python's protobuf; see tests/support/mod.rs"]
fn a_native_histogram_without_observations_is_still_native() {
    let registry = Registry::new();
    let h = registry
        .native_histogram("idle_seconds", "nothing yet", NativeOptions::default())
        .unwrap();
    let families = decode_with_metrics_proto(&registry.to_protobuf());
    let histogram = &families[0]["metric"][0]["histogram"];
    // A span of no buckets marks it native for a reader that looks for spans.
    assert_eq!(
        histogram["positive_span"],
        serde_json::json!([{"offset": 0, "length": 0}])
    );
    assert_eq!(histogram["schema"], 3);
    h.observe(0.5);
    let families = decode_with_metrics_proto(&registry.to_protobuf());
    let histogram = &families[0]["metric"][0]["histogram"];
    assert_eq!(histogram["sample_count"], "1");
    assert_eq!(histogram["positive_span"][0]["length"], 1);
}
