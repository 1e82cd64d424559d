//! The exact `/metrics.json` output of every shape of metric.

use meterstick::{Counter, Family, Gauge, Histogram, Metrics, Registry};

fn json_of<T: meterstick::MetricGroup + serde::Serialize>(group: T) -> (String, std::sync::Arc<T>) {
    let registry = Registry::new();
    let group = registry.register(group).unwrap();
    (registry.to_json(), group)
}

/// Every encoder of the registry gives the same bytes.
fn assert_encoders_agree(registry: &Registry) -> String {
    let json = registry.to_json();
    assert_eq!(json, serde_json::to_string(registry).unwrap());
    let pretty: serde_json::Value = serde_json::from_str(&registry.to_json_pretty()).unwrap();
    let compact: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(pretty, compact);
    json
}

#[derive(Metrics)]
struct Several {
    /// messages ready, per service and queue
    #[metric(gauge, labels("service", "queue"))]
    ready: Family<Gauge, (String, String)>,

    /// attempts per service, queue and result
    #[metric(labels("service", "queue", "result"))]
    attempts: Family<Counter, (String, String, String)>,
}

#[test]
fn several_label_keys_are_an_array_sorted_by_values() {
    let registry = Registry::new();
    let m = registry.register(Several::new()).unwrap();
    m.ready.set(("smtp_client", "gmail.com"), 46);
    m.ready.set(("esmtp", "b.example"), -3);
    m.ready.set(("esmtp", "a.example"), 7);
    m.attempts.inc(("smtp_client", "gmail.com", "ok"));
    let json = assert_encoders_agree(&registry);
    assert_eq!(
        json,
        concat!(
            r#"{"attempts":{"help":"attempts per service, queue and result","type":"counter","value":"#,
            r#"[{"service":"smtp_client","queue":"gmail.com","result":"ok","@":1.0}]},"#,
            r#""ready":{"help":"messages ready, per service and queue","type":"gauge","value":["#,
            r#"{"service":"esmtp","queue":"a.example","@":7.0},"#,
            r#"{"service":"esmtp","queue":"b.example","@":-3.0},"#,
            r#"{"service":"smtp_client","queue":"gmail.com","@":46.0}]}}"#
        )
    );
}

#[derive(Metrics)]
struct Empty {
    /// nothing yet
    #[metric(label = "service")]
    one: Family<Counter>,
    /// nothing yet either
    #[metric(labels("a", "b"))]
    two: Family<Gauge, (String, String)>,
}

#[test]
fn an_empty_family_is_null() {
    let registry = Registry::new();
    let m = registry.register(Empty::new()).unwrap();
    let expected = concat!(
        r#"{"one":{"help":"nothing yet","type":"counter","value":null},"#,
        r#""two":{"help":"nothing yet either","type":"gauge","value":null}}"#
    );
    assert_eq!(assert_encoders_agree(&registry), expected);
    m.one.inc("x");
    m.one.remove("x");
    m.two.set(("a", "b"), 1);
    m.two.clear();
    assert_eq!(assert_encoders_agree(&registry), expected);
}

#[derive(Metrics)]
#[metrics(prefix = "smtp")]
struct Latency {
    /// how long a delivery attempt takes, in seconds
    #[metric(histogram, buckets = [0.01, 0.1, 1.0, 10])]
    delivery_seconds: Histogram,

    /// how long a DNS lookup takes, per resolver
    #[metric(label = "resolver", buckets = [0.5, 1])]
    dns_seconds: Family<Histogram>,
}

#[test]
fn histogram_without_observations() {
    let (json, _) = json_of(Latency::new());
    assert_eq!(
        json,
        concat!(
            r#"{"smtp_delivery_seconds":{"help":"how long a delivery attempt takes, in seconds","#,
            r#""type":"histogram","value":{"avg":null,"bucket":[[0.01,0],[0.1,0],[1.0,0],[10.0,0]],"#,
            r#""count":0,"sum":0.0}},"#,
            r#""smtp_dns_seconds":{"help":"how long a DNS lookup takes, per resolver","#,
            r#""type":"histogram","value":null}}"#
        )
    );
}

#[test]
fn histogram_with_observations() {
    let registry = Registry::new();
    let m = registry.register(Latency::new()).unwrap();
    for v in [0.25, 0.5, 4.0, 100.0, 0.01] {
        m.delivery_seconds.observe(v);
    }
    m.dns_seconds.observe("local", 0.75);
    m.dns_seconds.with("remote").observe(2.0);
    assert_eq!(
        assert_encoders_agree(&registry),
        concat!(
            r#"{"smtp_delivery_seconds":{"help":"how long a delivery attempt takes, in seconds","#,
            r#""type":"histogram","value":{"avg":20.952,"bucket":[[0.01,1],[0.1,1],[1.0,3],[10.0,4]],"#,
            r#""count":5,"sum":104.76}},"#,
            r#""smtp_dns_seconds":{"help":"how long a DNS lookup takes, per resolver","#,
            r#""type":"histogram","value":{"resolver":{"#,
            r#""local":{"avg":0.75,"bucket":[[0.5,0],[1.0,1]],"count":1,"sum":0.75},"#,
            r#""remote":{"avg":2.0,"bucket":[[0.5,0],[1.0,0]],"count":1,"sum":2.0}}}}}"#
        )
    );
}

#[derive(Metrics)]
struct NonFinite {
    /// observations that are not numbers
    odd: Histogram,
}

