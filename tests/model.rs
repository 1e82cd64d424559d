//! The metric model: float counters and gauges, timers, info, units, exact names, constant
//! labels and `Scrape` prefixes, each written exactly in all three formats.

use std::sync::Arc;
use std::time::Duration;

use meterstick::{
    Counter, CounterFn, Family, Format, Gauge, GaugeFn, Histogram, Info, Metrics, Registry,
    RegistryError, Scrape,
};

#[derive(Metrics)]
#[metrics(prefix = "app")]
struct Model {
    /// the load average
    load: Gauge<f64>,

    /// CPU time, in seconds
    #[metric(unit = "seconds")]
    cpu_seconds: Counter<f64>,

    /// temperature per room
    #[metric(label = "room")]
    temperature_celsius: Family<Gauge<f64>>,

    /// bytes per direction
    #[metric(label = "direction", unit = "bytes")]
    transferred_bytes_total: Family<Counter<f64>>,

    /// a ratio read at export time
    #[metric(callback = || 0.1 + 0.2)]
    ratio: GaugeFn<f64>,

    /// seconds read at export time
    #[metric(callback = || 2.5, unit = "seconds")]
    uptime_seconds: CounterFn<f64>,

    /// the version and commit of the build
    #[metric(labels("version", "commit"))]
    build: Info<(String, String)>,

    /// requests, kept under their exact name
    #[metric(exact_name)]
    requests: Counter,

    /// time per request, in seconds
    #[metric(buckets = [0.5, 1.0], unit = "seconds")]
    request_seconds: Histogram,
}

fn model() -> (Registry, Arc<Model>) {
    let registry = Registry::new();
    let m = registry.register(Model::new()).unwrap();
    m.load.set(0.75);
    m.load.add(0.5);
    m.load.sub(0.25);
    m.cpu_seconds.inc_by(1.5);
    m.cpu_seconds.inc_by(-4.0);
    m.cpu_seconds.inc_by(f64::NAN);
    m.cpu_seconds.inc();
    m.temperature_celsius.set("hall", -3.25);
    m.temperature_celsius.set("lab", 1e21);
    m.transferred_bytes_total.inc_by("in", 0.1);
    m.transferred_bytes_total.inc_by("in", 0.2);
    m.build.set(("1.2.0", "8a4f"));
    m.requests.inc_by(3);
    m.request_seconds.observe(0.75);
    (registry, m)
}

#[test]
fn float_values_are_the_shortest_that_read_back_the_same() {
    let (_, m) = model();
    assert_eq!(m.load.get(), 1.0);
    assert_eq!(
        m.cpu_seconds.get(),
        2.5,
        "negative and NaN increments are ignored"
    );
    assert_eq!(m.transferred_bytes_total.get("in"), Some(0.1 + 0.2));
    let mut g: Gauge<f64> = Gauge::new();
    g.inc();
    g.dec();
    g.dec();
    assert_eq!(g.get(), -1.0);
    g = Gauge::new();
    g.set(f64::INFINITY);
    assert_eq!(g.get(), f64::INFINITY);
    let c: Counter<f64> = Counter::new();
    c.inc_by(f64::INFINITY);
    c.inc_by(f64::NEG_INFINITY);
    assert_eq!(c.get(), f64::INFINITY, "a counter never goes down");
}

#[test]
fn prometheus_text_of_every_new_type() {
    let (registry, _) = model();
    assert_eq!(
        registry.to_prometheus(),
        concat!(
            "# HELP app_build_info the version and commit of the build\n",
            "# TYPE app_build_info gauge\n",
            "app_build_info{version=\"1.2.0\",commit=\"8a4f\"} 1\n",
            "# HELP app_cpu_seconds_total CPU time, in seconds\n",
            "# TYPE app_cpu_seconds_total counter\n",
            "app_cpu_seconds_total 2.5\n",
            "# HELP app_load the load average\n",
            "# TYPE app_load gauge\n",
            "app_load 1.0\n",
            "# HELP app_ratio a ratio read at export time\n",
            "# TYPE app_ratio gauge\n",
            "app_ratio 0.30000000000000004\n",
            "# HELP app_request_seconds time per request, in seconds\n",
            "# TYPE app_request_seconds histogram\n",
            "app_request_seconds_bucket{le=\"0.5\"} 0\n",
            "app_request_seconds_bucket{le=\"1.0\"} 1\n",
            "app_request_seconds_bucket{le=\"+Inf\"} 1\n",
            "app_request_seconds_sum 0.75\n",
            "app_request_seconds_count 1\n",
            "# HELP app_requests requests, kept under their exact name\n",
            "# TYPE app_requests counter\n",
            "app_requests 3\n",
            "# HELP app_temperature_celsius temperature per room\n",
            "# TYPE app_temperature_celsius gauge\n",
            "app_temperature_celsius{room=\"hall\"} -3.25\n",
            "app_temperature_celsius{room=\"lab\"} 1e+21\n",
            "# HELP app_transferred_bytes_total bytes per direction\n",
            "# TYPE app_transferred_bytes_total counter\n",
            "app_transferred_bytes_total{direction=\"in\"} 0.30000000000000004\n",
            "# HELP app_uptime_seconds_total seconds read at export time\n",
            "# TYPE app_uptime_seconds_total counter\n",
            "app_uptime_seconds_total 2.5\n",
        )
    );
}

