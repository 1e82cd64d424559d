//! Native histograms and exemplars, written exactly: the documented form of a native histogram
//! in JSON and both text formats, exemplars in OpenMetrics and nowhere else, and the limits on
//! exemplar labels.

use meterstick::{
    Counter, ExemplarError, Family, Histogram, Metrics, NativeHistogram, NativeOptions, Registry,
};

#[derive(Metrics)]
struct Traced {
    /// requests answered
    requests: Counter,
    /// bytes sent per peer
    #[metric(label = "peer")]
    sent_bytes: Family<Counter<f64>>,
    /// time to deliver
    #[metric(buckets = [0.1, 1.0])]
    delivery_seconds: Histogram,
    /// time to answer
    #[metric(schema = 0, zero_threshold = 0.5)]
    answer_seconds: NativeHistogram,
}

fn traced() -> (Registry, std::sync::Arc<Traced>) {
    let registry = Registry::new();
    let m = registry.register(Traced::new()).unwrap();
    // At schema 0 the buckets are (1, 2], (2, 4], (4, 8]...; the zero bucket holds up to 0.5.
    for v in [0.25, 1.5, 3.0, 4.0, -3.0] {
        m.answer_seconds.observe(v);
    }
    (registry, m)
}

#[test]
fn a_native_histogram_in_json_is_a_classic_one_with_its_schema_and_zero_bucket() {
    let (registry, _m) = traced();
    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    assert_eq!(
        json["answer_seconds"],
        serde_json::json!({
            "help": "time to answer",
            "type": "histogram",
            "value": {
                "avg": 1.15,
                // -3 is in (-4, -2]: its upper bound is -2. Then the zero bucket, then 1.5 in
                // (1, 2], 3 and 4 in (2, 4].
                "bucket": [[-2.0, 1], [0.5, 2], [2.0, 3], [4.0, 5]],
                "count": 5,
                "schema": 0,
                "sum": 5.75,
                "zero_count": 1,
                "zero_threshold": 0.5
            }
        })
    );
}

