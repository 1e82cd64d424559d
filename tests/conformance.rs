//! The text formats judged by the real tools: `promtool check metrics` and prometheus_client's
//! OpenMetrics and text parsers. Every parsed sample must equal the value in the JSON output.
//!
//! Ignored by default because they need outside tools; `.ci/run` installs them and runs these
//! with `--include-ignored`.

mod support;

#[path = "../examples/kumod/metrics.rs"]
mod kumod;

use meterstick::{
    Buckets, Counter, CounterFn, Family, Gauge, GaugeFn, Histogram, Info, Metrics, NativeHistogram,
    Registry,
};
use support::{all_samples, parse_with_python, parser_name, samples_from_json, sorted};

/// A registry with every shape the formats have to carry, named so that promtool's linter has
/// nothing to say.
#[derive(Metrics)]
#[metrics(prefix = "conformance")]
struct Shapes {
    /// messages delivered, per service
    #[metric(label = "service")]
    delivered_total: Family<Counter>,

    /// connections ever made
    connections_total: Counter,

    /// messages ready, per service and queue
    #[metric(labels("service", "queue"))]
    ready_messages: Family<Gauge, (String, String)>,

    /// a gauge that went below zero
    balance: Gauge,

    /// a help text with a backslash \ a "quote"
    /// and a line that is joined to it
    escapes: Gauge,

    #[metric(help = "a help text with a \\ backslash,\na newline and \"quotes\"")]
    raw_help: Gauge,

    /// delivery time, in seconds
    #[metric(buckets = [0.01, 0.1, 1.0, 10.0])]
    delivery_seconds: Histogram,

    /// lookup time per resolver, in seconds
    #[metric(label = "resolver", buckets = [0.5, 1.0])]
    lookup_seconds: Family<Histogram>,

    /// a histogram nobody observed yet
    idle_seconds: Histogram,
}

const ODD_VALUES: [&str; 7] = [
    "quote \" in",
    "back\\slash",
    "new\nline",
    "caf\u{e9} \u{65e5}\u{672c} \u{1f4e8}",
    "",
    "smtp_client:source2->",
    "tab\tand\rcr",
];

fn shapes() -> Registry {
    let registry = Registry::new();
    let m = registry.register(Shapes::new()).unwrap();
    for (i, v) in ODD_VALUES.iter().enumerate() {
        m.delivered_total.inc_by(v, i as u64 * 3);
        m.ready_messages.set((v, "q\"1\""), -(i as i64));
        m.lookup_seconds.observe(v, i as f64 * 0.25);
    }
    m.ready_messages.set(("esmtp", "example.com"), 46);
    m.connections_total.inc_by(u64::from(u32::MAX) * 3);
    m.balance.set(-152);
    m.escapes.set(1);
    m.raw_help.set(i64::MIN);
    for v in [0.005, 0.25, 0.5, 4.0, 100.0] {
        m.delivery_seconds.observe(v);
    }
    registry
}

#[test]
#[ignore = "needs promtool and prometheus_client; see tests/support/mod.rs"]
fn promtool_accepts_the_prometheus_text_without_findings() {
    let text = shapes().to_prometheus();
    let (code, printed) = support::promtool_check(&text);
    assert_eq!(code, 0, "promtool: {printed}\n{text}");
}

/// Every kind of the metric model, for the registry that uses every feature.
#[derive(Metrics)]
#[metrics(prefix = "model")]
struct EveryKind {
    /// the load average
    load: Gauge<f64>,

    /// CPU time spent, in seconds
    #[metric(unit = "seconds")]
    cpu_seconds_total: Counter<f64>,

    /// bytes sent per peer, in bytes
    #[metric(label = "peer", unit = "bytes")]
    sent_bytes: Family<Counter<f64>>,

    /// a ratio read at export time
    #[metric(callback = || 0.25)]
    ratio: GaugeFn<f64>,

    /// seconds read at export time
    #[metric(callback = || 12.5, unit = "seconds")]
    busy_seconds_total: CounterFn<f64>,

    /// the version and commit of the build
    #[metric(labels("version", "commit"))]
    build: Info<(String, String)>,