#[test]
fn openmetrics_of_every_new_type() {
    let (registry, _) = model();
    assert_eq!(
        registry.to_openmetrics(),
        concat!(
            "# HELP app_build the version and commit of the build\n",
            "# TYPE app_build info\n",
            "app_build_info{version=\"1.2.0\",commit=\"8a4f\"} 1\n",
            "# HELP app_cpu_seconds CPU time, in seconds\n",
            "# TYPE app_cpu_seconds counter\n",
            "# UNIT app_cpu_seconds seconds\n",
            "app_cpu_seconds_total 2.5\n",
            "# HELP app_load the load average\n",
            "# TYPE app_load gauge\n",
            "app_load 1.0\n",
            "# HELP app_ratio a ratio read at export time\n",
            "# TYPE app_ratio gauge\n",
            "app_ratio 0.30000000000000004\n",
            "# HELP app_request_seconds time per request, in seconds\n",
            "# TYPE app_request_seconds histogram\n",
            "# UNIT app_request_seconds seconds\n",
            "app_request_seconds_bucket{le=\"0.5\"} 0\n",
            "app_request_seconds_bucket{le=\"1.0\"} 1\n",
            "app_request_seconds_bucket{le=\"+Inf\"} 1\n",
            "app_request_seconds_sum 0.75\n",
            "app_request_seconds_count 1\n",
            "# HELP app_requests requests, kept under their exact name\n",
            "# TYPE app_requests unknown\n",
            "app_requests 3\n",
            "# HELP app_temperature_celsius temperature per room\n",
            "# TYPE app_temperature_celsius gauge\n",
            "app_temperature_celsius{room=\"hall\"} -3.25\n",
            "app_temperature_celsius{room=\"lab\"} 1e+21\n",
            "# HELP app_transferred_bytes bytes per direction\n",
            "# TYPE app_transferred_bytes counter\n",
            "# UNIT app_transferred_bytes bytes\n",
            "app_transferred_bytes_total{direction=\"in\"} 0.30000000000000004\n",
            "# HELP app_uptime_seconds seconds read at export time\n",
            "# TYPE app_uptime_seconds counter\n",
            "# UNIT app_uptime_seconds seconds\n",
            "app_uptime_seconds_total 2.5\n",
            "# EOF\n",
        )
    );
}

#[test]
fn json_of_every_new_type() {
    let (registry, _) = model();
    assert_eq!(
        registry.to_json(),
        concat!(
            "{",
            r#""app_build":{"help":"the version and commit of the build","type":"info","value":{"version":"1.2.0","commit":"8a4f"}},"#,
            r#""app_cpu_seconds":{"help":"CPU time, in seconds","type":"counter","value":2.5},"#,
            r#""app_load":{"help":"the load average","type":"gauge","value":1.0},"#,
            r#""app_ratio":{"help":"a ratio read at export time","type":"gauge","value":0.30000000000000004},"#,
            r#""app_request_seconds":{"help":"time per request, in seconds","type":"histogram","value":{"avg":0.75,"bucket":[[0.5,0],[1.0,1]],"count":1,"sum":0.75}},"#,
            r#""app_requests":{"help":"requests, kept under their exact name","type":"counter","value":3.0},"#,
            r#""app_temperature_celsius":{"help":"temperature per room","type":"gauge","value":{"room":{"hall":-3.25,"lab":1e+21}}},"#,
            r#""app_transferred_bytes_total":{"help":"bytes per direction","type":"counter","value":{"direction":{"in":0.30000000000000004}}},"#,
            r#""app_uptime_seconds":{"help":"seconds read at export time","type":"counter","value":2.5}"#,
            "}",
        )
    );
    // Every float reads back as the value it was.
    let doc: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    let room = &doc["app_temperature_celsius"]["value"]["room"];
    assert_eq!(room["lab"].as_f64(), Some(1e21));
    let bytes = &doc["app_transferred_bytes_total"]["value"]["direction"]["in"];
    assert_eq!(bytes.as_f64(), Some(0.1 + 0.2));
    // The pretty form and `Serialize` carry the same document.
    let pretty: serde_json::Value = serde_json::from_str(&registry.to_json_pretty()).unwrap();
    assert_eq!(pretty, doc);
}

