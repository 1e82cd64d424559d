//! Metrics registered by name at run time: what they export, how they are removed, and that
//! every rule of the derive holds for them with the derive's own words, read from the expected
//! compile errors in `tests/ui/`.

use meterstick::{
    Buckets, Counter, Descriptor, EncodeMetric, Family, Gauge, Histogram, LabelKeyProblem,
    MetricGroup, MetricKind, Metrics, Registry, RegistryError, Visitor,
};

/// The expected errors of one compile-fail case of the derive.
fn derive_errors(case: &str) -> String {
    let path = format!("{}/tests/ui/{case}.stderr", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Asserts that the runtime error's message, after its `metric `...`: ` head, is one the
/// derive gives in `case`.
fn says_what_the_derive_says(err: &RegistryError, case: &str) {
    let message = err.to_string();
    let rule = match message.split_once("`: ") {
        Some((head, rule)) if head.starts_with("metric `") => rule,
        _ => &message,
    };
    let expected = derive_errors(case);
    assert!(
        expected.contains(&format!("error: {rule}\n")),
        "{message:?} is not among the errors of tests/ui/{case}.rs:\n{expected}"
    );
}

#[test]
fn metrics_registered_by_name_export_like_derived_ones() {
    let registry = Registry::new();
    let calls = registry
        .counter("plugin_calls", "calls of the plugin")
        .unwrap();
    let seconds = registry
        .counter_f64("plugin_cpu_seconds_total", "CPU time of the plugin")
        .unwrap();
    let queued = registry.gauge("plugin_queued", "work queued").unwrap();
    let load = registry
        .gauge_f64("plugin_load", "load of the plugin")
        .unwrap();
    let latency = registry
        .histogram(
            "plugin_latency_seconds",
            "latency of the plugin",
            Buckets::new([0.1, 1.0]).unwrap(),
        )
        .unwrap();
    let per_hook = registry
        .family::<Counter, String>("plugin_hook_calls_total", "calls per hook", &["hook"])
        .unwrap();
    let per_pair = registry
        .family::<Gauge<f64>, (String, String)>("plugin_ratio", "ratio per pair", &["a", "b"])
        .unwrap();
    let timed = registry
        .family_with::<Histogram, String>(
            "plugin_hook_seconds",
            "time per hook",
            &["hook"],
            Buckets::new([0.5]).unwrap(),
        )
        .unwrap();
    let threads = registry
        .gauge_fn("plugin_threads", "threads of the plugin", || 4_i64)
        .unwrap();
    let read = registry
        .counter_fn("plugin_read_bytes_total", "bytes read", || 1.5_f64)
        .unwrap();
    calls.inc_by(2);
    seconds.inc_by(0.25);
    queued.set(-3);
    load.set(0.5);
    latency.observe(0.05);
    per_hook.inc("connect");
    per_pair.set(("x", "y"), 0.125);
    timed.observe("connect", 0.25);
    assert_eq!((threads.get(), read.get()), (Some(4), Some(1.5)));

    let text = registry.to_prometheus();
    for line in [
        "plugin_calls_total 2\n",
        "plugin_cpu_seconds_total 0.25\n",
        "plugin_queued -3\n",
        "plugin_load 0.5\n",
        "plugin_latency_seconds_bucket{le=\"0.1\"} 1\n",
        "plugin_hook_calls_total{hook=\"connect\"} 1\n",
        "plugin_ratio{a=\"x\",b=\"y\"} 0.125\n",
        "plugin_hook_seconds_bucket{hook=\"connect\",le=\"0.5\"} 1\n",
        "plugin_threads 4\n",
        "plugin_read_bytes_total 1.5\n",
    ] {
        assert!(text.contains(line), "{line}{text}");
    }
    let described = registry.describe();
    let hook = described
        .iter()
        .find(|d| d.name() == "plugin_hook_seconds")
        .unwrap();
    assert_eq!(hook.kind(), MetricKind::Histogram);
    assert_eq!(hook.label_keys(), ["hook"]);
    assert_eq!(hook.buckets(), Some(&[0.5][..]));
    assert_eq!(hook.sample_name(), "plugin_hook_seconds");
    let calls_d = described
        .iter()
        .find(|d| d.name() == "plugin_calls")
        .unwrap();
    assert_eq!(calls_d.sample_name(), "plugin_calls_total");
    // The same as a derived family: the same type, the same JSON.
    #[derive(Metrics)]
    struct Derived {
        /// calls per hook
        #[metric(label = "hook")]
        plugin_hook_calls_total: Family<Counter>,
    }
    let derived_registry = Registry::new();
    let derived = derived_registry.register(Derived::new()).unwrap();
    derived.plugin_hook_calls_total.inc("connect");
    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    let other: serde_json::Value = serde_json::from_str(&derived_registry.to_json()).unwrap();
    assert_eq!(
        json["plugin_hook_calls_total"],
        other["plugin_hook_calls_total"]
    );
}

#[test]
fn unregister_removes_a_metric_registered_by_name_and_frees_its_name() {
    let registry = Registry::new();
    let calls = registry.counter("calls", "calls").unwrap();
    calls.inc();
    assert!(registry.to_prometheus().contains("calls_total 1"));
    assert!(registry.unregister("calls"));
    assert!(!registry.unregister("calls"));
    assert!(!registry.unregister("never_registered"));
    assert_eq!(registry.to_prometheus(), "");
    // The handle still works, unexported.
    calls.inc();
    assert_eq!(calls.get(), 2);
    // Both of its names are free again: `calls` and `calls_total`.
    registry.gauge("calls_total", "now a gauge").unwrap();
    registry.counter("calls", "a counter again").unwrap_err();
    assert!(registry.unregister("calls_total"));
    let again = registry.counter("calls", "a counter again").unwrap();
    assert_eq!(again.get(), 0);

    // A derived group's metrics are not removed one by one.
    #[derive(Metrics)]
    struct Group {
        /// in a group
        grouped: Counter,
    }
    registry.register(Group::new()).unwrap();
    assert!(!registry.unregister("grouped"));
    assert!(registry.to_prometheus().contains("grouped_total 0"));
}

#[test]
fn a_name_taken_in_any_format_is_refused() {
    let registry = Registry::new();
    registry.counter("sent", "messages sent").unwrap();
    for (name, clash) in [("sent", "sent"), ("sent_total", "sent_total")] {
        assert_eq!(
            registry.gauge(name, "a gauge").unwrap_err(),
            RegistryError::DuplicateName { name: clash.into() }
        );
    }
    // A counter declared with `_total` meets one declared without it.
    assert_eq!(
        registry.counter("sent_total", "again").unwrap_err(),
        RegistryError::DuplicateName {
            name: "sent_total".into()
        }
    );
    let err = registry.counter("sent", "again").unwrap_err();
    assert!(
        err.to_string().contains("`sent` is already registered"),
        "{err}"
    );
    assert!(matches!(
        registry.counter("meterstick_mine", "reserved"),
        Err(RegistryError::ReservedName { .. })
    ));
}

#[test]
fn every_rule_of_the_derive_holds_at_run_time_in_its_words() {
    let registry = Registry::new();
    let help = "help";

    for name in ["9lives", "bad-name"] {
        let err = registry.counter(name, help).unwrap_err();
        assert_eq!(err, RegistryError::InvalidName { name: name.into() });
        says_what_the_derive_says(&err, "invalid_metric_name");
    }
    let cases = [
        ("bad-key", LabelKeyProblem::Invalid, "invalid_label_key"),
        ("1st", LabelKeyProblem::Invalid, "invalid_label_key"),
        ("__name__", LabelKeyProblem::Reserved, "reserved_label_key"),
        ("le", LabelKeyProblem::Le, "reserved_label_key"),
    ];
    for (key, problem, case) in cases {
        let err = registry
            .family::<Counter, String>("keyed", help, &[key])
            .unwrap_err();
        assert_eq!(
            err,
            RegistryError::InvalidLabelKey {
                name: "keyed".into(),
                key: key.into(),
                problem
            }
        );
        says_what_the_derive_says(&err, case);
    }
    let err = registry
        .family::<Gauge, (String, String)>("twice", help, &["service", "service"])
        .unwrap_err();
    says_what_the_derive_says(&err, "duplicate_label_key");

    let err = registry.gauge("silent", "").unwrap_err();
    assert_eq!(
        err,
        RegistryError::MissingHelp {
            name: "silent".into()
        }
    );
    says_what_the_derive_says(&err, "empty_help");
    assert!(registry.gauge("blank", " \n ").is_err());

    let err = registry
        .family::<Gauge, (String, String)>("pairs", help, &["service"])
        .unwrap_err();
    assert!(matches!(
        err,
        RegistryError::LabelArity {
            given: 1,
            arity: 2,
            ..
        }
    ));
    says_what_the_derive_says(&err, "label_arity");
    let err = registry
        .family::<Gauge, String>("single", help, &["service", "queue"])
        .unwrap_err();
    says_what_the_derive_says(&err, "label_arity");

    // A unit the name does not end in, checked on a hand-written descriptor.
    struct WithUnit(Descriptor, Counter<f64>);
    impl MetricGroup for WithUnit {
        fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
            visitor.visit_metric(&self.0, &self.1 as &dyn EncodeMetric);
        }
    }
    let busy = Descriptor::new("busy", help, MetricKind::Counter, &[], None).with_unit("seconds");
    let err = registry
        .register(WithUnit(busy, Counter::new()))
        .err()
        .unwrap();
    assert_eq!(
        err,
        RegistryError::InvalidUnit {
            name: "busy".into(),
            unit: "seconds".into()
        }
    );
    says_what_the_derive_says(&err, "unit_not_in_name");
    let fine = Descriptor::new("busy_seconds_total", help, MetricKind::Counter, &[], None)
        .with_unit("seconds");
    registry.register(WithUnit(fine, Counter::new())).unwrap();
    assert!(
        registry
            .to_openmetrics()
            .contains("# UNIT busy_seconds seconds\n")
    );

    // Nothing was registered by a refused call.
    assert_eq!(registry.describe().len(), 1);
}

#[test]
fn registering_and_scraping_race_without_a_torn_export() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let registry = Registry::new();
    let done = AtomicUsize::new(0);
    let scrapes = std::thread::scope(|s| {
        for t in 0..2 {
            let (registry, done) = (&registry, &done);
            s.spawn(move || {
                for i in 0..2_000 {
                    let name = format!("t{t}_m{i}");
                    let family = registry
                        .family::<Counter, String>(&name, "raced", &["k"])
                        .unwrap();
                    family.inc("v");
                    assert!(registry.unregister(&name));
                }
                done.fetch_add(1, Ordering::Release);
            });
        }
        let scraper = s.spawn(|| {
            let mut scrapes = 0;
            while done.load(Ordering::Acquire) < 2 {
                // Each export is whole: it parses, and lists a metric with all of its parts.
                let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
                assert!(json.as_object().unwrap().len() <= 2);
                let text = registry.to_openmetrics();
                assert!(text.ends_with("# EOF\n"));
                for family in text.split("# HELP ").skip(1) {
                    assert!(family.contains("# TYPE "), "{family}");
                }
                scrapes += 1;
            }
            scrapes
        });
        scraper.join().unwrap()
    });
    assert!(scrapes > 0);
    assert!(registry.describe().is_empty());
}