    /// request time, in seconds
    #[metric(buckets = [0.1, 1.0], unit = "seconds")]
    request_seconds: Histogram,

    /// answer time, in seconds, in sparse exponential buckets
    #[metric(unit = "seconds", schema = 2)]
    answer_seconds: NativeHistogram,
}

/// A registry with every feature: constant labels, derived and runtime metrics of every kind,
/// the process metrics.
fn every_feature() -> Registry {
    let registry = Registry::with_labels([("region", "eu \"west\""), ("zone", "b")]).unwrap();
    let m = registry.register(EveryKind::new()).unwrap();
    m.load.set(0.42);
    m.cpu_seconds_total.inc_by(1.5);
    m.sent_bytes.inc_by("mx.example.com", 2048.0);
    m.sent_bytes.inc_by("new\nline \"peer\"", 1.0);
    m.build.set(("1.2.0", "8a4f"));
    m.request_seconds.time(|| ());
    m.request_seconds.observe(0.5);
    m.request_seconds
        .observe_with_exemplar(0.05, &[("trace_id", "a \"quoted\" trace\nid")])
        .unwrap();
    m.sent_bytes
        .inc_by_with_exemplar(
            "mx.example.com",
            512.0,
            &[("trace_id", "f00d"), ("span", "1")],
        )
        .unwrap();
    m.cpu_seconds_total
        .inc_by_with_exemplar(0.25, &[("trace_id", "cafe")])
        .unwrap();
    for v in [0.0, 0.001, 0.02, 0.02, 0.3, 4.0, 9.5] {
        m.answer_seconds.observe(v);
    }
    registry.register(Shapes::new()).unwrap();
    #[cfg(feature = "process")]
    registry
        .register(meterstick::process::ProcessMetrics::new())
        .unwrap();
    let plugin = registry
        .family::<Counter, String>("plugin_calls_total", "calls per plugin", &["plugin"])
        .unwrap();
    plugin.inc("spam_filter");
    registry
        .gauge_f64("plugin_queue_ratio", "how full the plugin queue is")
        .unwrap()
        .set(0.5);
    registry
        .histogram(
            "plugin_wait_seconds",
            "time waiting for a plugin, in seconds",
            Buckets::exponential(0.001, 10.0, 4).unwrap(),
        )
        .unwrap()
        .observe(0.02);
    registry
}