#[test]
fn non_finite_floats_in_every_format() {
    let registry = Registry::new();
    let nan = registry.gauge_f64("nan", "not a number").unwrap();
    let inf = registry.gauge_f64("inf", "infinite").unwrap();
    let neg = registry.gauge_f64("neg", "infinitely low").unwrap();
    nan.set(f64::NAN);
    inf.set(f64::INFINITY);
    neg.set(f64::NEG_INFINITY);
    for text in [registry.to_prometheus(), registry.to_openmetrics()] {
        assert!(text.contains("\nnan NaN\n"), "{text}");
        assert!(text.contains("\ninf +Inf\n"), "{text}");
        assert!(text.contains("\nneg -Inf\n"), "{text}");
    }
    let doc: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    for name in ["nan", "inf", "neg"] {
        assert_eq!(doc[name]["value"], serde_json::Value::Null, "{name}");
    }
}

#[test]
fn an_info_metric_is_written_once_set() {
    #[derive(Metrics)]
    struct Build {
        /// the running build
        #[metric(label = "version")]
        build_info: Info,
    }
    let registry = Registry::new();
    let m = registry.register(Build::new()).unwrap();
    assert_eq!(
        registry.to_prometheus(),
        "# HELP build_info the running build\n# TYPE build_info gauge\n"
    );
    assert!(registry.to_json().contains(r#""value":null"#));
    m.build_info.set("0.1 \"beta\"");
    m.build_info.set("1.0 \"final\"");
    assert_eq!(m.build_info.get(), Some(vec!["1.0 \"final\"".to_owned()]));
    // A name that already ends in `_info` keeps it; the OpenMetrics family is without it.
    assert!(
        registry
            .to_prometheus()
            .ends_with("build_info{version=\"1.0 \\\"final\\\"\"} 1\n")
    );
    assert!(
        registry
            .to_openmetrics()
            .starts_with("# HELP build the running build\n# TYPE build info\nbuild_info{")
    );
    assert!(
        registry
            .to_json()
            .contains(r#""value":{"version":"1.0 \"final\""}"#)
    );
}

#[test]
fn timers_record_seconds_on_drop_and_stop_but_not_on_discard() {
    let h = Histogram::new(meterstick::Buckets::new([0.001, 10.0]).unwrap());
    {
        let _t = h.start_timer();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(h.count(), 1);
    assert!(h.sum() >= 0.02 && h.sum() < 10.0, "{}", h.sum());
    let timer = h.start_timer();
    std::thread::sleep(Duration::from_millis(5));
    assert!(timer.elapsed() >= 0.005);
    let seconds = timer.stop();
    assert!(seconds >= 0.005);
    assert_eq!(h.count(), 2);
    h.start_timer().discard();
    assert_eq!(h.count(), 2);
    assert_eq!(h.time(|| "done"), "done");
    assert_eq!(h.count(), 3);
    // A panic inside `time` is recorded as the closure unwinds.
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.time(|| panic!("the timed work failed"))
    }));
    assert!(caught.is_err());
    assert_eq!(h.count(), 4);

    // Through a family's series handle.
    let family: Family<Histogram> = Family::new();
    let series = family.with("GET");
    series.time(|| std::thread::sleep(Duration::from_millis(1)));
    drop(series.start_timer());
    let mut cumulative = Vec::new();
    family.with("GET").load_cumulative(&mut cumulative);
    assert_eq!(cumulative.last(), Some(&2));
}

#[test]
fn constant_labels_come_first_on_every_series_of_the_text_formats() {
    #[derive(Metrics)]
    struct Served {
        /// requests per method
        #[metric(label = "method")]
        requests_total: Family<Counter>,
        /// open connections
        open: Gauge,
        /// latency per method, in seconds
        #[metric(label = "method", buckets = [1.0])]
        latency_seconds: Family<Histogram>,
        /// latency of everything, in seconds
        #[metric(buckets = [1.0])]
        all_seconds: Histogram,
    }
    let registry = Registry::with_labels([("region", "eu \"west\""), ("instance", "mx1")]).unwrap();
    let m = registry.register(Served::new()).unwrap();
    m.requests_total.inc("GET");
    m.open.set(2);
    m.latency_seconds.observe("GET", 0.5);
    m.all_seconds.observe(2.0);
    let c = r#"region="eu \"west\"",instance="mx1""#;
    let expected = [
        "# HELP all_seconds latency of everything, in seconds".to_owned(),
        "# TYPE all_seconds histogram".to_owned(),
        format!("all_seconds_bucket{{{c},le=\"1.0\"}} 0"),
        format!("all_seconds_bucket{{{c},le=\"+Inf\"}} 1"),
        format!("all_seconds_sum{{{c}}} 2.0"),
        format!("all_seconds_count{{{c}}} 1"),
        "# HELP latency_seconds latency per method, in seconds".to_owned(),
        "# TYPE latency_seconds histogram".to_owned(),
        format!("latency_seconds_bucket{{{c},method=\"GET\",le=\"1.0\"}} 1"),
        format!("latency_seconds_bucket{{{c},method=\"GET\",le=\"+Inf\"}} 1"),
        format!("latency_seconds_sum{{{c},method=\"GET\"}} 0.5"),
        format!("latency_seconds_count{{{c},method=\"GET\"}} 1"),
        "# HELP open open connections".to_owned(),
        "# TYPE open gauge".to_owned(),
        format!("open{{{c}}} 2"),
        "# HELP requests_total requests per method".to_owned(),
        "# TYPE requests_total counter".to_owned(),
        format!("requests_total{{{c},method=\"GET\"}} 1"),
    ];
    assert_eq!(registry.to_prometheus(), expected.join("\n") + "\n");
    let om = registry.to_openmetrics();
    assert!(om.contains(&format!("\nopen{{{c}}} 2\n")), "{om}");
    assert!(om.contains(&format!("\nrequests_total{{{c},method=\"GET\"}} 1\n")));
    // JSON has no place for them, and is as without them.
    let plain = Registry::new();
    let p = plain.register(Served::new()).unwrap();
    p.requests_total.inc("GET");
    p.open.set(2);
    p.latency_seconds.observe("GET", 0.5);
    p.all_seconds.observe(2.0);
    assert_eq!(registry.to_json(), plain.to_json());
}

#[test]
fn a_metric_declaring_a_constant_label_key_is_refused_naming_both() {
    #[derive(Metrics)]
    struct PerInstance {
        /// requests per instance
        #[metric(label = "instance")]
        requests_total: Family<Counter>,
    }
    let registry = Registry::with_labels([("instance", "mx1")]).unwrap();
    let err = registry.register(PerInstance::new()).err().unwrap();
    assert_eq!(
        err,
        RegistryError::ConstantLabel {
            name: "requests_total".into(),
            key: "instance".into()
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("`requests_total`") && message.contains("`instance`"),
        "{message}"
    );
    assert!(
        registry
            .family::<Counter, String>("other", "per instance", &["instance"])
            .is_err()
    );
    // Nothing was registered.
    assert!(registry.describe().is_empty());
}

#[test]
fn constant_label_keys_follow_the_rules_of_label_keys() {
    for key in ["", "le", "__x", "a-b", "9x", "metric"] {
        let err = Registry::with_labels([(key, "v")]).unwrap_err();
        assert!(
            matches!(err, RegistryError::InvalidLabelKey { ref name, .. } if name.is_empty()),
            "{key}: {err}"
        );
        assert!(
            err.to_string()
                .starts_with("the registry's constant labels: "),
            "{err}"
        );
    }
    assert!(Registry::with_labels([("a", "1"), ("a", "2")]).is_err());
    assert!(Registry::with_labels([("job_name", "")]).is_ok());
}

#[test]
fn a_scrape_prefix_prepends_to_every_name_in_every_format() {
    let (registry, _) = model();
    let write = |format, scrape| {
        let mut out = Vec::new();
        registry.write_format(format, scrape, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let scrape = Scrape::new().prefix("kumo_").unwrap();
    for format in [Format::Prometheus, Format::OpenMetrics] {
        let plain = write(format, Scrape::new());
        let prefixed = write(format, scrape);
        let expected: Vec<String> = plain
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some("EOF") => line.to_owned(),
                Some(comment) => {
                    let (what, rest) = comment.split_once(' ').unwrap();
                    format!("# {what} kumo_{rest}")
                }
                None => format!("kumo_{line}"),
            })
            .collect();
        assert_eq!(prefixed, expected.join("\n") + "\n");
    }
    let json: serde_json::Value = serde_json::from_str(&write(Format::Json, scrape)).unwrap();
    assert_eq!(json["kumo_app_load"]["value"], serde_json::json!(1.0));
    assert_eq!(json.as_object().unwrap().len(), 9);
    // The filter applies to the registered names, before the prefix.
    let filtered = write(Format::Prometheus, scrape.filter("app_re"));
    assert!(
        filtered.starts_with("# HELP kumo_app_request_seconds "),
        "{filtered}"
    );
    assert_eq!(filtered.matches("# TYPE").count(), 2);
    for bad in ["1x", "a-b", "é", " "] {
        assert_eq!(
            Scrape::new().prefix(bad),
            Err(RegistryError::InvalidPrefix { prefix: bad.into() })
        );
    }
}

#[test]
fn float_updates_racing_on_threads_lose_nothing() {
    // Multiples of 1/4 up to 2^40 are exact in an f64, so the total is exact whatever the
    // order of the additions.
    const THREADS: usize = 4;
    const ROUNDS: usize = 50_000;
    let counter: Counter<f64> = Counter::new();
    let gauge: Gauge<f64> = Gauge::new();
    let family: Family<Gauge<f64>> = Family::new();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (counter, gauge, family) = (&counter, &gauge, &family);
            s.spawn(move || {
                for i in 0..ROUNDS {
                    counter.inc_by(0.25);
                    counter.inc_by(-1.0);
                    gauge.add(0.75);
                    gauge.sub(0.25);
                    family.add("shared", 0.5);
                    if t == 0 && i % 1000 == 0 {
                        // A scrape-like read never sees a torn value.
                        let v = gauge.get();
                        assert!(v >= 0.0 && v.fract() * 4.0 == (v.fract() * 4.0).trunc());
                    }
                }
            });
        }
    });
    let n = (THREADS * ROUNDS) as f64;
    assert_eq!(counter.get(), 0.25 * n);
    assert_eq!(gauge.get(), 0.5 * n);
    assert_eq!(family.get("shared"), Some(0.5 * n));

    // A `set` racing additions: the end value is the set value plus some of the additions,
    // each applied whole.
    let gauge: Gauge<f64> = Gauge::new();
    std::thread::scope(|s| {
        s.spawn(|| (0..ROUNDS).for_each(|_| gauge.add(1.0)));
        s.spawn(|| (0..100).for_each(|_| gauge.set(0.5)));
    });
    let v = gauge.get();
    assert!(v.fract() == 0.5 && v <= ROUNDS as f64 + 0.5, "{v}");
}