#[test]
fn non_finite_numbers_are_null() {
    let registry = Registry::new();
    let m = registry.register(NonFinite::new()).unwrap();
    m.odd.observe(f64::INFINITY);
    let json = assert_encoders_agree(&registry);
    assert!(json.contains(r#""count":1,"sum":null"#), "{json}");
    assert!(json.contains(r#""avg":null"#), "{json}");
    m.odd.observe(f64::NAN);
    let json = assert_encoders_agree(&registry);
    assert!(json.contains(r#"[10.0,0]],"count":2,"sum":null"#), "{json}");
}

#[derive(Metrics)]
struct Odd {
    /// values with every kind of character
    #[metric(label = "value")]
    seen: Family<Gauge>,
}

#[test]
fn label_values_are_escaped_and_round_trip() {
    let registry = Registry::new();
    let m = registry.register(Odd::new()).unwrap();
    let values = [
        "quote \" in",
        "back\\slash",
        "new\nline\r\ttab",
        "\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}",
        "caf\u{e9} \u{65e5}\u{672c} \u{1f4e8}",
        "",
    ];
    for (i, v) in values.iter().enumerate() {
        m.seen.set(v, i as i64);
    }
    let json = assert_encoders_agree(&registry);
    let expected_escapes = [
        r#""quote \" in":0.0"#,
        r#""back\\slash":1.0"#,
        r#""new\nline\r\ttab":2.0"#,
        "\"\\u0000\\u0001\\b\\f\\u001f\u{7f}\":3.0",
        "\"caf\u{e9} \u{65e5}\u{672c} \u{1f4e8}\":4.0",
        r#""":5.0"#,
    ];
    for e in expected_escapes {
        assert!(json.contains(e), "{e} missing from {json}");
    }
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let series = &parsed["seen"]["value"]["value"];
    for (i, v) in values.iter().enumerate() {
        assert_eq!(series[*v], serde_json::json!(i as f64), "value {v:?}");
    }
    assert_eq!(series.as_object().unwrap().len(), values.len());
}

/// The help text of a metric is the first paragraph of its doc comment,
/// joined into one line.
///
/// Later paragraphs are not part of it.
#[derive(Metrics)]
#[metrics(prefix = "app")]
struct Attributes {
    /// first line
    /// second line
    ///
    /// not this paragraph
    joined: Counter,

    /// ignored, because `help` wins
    #[metric(
        help = "the help \"attribute\"\nwith a newline",
        name = "renamed_total"
    )]
    original_name: Counter,

    #[metric(skip)]
    #[allow(dead_code)]
    not_a_metric: Vec<u8>,

    /// a gauge of a raw identifier
    r#type: Gauge,
}

#[test]
fn help_name_prefix_and_skip() {
    let (json, m) = json_of(Attributes::new());
    assert!(m.not_a_metric.is_empty());
    assert_eq!(
        json,
        concat!(
            r#"{"app_joined":{"help":"first line second line","type":"counter","value":0.0},"#,
            r#""app_renamed_total":{"help":"the help \"attribute\"\nwith a newline","#,
            r#""type":"counter","value":0.0},"#,
            r#""app_type":{"help":"a gauge of a raw identifier","type":"gauge","value":0.0}}"#
        )
    );
}

#[test]
fn descriptors_describe_every_metric() {
    let registry = Registry::new();
    registry.register(Latency::new()).unwrap();
    registry.register(Several::new()).unwrap();
    let all = registry.describe();
    let described: Vec<_> = all
        .iter()
        .map(|d| {
            (
                d.name(),
                d.kind().as_str(),
                d.label_keys().iter().collect::<Vec<_>>(),
                d.buckets(),
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            (
                "attempts",
                "counter",
                vec!["service", "queue", "result"],
                None
            ),
            ("ready", "gauge", vec!["service", "queue"], None),
            (
                "smtp_delivery_seconds",
                "histogram",
                vec![],
                Some(&[0.01, 0.1, 1.0, 10.0][..])
            ),
            (
                "smtp_dns_seconds",
                "histogram",
                vec!["resolver"],
                Some(&[0.5, 1.0][..])
            ),
        ]
    );
}

#[derive(Metrics)]
struct Outer {
    /// one of the outer metrics
    outer: Counter,
    #[metric(flatten)]
    inner: Inner,
}

#[derive(Metrics)]
struct Inner {
    /// one of the outer metrics
    #[metric(name = "outer")]
    clash: Gauge,
}

#[test]
fn a_duplicate_through_flatten_is_an_error() {
    let registry = Registry::new();
    let err = registry.register(Outer::new()).err().unwrap();
    assert_eq!(
        err,
        meterstick::RegistryError::DuplicateName {
            name: "outer".into()
        }
    );
    assert!(registry.describe().is_empty());
    assert_eq!(registry.to_json(), "{}");
}

#[test]
fn families_update_through_handles_and_borrowed_lookups() {
    let registry = Registry::new();
    let m = registry.register(Several::new()).unwrap();
    let owned = String::from("smtp_client");
    let handle = m.ready.with((owned.as_str(), "q"));
    handle.set(10);
    m.ready.add((&owned, "q"), 5);
    m.ready.sub(("smtp_client", "q"), 2);
    m.ready.inc(("smtp_client", "q"));
    m.ready.dec(("smtp_client", "q"));
    assert_eq!(handle.get(), 13);
    assert_eq!(m.ready.get(("smtp_client", "q")), Some(13));
    assert_eq!(m.ready.get(("nobody", "q")), None);
    assert!(m.ready.contains(("smtp_client", "q")));
    assert_eq!(m.ready.len(), 1);
    assert!(m.ready.remove(("smtp_client", "q")));
    assert!(!m.ready.remove(("smtp_client", "q")));
    // The handle outlives the series; updates through it are no longer exported.
    handle.inc();
    assert_eq!(handle.get(), 14);
    assert!(m.ready.is_empty());
    m.ready.inc(("smtp_client", "q"));
    assert_eq!(m.ready.get(("smtp_client", "q")), Some(1));
}