#[test]
fn a_native_histogram_in_the_text_formats_is_a_classic_one() {
    let (registry, _m) = traced();
    let text = registry.to_prometheus();
    let expected = "\
# HELP answer_seconds time to answer
# TYPE answer_seconds histogram
answer_seconds_bucket{le=\"-2.0\"} 1
answer_seconds_bucket{le=\"0.5\"} 2
answer_seconds_bucket{le=\"2.0\"} 3
answer_seconds_bucket{le=\"4.0\"} 5
answer_seconds_bucket{le=\"+Inf\"} 5
answer_seconds_sum 5.75
answer_seconds_count 5
";
    assert!(text.contains(expected), "{text}");
    // OpenMetrics shows no sum beside buckets below zero: the `+Inf` bucket is the count.
    let om = registry.to_openmetrics();
    assert!(
        om.contains("answer_seconds_bucket{le=\"+Inf\"} 5\n# HELP"),
        "{om}"
    );
    assert!(!om.contains("answer_seconds_sum"), "{om}");
}

#[test]
fn exemplars_are_written_in_openmetrics_only() {
    let (registry, m) = traced();
    m.requests
        .inc_with_exemplar(&[("trace_id", "abc")])
        .unwrap();
    m.sent_bytes
        .inc_by_with_exemplar("mx", 2.5, &[("trace_id", "q\"uo\\te")])
        .unwrap();
    m.delivery_seconds
        .observe_with_exemplar(0.5, &[("trace_id", "slow"), ("span_id", "7")])
        .unwrap();
    let om = registry.to_openmetrics();
    let line = |prefix: &str| {
        om.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {om}"))
            .to_owned()
    };
    // `<sample> <value> # {<labels>} <value> <seconds>.<nanoseconds>`
    let exemplar_time = |l: &str| -> f64 { l.rsplit(' ').next().unwrap().parse().unwrap() };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let requests = line("requests_total ");
    assert!(
        requests.starts_with("requests_total 1 # {trace_id=\"abc\"} 1.0 "),
        "{requests}"
    );
    assert!((exemplar_time(&requests) - now).abs() < 60.0, "{requests}");
    let digits = requests.rsplit('.').next().unwrap();
    assert_eq!(digits.len(), 9, "nanoseconds: {requests}");
    let sent = line("sent_bytes_total{");
    assert!(
        sent.starts_with("sent_bytes_total{peer=\"mx\"} 2.5 # {trace_id=\"q\\\"uo\\\\te\"} 2.5 "),
        "{sent}"
    );
    let bucket = line("delivery_seconds_bucket{le=\"1.0\"}");
    assert!(
        bucket.starts_with(
            "delivery_seconds_bucket{le=\"1.0\"} 1 # {trace_id=\"slow\",span_id=\"7\"} 0.5 "
        ),
        "{bucket}"
    );
    // The other buckets have none; the Prometheus text and JSON show none at all.
    assert_eq!(om.matches(" # {").count(), 3, "{om}");
    let text = registry.to_prometheus();
    assert!(!text.contains(" # {"), "{text}");
    assert!(!registry.to_json().contains("trace_id"));
}

#[test]
fn the_latest_exemplar_is_kept_and_a_refused_one_changes_nothing() {
    let registry = Registry::new();
    let family = registry
        .family::<Counter, String>("hits", "hits per route", &["route"])
        .unwrap();
    family
        .inc_with_exemplar("/", &[("trace_id", "first")])
        .unwrap();
    family
        .inc_with_exemplar("/", &[("trace_id", "second")])
        .unwrap();
    // 128 characters in all is the most: `trace_id` is 8 of them.
    let longest = "x".repeat(120);
    family
        .inc_with_exemplar("/", &[("trace_id", &longest)])
        .unwrap();
    let too_long = "é".repeat(121);
    assert_eq!(
        family.inc_with_exemplar("/", &[("trace_id", &too_long)]),
        Err(ExemplarError::TooLong {
            chars: 129,
            max: 128
        })
    );
    assert!(matches!(
        family.inc_with_exemplar("/", &[("trace-id", "x")]),
        Err(ExemplarError::InvalidName { .. })
    ));
    // Every increment counted; the exemplar is the last one kept.
    assert_eq!(family.get("/"), Some(5));
    let series = family.with("/");
    let kept = series.exemplar().unwrap();
    assert_eq!(kept.labels().next(), Some(("trace_id", longest.as_str())));
    let om = registry.to_openmetrics();
    assert!(!om.contains('é'), "{om}");
    assert!(om.contains(&longest), "{om}");
    // Through the handle too.
    series
        .inc_by_with_exemplar(2, &[("trace_id", "handle")])
        .unwrap();
    assert_eq!(series.exemplar().unwrap().value(), 2.0);
}

#[test]
fn an_exemplar_goes_with_its_series() {
    let registry = Registry::new();
    let family = registry
        .family::<Histogram, String>("waits", "waits per queue", &["queue"])
        .unwrap();
    family
        .observe_with_exemplar("a", 0.2, &[("trace_id", "gone")])
        .unwrap();
    assert!(registry.to_openmetrics().contains("gone"));
    assert!(family.remove("a"));
    family.observe("a", 0.2);
    // The new series of the same label values starts without one.
    let om = registry.to_openmetrics();
    assert!(!om.contains("gone"), "{om}");
    assert!(family.with("a").exemplar(1).is_none());
}

#[test]
fn native_options_are_checked() {
    assert!(NativeOptions::new(-5, 10, 0.0).is_err());
    assert!(NativeOptions::new(8, 0, 0.0).is_err());
    assert!(NativeOptions::new(0, 10, -1.0).is_err());
    assert!(NativeOptions::new(0, 10, f64::NAN).is_err());
    let options = NativeOptions::new(-4, 1, 1e-9).unwrap();
    assert_eq!(
        (
            options.schema(),
            options.max_buckets(),
            options.zero_threshold()
        ),
        (-4, 1, 1e-9)
    );
    assert_eq!(NativeOptions::default().schema(), 3);
}

#[test]
fn an_exemplar_set_racing_scrapes_is_seen_whole() {
    // One thread gives a counter and a histogram bucket exemplars of two label pairs in turn;
    // another scrapes OpenMetrics (checked) and protobuf (made alongside). Each OpenMetrics
    // export shows one whole pair, never half of each, and every increment lands.
    let registry = Registry::new();
    let m = registry.register(Traced::new()).unwrap();
    let pairs = [
        ("a".repeat(40), "1".repeat(40)),
        ("b".repeat(40), "2".repeat(40)),
    ];
    let done = std::sync::atomic::AtomicBool::new(false);
    const ROUNDS: u64 = 20_000;
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..ROUNDS {
                let (trace, span) = &pairs[(i % 2) as usize];
                let labels = [("trace_id", trace.as_str()), ("span_id", span.as_str())];
                m.requests.inc_with_exemplar(&labels).unwrap();
                m.delivery_seconds
                    .observe_with_exemplar(0.5, &labels)
                    .unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let mut scrapes = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) || scrapes < 50 {
            let om = registry.to_openmetrics();
            for line in om.lines().filter(|l| l.contains(" # {")) {
                let whole = pairs.iter().any(|(t, sp)| {
                    line.contains(&format!("{{trace_id=\"{t}\",span_id=\"{sp}\"}}"))
                });
                assert!(whole, "{line}");
            }
            let families = meterstick::Registry::to_protobuf(&registry);
            assert!(!families.is_empty());
            scrapes += 1;
        }
    });
    assert_eq!(m.requests.get(), ROUNDS);
    assert_eq!(m.delivery_seconds.count(), ROUNDS);
}