#[test]
#[ignore = "needs promtool and prometheus_client; see tests/support/mod.rs"]
fn every_feature_passes_promtool_without_findings_and_parses_strictly() {
    let registry = every_feature();
    let text = registry.to_prometheus();
    let (code, printed) = support::promtool_check(&text);
    assert_eq!(code, 0, "promtool: {printed}\n{text}");
    assert!(printed.trim().is_empty(), "promtool: {printed}");

    let om = registry.to_openmetrics();
    let parsed = parse_with_python(&[("openmetrics", &om), ("prometheus", &text)]);
    let [Ok(om_families), Ok(text_families)] = &parsed[..] else {
        panic!("a parser rejected the output: {parsed:?}\n{om}");
    };
    let family = |name: &str| {
        om_families
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no family {name} in {om}"))
    };
    let build = family("model_build");
    assert_eq!(build.kind, "info");
    assert_eq!(build.samples.len(), 1);
    assert_eq!(build.samples[0].name, "model_build_info");
    assert_eq!(build.samples[0].labels["version"], "1.2.0");
    assert_eq!(build.samples[0].labels["region"], "eu \"west\"");
    for (name, unit) in [
        ("model_cpu_seconds", "seconds"),
        ("model_sent_bytes", "bytes"),
        ("model_busy_seconds", "seconds"),
        ("model_request_seconds", "seconds"),
    ] {
        assert_eq!(family(name).unit, unit, "{name}");
    }
    assert_eq!(family("model_load").samples[0].value, "0.42");
    // Every series carries the constant labels, first; both parsers agree on every sample.
    for f in om_families.iter().chain(text_families) {
        for s in &f.samples {
            assert_eq!(s.labels.get("zone").map(String::as_str), Some("b"), "{s:?}");
        }
    }
    // The exemplars, and only those OpenMetrics may carry: on `_total` samples of counters and
    // on `_bucket` samples.
    let exemplars: Vec<&serde_json::Value> =
        om_families.iter().flat_map(|f| &f.exemplars).collect();
    assert_eq!(exemplars.len(), 3, "{exemplars:?}\n{om}");
    let of = |sample: &str| {
        exemplars
            .iter()
            .find(|e| e["sample"] == sample)
            .unwrap_or_else(|| panic!("no exemplar on {sample}: {om}"))
    };
    let bucket = of("model_request_seconds_bucket");
    assert_eq!(bucket["labels"]["le"], "0.1");
    assert_eq!(
        bucket["exemplar"]["labels"]["trace_id"],
        "a \"quoted\" trace\nid"
    );
    assert_eq!(bucket["exemplar"]["value"], 0.05);
    let sent = of("model_sent_bytes_total");
    assert_eq!(sent["labels"]["peer"], "mx.example.com");
    assert_eq!(sent["exemplar"]["labels"]["span"], "1");
    assert_eq!(sent["exemplar"]["value"], 512.0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let cpu = of("model_cpu_seconds_total");
    assert!(
        (cpu["exemplar"]["timestamp"].as_f64().unwrap() - now).abs() < 60.0,
        "{cpu}"
    );
    // The native histogram, in its classic form: its buckets with observations.
    let answer = family("model_answer_seconds");
    assert_eq!(answer.kind, "histogram");
    let count = answer
        .samples
        .iter()
        .find(|s| s.labels.get("le").is_some_and(|le| le == "+Inf"));
    assert_eq!(count.map(|s| s.value.as_str()), Some("7.0"));
    let strip = |families: &[support::Family]| {
        let mut samples = all_samples(families);
        samples.retain(|s| !s.name.starts_with("process_"));
        samples
    };
    assert_eq!(strip(om_families), strip(text_families));
}

#[test]
#[ignore = "needs promtool and prometheus_client; see tests/support/mod.rs"]
fn promtool_parses_the_kumod_example() {
    let registry = Registry::new();
    let m = registry.register(kumod::KumodMetrics::new()).unwrap();
    kumod::fill_with_seed_values(&m);
    // KumoMTA's names draw lint findings (`_count` on gauges, counters kept without `_total`),
    // but must parse.
    support::assert_promtool_parses(&registry.to_prometheus());
}

#[test]
#[ignore = "needs promtool and prometheus_client; see tests/support/mod.rs"]
fn every_parsed_sample_equals_the_json_value() {
    let registry = shapes();
    let json = registry.to_json();
    let prometheus = registry.to_prometheus();
    let openmetrics = registry.to_openmetrics();
    let parsed = parse_with_python(&[("openmetrics", &openmetrics), ("prometheus", &prometheus)]);
    let [Ok(om), Ok(text)] = &parsed[..] else {
        panic!("a parser rejected the output: {parsed:?}\n{openmetrics}\n{prometheus}");
    };

    assert_eq!(
        all_samples(om),
        sorted(samples_from_json(&json, parser_name)),
        "OpenMetrics"
    );
    // prometheus_client's text parser names counter samples `_total` as OpenMetrics does, so
    // the Prometheus text is held to the same samples; the exact-output tests and promtool
    // check the names it was written with.
    assert_eq!(
        all_samples(text),
        sorted(samples_from_json(&json, parser_name)),
        "Prometheus text"
    );

    // The families, their kinds and their help texts came through too.
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    for families in [om, text] {
        assert_eq!(families.len(), doc.as_object().unwrap().len());
        for family in families {
            let member = doc
                .as_object()
                .unwrap()
                .iter()
                .find(|(name, _)| name.starts_with(&family.name))
                .map(|(_, m)| m)
                .unwrap_or_else(|| panic!("no JSON member for {}", family.name));
            assert_eq!(family.kind, member["type"].as_str().unwrap());
            assert_eq!(family.help, member["help"].as_str().unwrap());
        }
    }
    let escapes = om
        .iter()
        .find(|f| f.name == "conformance_raw_help")
        .unwrap();
    assert_eq!(
        escapes.help,
        "a help text with a \\ backslash,\na newline and \"quotes\""
    );
    // The odd label values arrived exactly.
    let delivered: Vec<&str> = om
        .iter()
        .find(|f| f.name == "conformance_delivered")
        .unwrap()
        .samples
        .iter()
        .map(|s| s.labels["service"].as_str())
        .collect();
    let mut expected = ODD_VALUES.to_vec();
    expected.sort();
    assert_eq!(delivered, expected);
}

#[test]
#[ignore = "needs promtool and prometheus_client; see tests/support/mod.rs"]
fn the_kumod_example_parses_in_every_format() {
    let registry = Registry::new();
    let m = registry.register(kumod::KumodMetrics::new()).unwrap();
    kumod::fill_with_seed_values(&m);
    let json = registry.to_json();
    let parsed = parse_with_python(&[
        ("openmetrics", &registry.to_openmetrics()),
        ("prometheus", &registry.to_prometheus()),
    ]);
    let [Ok(om), Ok(text)] = &parsed[..] else {
        panic!("a parser rejected the output: {parsed:?}");
    };
    // KumoMTA's counters keep their exact names: OpenMetrics types them `unknown` under those
    // names; prometheus_client's text parser adds `_total` to any counter it reads.
    let exact = support::sample_names(&registry);
    assert_eq!(
        all_samples(om),
        sorted(samples_from_json(&json, |name, _| exact[name].clone()))
    );
    assert!(
        om.iter()
            .any(|f| f.name == "total_messages_delivered" && f.kind == "unknown")
    );
    assert_eq!(
        all_samples(text),
        sorted(samples_from_json(&json, parser_name))
    );
}

#[test]
#[ignore = "needs promtool and prometheus_client; see tests/support/mod.rs"]
fn openmetrics_histograms_that_cannot_have_a_sum_still_parse() {
    #[derive(Metrics)]
    struct Signed {
        /// temperatures, some below zero
        #[metric(buckets = [-10.0, 0.0, 10.0])]
        celsius: Histogram,
        /// a histogram that observed a negative value
        #[metric(buckets = [1.0])]
        drift: Histogram,
        /// a histogram that observed NaN
        #[metric(buckets = [1.0])]
        broken: Histogram,
    }
    let registry = Registry::new();
    let m = registry.register(Signed::new()).unwrap();
    m.celsius.observe(-20.0);
    m.celsius.observe(5.0);
    m.drift.observe(-3.0);
    m.broken.observe(f64::NAN);
    let openmetrics = registry.to_openmetrics();
    let prometheus = registry.to_prometheus();
    let parsed = parse_with_python(&[("openmetrics", &openmetrics), ("prometheus", &prometheus)]);
    let [Ok(om), Ok(text)] = &parsed[..] else {
        panic!("a parser rejected the output: {parsed:?}\n{openmetrics}");
    };
    // OpenMetrics drops `_sum` and `_count` where they would be negative or NaN; the `+Inf`
    // bucket still carries the count. The Prometheus text keeps them.
    for (families, with_sum) in [(om, false), (text, true)] {
        for family in families {
            let names: Vec<&str> = family.samples.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(
                names.iter().any(|n| n.ends_with("_sum")),
                with_sum,
                "{names:?}"
            );
            let inf = family
                .samples
                .iter()
                .find(|s| s.labels.get("le").is_some_and(|le| le == "+Inf"))
                .unwrap();
            let expected = if family.name == "celsius" {
                "2.0"
            } else {
                "1.0"
            };
            assert_eq!(inf.value, expected, "{}", family.name);
        }
    }
    support::assert_promtool_parses(&prometheus);
}

mod arbitrary {
    //! Arbitrary label values and help texts, through all three formats and the real parsers.

    use meterstick::{
        Counter, Descriptor, Family, Gauge, MetricGroup, MetricKind, Registry, Visitor,
    };
    use proptest::prelude::*;

    use super::support::parse_with_python;

    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_owned().into_boxed_str())
    }

    /// A descriptor built at run time, as the derive would have built it at compile time.
    fn descriptor(
        name: &str,
        help: &str,
        kind: MetricKind,
        keys: &'static [&'static str],
    ) -> &'static Descriptor {
        Box::leak(Box::new(Descriptor::new(
            leak(name),
            leak(help),
            kind,
            keys,
            None,
        )))
    }

    /// A group whose help texts are only known at run time.
    struct Dynamic {
        pairs: (&'static Descriptor, Family<Gauge, (String, String)>),
        singles: (&'static Descriptor, Family<Counter>),
    }

    impl MetricGroup for Dynamic {
        fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
            visitor.visit_metric(self.pairs.0, &self.pairs.1);
            visitor.visit_metric(self.singles.0, &self.singles.1);
        }
    }

    /// Help texts the formats can carry: the parsers drop white space at either end.
    fn help_text() -> impl Strategy<Value = String> {
        any::<String>().prop_map(|s| {
            let trimmed =
                s.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c));
            if trimmed.is_empty() {
                "x".to_owned()
            } else {
                trimmed.to_owned()
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        #[ignore = "needs promtool and prometheus_client; see tests/support/mod.rs"]
        fn label_values_and_help_survive_every_format(
            help_a in help_text(),
            help_b in help_text(),
            values in proptest::collection::vec((any::<String>(), any::<String>(), any::<i64>()), 1..6),
        ) {
            let group = Dynamic {
                pairs: (descriptor("pairs", &help_a, MetricKind::Gauge, &["a", "b"]), Family::new()),
                singles: (descriptor("singles_total", &help_b, MetricKind::Counter, &["k"]), Family::new()),
            };
            for (a, b, n) in &values {
                group.pairs.1.set((a, b), *n);
                group.singles.1.inc_by(a, n.unsigned_abs());
            }
            let registry = Registry::new();
            registry.register(group).unwrap();

            let json = registry.to_json();
            let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(doc["pairs"]["help"].as_str(), Some(help_a.as_str()));
            prop_assert_eq!(doc["singles_total"]["help"].as_str(), Some(help_b.as_str()));

            let om = registry.to_openmetrics();
            let text = registry.to_prometheus();
            let parsed = parse_with_python(&[("openmetrics", &om), ("prometheus", &text)]);
            let expected = super::sorted(super::samples_from_json(&json, super::parser_name));
            for result in &parsed {
                let families = result.as_ref().map_err(|e| TestCaseError::fail(format!("{e}\n{om}")))?;
                prop_assert_eq!(families[0].help.as_str(), help_a.as_str());
                prop_assert_eq!(families[1].help.as_str(), help_b.as_str());
                prop_assert_eq!(&super::all_samples(families), &expected);
            }
            super::support::assert_promtool_parses(&text);
        }
    }
}

#[test]
#[ignore = "needs prometheus_client; see tests/support/mod.rs"]
fn a_counter_under_its_exact_name_shows_no_exemplar() {
    // Typed `unknown` in OpenMetrics, which allows exemplars on counters and buckets only.
    let registry = Registry::new();
    let answers = registry
        .family::<Counter, String>("answers", "answers per route", &["route"])
        .unwrap();
    answers
        .inc_with_exemplar("/", &[("trace_id", "t")])
        .unwrap();
    let exact = registry.describe();
    assert!(exact[0].sample_name() == "answers_total");
    #[derive(Metrics)]
    #[metrics(exact_names)]
    struct Exact {
        /// answers, under the exact name
        #[metric(label = "route")]
        kept: Family<Counter>,
    }
    let m = registry.register(Exact::new()).unwrap();
    m.kept
        .inc_with_exemplar("/", &[("trace_id", "never shown")])
        .unwrap();
    let om = registry.to_openmetrics();
    assert!(!om.contains("never shown"), "{om}");
    assert!(
        om.contains("answers_total{route=\"/\"} 1 # {trace_id=\"t\"} 1.0 "),
        "{om}"
    );
    let parsed = parse_with_python(&[("openmetrics", &om)]);
    let Ok(families) = &parsed[0] else {
        panic!("{parsed:?}\n{om}");
    };
    let exemplars: usize = families.iter().map(|f| f.exemplars.len()).sum();
    assert_eq!(exemplars, 1);
}