#[test]
fn an_info_set_racing_scrapes_is_seen_whole() {
    #[derive(Metrics)]
    struct Build {
        /// the running build
        #[metric(info, labels("version", "commit"))]
        build: Info<(String, String)>,
    }
    let registry = Registry::new();
    let m = registry.register(Build::new()).unwrap();
    m.build.set(("1.0", "aaaa"));
    // The setter runs until the scraper has made 500 exports of each format.
    let scraped = std::sync::atomic::AtomicUsize::new(0);
    let sets = std::thread::scope(|s| {
        let setter = s.spawn(|| {
            let mut sets = 0u64;
            while scraped.load(std::sync::atomic::Ordering::Relaxed) < 500 {
                let pair = if sets % 2 == 0 {
                    ("2.0", "bbbb")
                } else {
                    ("1.0", "aaaa")
                };
                m.build.set(pair);
                sets += 1;
            }
            sets
        });
        for _ in 0..500 {
            // Each export shows one of the two pairs, never a value of each.
            let text = registry.to_prometheus();
            let line = text.lines().last().unwrap();
            assert!(
                line == "build_info{version=\"1.0\",commit=\"aaaa\"} 1"
                    || line == "build_info{version=\"2.0\",commit=\"bbbb\"} 1",
                "{line}"
            );
            let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
            let value = &json["build"]["value"];
            assert!(
                (value["version"] == "1.0" && value["commit"] == "aaaa")
                    || (value["version"] == "2.0" && value["commit"] == "bbbb"),
                "{value}"
            );
            scraped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        setter.join().unwrap()
    });
    assert!(sets > 0);
}
