//! Series lifecycle and cardinality: pruning, limits, callbacks, enum labels, globals, metadata.

#[path = "../examples/kumod/metrics.rs"]
#[allow(dead_code)]
mod kumod;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::thread;

use meterstick::{
    Counter, CounterFn, Family, Gauge, GaugeFn, Global, Histogram, LabelValue, Metrics,
    OVERFLOW_LABEL_VALUE, Registry,
};

#[derive(Metrics)]
struct Queues {
    /// messages in each queue, while the queue exists
    #[metric(gauge, label = "queue", prune)]
    depth: Family<Gauge>,
}

fn exported(registry: &Registry, needle: &str) -> [bool; 3] {
    [
        registry.to_json().contains(needle),
        registry.to_prometheus().contains(needle),
        registry.to_openmetrics().contains(needle),
    ]
}

#[test]
fn a_pruned_series_goes_when_its_last_handle_drops_and_not_before() {
    let registry = Registry::new();
    let m = registry.register(Queues::new()).unwrap();
    let first = m.depth.with("gmail.com");
    first.set(46);
    let second = first.clone();
    let other = m.depth.with("yahoo.com");
    other.set(7);
    assert_eq!(exported(&registry, "gmail.com"), [true; 3]);

    drop(first);
    // One handle is left: the series stays, export after export.
    for _ in 0..3 {
        assert_eq!(exported(&registry, "gmail.com"), [true; 3]);
    }
    second.inc();
    assert!(registry.to_json().contains(r#""gmail.com":47.0"#));

    drop(second);
    assert_eq!(exported(&registry, "gmail.com"), [false; 3]);
    assert_eq!(exported(&registry, "yahoo.com"), [true; 3]);
    assert_eq!(m.depth.len(), 1);

    // A series created anew starts at zero.
    let again = m.depth.with("gmail.com");
    assert_eq!(again.get(), 0);
    assert_eq!(exported(&registry, "gmail.com"), [true; 3]);
}

#[test]
fn an_explicit_sweep_and_the_uncached_path_on_a_pruning_family() {
    let family: Family<Gauge> = Family::new().pruning();
    let held = family.with("held");
    family.set("unheld", 3);
    assert_eq!(family.len(), 2);
    assert_eq!(family.sweep(), 1);
    assert_eq!(family.len(), 1);
    assert!(family.contains("held"));
    assert!(!family.contains("unheld"));
    drop(held);
    assert_eq!(family.sweep(), 1);
    assert!(family.is_empty());

    // Through a registry: a series without a handle is swept before it is written, while
    // updates through the family reach a series that a handle holds.
    let registry = Registry::new();
    let m = registry.register(Queues::new()).unwrap();
    m.depth.set("transient", 5);
    assert_eq!(exported(&registry, "transient"), [false; 3]);
    let kept = m.depth.with("kept");
    m.depth.set("kept", 6);
    assert!(registry.to_json().contains(r#""kept":6.0"#));
    drop(kept);
    assert!(registry.to_json().contains(r#""depth":{"help":"messages in each queue, while the queue exists","type":"gauge","value":null}"#));
}

#[test]
fn a_family_that_does_not_prune_keeps_unheld_series() {
    let family: Family<Counter> = Family::new();
    drop(family.with("a"));
    family.inc("b");
    assert_eq!(family.sweep(), 0);
    assert_eq!(family.len(), 2);
}

#[derive(Metrics)]
struct Limited {
    /// deliveries per destination, at most 100 series
    #[metric(label = "destination", max_series = 100)]
    deliveries: Family<Counter>,

    /// attempts per destination and result, without a limit of its own
    #[metric(labels("destination", "result"))]
    attempts: Family<Counter, (String, String)>,
}

#[test]
fn the_limit_holds_under_eight_threads_and_counts_overflow_exactly() {
    const THREADS: usize = 8;
    const FRESH: usize = 1_000;
    let registry = Registry::new();
    let m = registry.register(Limited::new()).unwrap();
    thread::scope(|s| {
        for t in 0..THREADS {
            let m = &m;
            s.spawn(move || {
                for i in 0..FRESH {
                    m.deliveries.inc(&format!("t{t}-d{i}.example"));
                }
            });
        }
    });
    assert_eq!(m.deliveries.len(), 100, "99 series and the overflow one");
    let (limit, overflowed) = m.deliveries.series_limit().unwrap();
    assert_eq!(limit, 100);
    assert_eq!(overflowed, (THREADS * FRESH - 99) as u64);
    assert_eq!(m.deliveries.get(OVERFLOW_LABEL_VALUE), Some(overflowed));

    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    let series = json["deliveries"]["value"]["destination"]
        .as_object()
        .unwrap();
    assert_eq!(series.len(), 100);
    let total: f64 = series.values().map(|v| v.as_f64().unwrap()).sum();
    assert_eq!(total, (THREADS * FRESH) as f64, "no increment lost");
    assert_eq!(
        json[meterstick::OVERFLOW_METRIC_NAME]["value"]["metric"]["deliveries"],
        serde_json::json!(overflowed as f64)
    );
    let text = registry.to_prometheus();
    assert!(text.contains(&format!(
        "meterstick_series_overflow_total{{metric=\"deliveries\"}} {overflowed}\n"
    )));
    // The family without a limit is not listed.
    assert!(!text.contains("metric=\"attempts\""));
}

#[test]
fn a_registry_wide_default_limits_families_without_their_own() {
    let registry = Registry::new();
    registry.set_default_max_series(10);
    let m = registry.register(Limited::new()).unwrap();
    for i in 0..50 {
        m.attempts.inc((&format!("d{i}"), "ok"));
        m.deliveries.inc(&format!("d{i}"));
    }
    assert_eq!(m.attempts.len(), 10);
    assert_eq!(
        m.attempts.get((OVERFLOW_LABEL_VALUE, OVERFLOW_LABEL_VALUE)),
        Some(41)
    );
    // Its own limit of 100 is kept.
    assert_eq!(m.deliveries.len(), 50);
    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    let overflow = &json[meterstick::OVERFLOW_METRIC_NAME]["value"]["metric"];
    assert_eq!(overflow["attempts"], serde_json::json!(41.0));
    assert_eq!(overflow["deliveries"], serde_json::json!(0.0));
}

#[test]
fn the_overflow_metric_name_is_reserved_whatever_the_order() {
    #[derive(Metrics)]
    struct Impostor {
        /// a user's metric under the built-in counter's name
        #[metric(name = "meterstick_series_overflow_total", label = "metric")]
        overflow: Family<Counter>,
    }
    #[derive(Metrics)]
    #[metrics(prefix = "meterstick")]
    struct Prefixed {
        /// any name under the reserved prefix, here by the struct's prefix
        later_builtin: Counter,
    }
    // Before any family has a limit, and after one has: refused both times, naming the name.
    for limited_first in [false, true] {
        let registry = Registry::new();
        if limited_first {
            registry.register(Limited::new()).unwrap();
        }
        let err = registry.register(Impostor::new()).err().unwrap();
        assert_eq!(
            err,
            meterstick::RegistryError::ReservedName {
                name: meterstick::OVERFLOW_METRIC_NAME.into()
            }
        );
        assert!(err.to_string().contains("is reserved"), "{err}");
        let err = registry.register(Prefixed::new()).err().unwrap();
        assert_eq!(
            err,
            meterstick::RegistryError::ReservedName {
                name: "meterstick_later_builtin".into()
            }
        );
        if !limited_first {
            registry.register(Limited::new()).unwrap();
        }
        let text = registry.to_prometheus();
        assert_eq!(
            text.matches("# HELP meterstick_series_overflow_total ")
                .count(),
            1,
            "{text}"
        );
    }
}

#[test]
fn the_overflow_label_value_names_the_overflow_series_and_is_counted() {
    #[derive(Metrics)]
    struct Small {
        /// at most four series
        #[metric(label = "k", max_series = 4)]
        small: Family<Counter>,
    }
    let registry = Registry::new();
    let m = registry.register(Small::new()).unwrap();
    m.small.inc_by(OVERFLOW_LABEL_VALUE, 1000);
    for k in ["a", "b", "c", "d"] {
        m.small.inc(k);
    }
    // "a" and "b" fit beside the overflow series, created early by the lookup of its values;
    // "c" and "d" are sent to it. That lookup reached it as well, and is counted with them.
    assert_eq!(m.small.len(), 3);
    assert_eq!(m.small.get(OVERFLOW_LABEL_VALUE), Some(1002));
    assert_eq!(m.small.series_limit(), Some((4, 3)));
    // Every lookup by that value counts, cached or not, through a handle's creation too.
    m.small.inc(OVERFLOW_LABEL_VALUE);
    m.small.inc(OVERFLOW_LABEL_VALUE);
    let handle = m.small.with(OVERFLOW_LABEL_VALUE);
    handle.inc();
    assert_eq!(m.small.series_limit(), Some((4, 6)));
    let text = registry.to_prometheus();
    assert!(
        text.contains("small_total{k=\"__overflow__\"} 1005\n"),
        "{text}"
    );
    assert!(text.contains("meterstick_series_overflow_total{metric=\"small\"} 6\n"));
    assert_eq!(text.matches("k=\"__overflow__\"").count(), 1);
}

fn allocator_bytes() -> i64 {
    185_683_968
}

#[derive(Metrics)]
struct Callbacks {
    /// number of bytes of used memory
    #[metric(callback = allocator_bytes)]
    memory_usage: GaugeFn,

    /// the number of lua contexts available for reuse in the pool
    lua_spare_count: GaugeFn,

    /// bytes read by a library that counts them itself
    bytes_read: CounterFn,

    /// a callback that fails
    broken: GaugeFn,
}

/// A panic payload whose own `drop` panics.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("and the payload panics as it is dropped");
    }
}

#[test]
fn a_callback_may_set_its_own_function_and_a_bad_payload_stays_caught() {
    let registry = Registry::new();
    let m = registry.register(Callbacks::new()).unwrap();
    let me = Arc::clone(&m);
    // A callback that replaces itself: it ran under its metric's own lock, and deadlocked.
    m.lua_spare_count.set_fn(move || {
        me.lua_spare_count.set_fn(|| 7);
        5
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let scraper = {
        let registry = Arc::new(registry);
        let r = Arc::clone(&registry);
        thread::spawn(move || {
            let first = r.to_prometheus();
            let second = r.to_prometheus();
            tx.send((first, second)).unwrap();
        });
        registry
    };
    let (first, second) = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("a callback calling set_fn on its own metric deadlocked the scrape");
    assert!(first.contains("\nlua_spare_count 5\n"), "{first}");
    assert!(second.contains("\nlua_spare_count 7\n"), "{second}");

    // A panic whose payload panics when dropped: caught, the metric has no value, and the
    // export goes on in every format.
    m.broken.set_fn(|| std::panic::panic_any(PanicsOnDrop));
    let json: serde_json::Value = serde_json::from_str(&scraper.to_json()).unwrap();
    assert_eq!(json["broken"]["value"], serde_json::Value::Null);
    assert_eq!(json["lua_spare_count"]["value"], serde_json::json!(7.0));
    assert!(!scraper.to_prometheus().contains("\nbroken "));
    assert!(scraper.to_openmetrics().ends_with("# EOF\n"));
    assert_eq!(m.broken.get(), None);
}

#[test]
fn callbacks_are_read_at_export_time() {
    let registry = Registry::new();
    let m = registry.register(Callbacks::new()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    assert_eq!(
        json["memory_usage"]["value"],
        serde_json::json!(185683968.0)
    );
    // Without a function there is no value.
    assert_eq!(json["lua_spare_count"]["value"], serde_json::Value::Null);

    let pool = Arc::new(AtomicI64::new(3));
    let p = pool.clone();
    m.lua_spare_count.set_fn(move || p.load(Ordering::Relaxed));
    m.bytes_read.set_fn(|| 4096);
    m.broken.set_fn(|| panic!("the pool is gone"));
    assert!(registry.to_json().contains(r#""lua_spare_count":{"help":"the number of lua contexts available for reuse in the pool","type":"gauge","value":3.0}"#));
    pool.store(1, Ordering::Relaxed);
    let text = registry.to_prometheus();
    assert!(text.contains("\nlua_spare_count 1\n"), "{text}");
    assert!(text.contains("\nbytes_read_total 4096\n"), "{text}");
    // The panicking callback has no sample; everything else is there.
    assert!(
        text.contains("# TYPE broken gauge\n# HELP bytes_read_total"),
        "{text}"
    );
    assert!(
        registry
            .to_json()
            .contains(r#""broken":{"help":"a callback that fails","type":"gauge","value":null}"#)
    );
    assert!(
        registry
            .to_openmetrics()
            .contains("bytes_read_total 4096\n")
    );
}

#[derive(Clone, Copy, Debug, LabelValue)]
enum Queue {
    Ready,
    Scheduled,
    #[label(rename = "dead letter")]
    DeadLetter,
    HTTPProxy,
}

#[derive(Metrics)]
struct Typed {
    /// messages per queue
    #[metric(label = "queue")]
    messages: Family<Gauge, Queue>,

    /// delays per queue
    #[metric(label = "queue", buckets = [1.0])]
    delays: Family<Histogram, Queue>,
}

#[test]
fn enum_labelled_families_export_the_renamed_values() {
    let registry = Registry::new();
    let m = registry.register(Typed::new()).unwrap();
    assert!(m.messages.is_empty());
    m.messages.set(Queue::Scheduled, 3);
    m.messages.with(Queue::DeadLetter).set(2);
    m.messages.inc(Queue::HTTPProxy);
    m.delays.observe(Queue::Ready, 0.5);
    assert_eq!(m.messages.len(), 3);
    assert_eq!(m.messages.get(Queue::Ready), None);
    assert_eq!(m.messages.get(Queue::Scheduled), Some(3));
    assert!(registry.to_json().contains(
        r#""messages":{"help":"messages per queue","type":"gauge","value":{"queue":{"dead letter":2.0,"http_proxy":1.0,"scheduled":3.0}}}"#
    ));
    assert!(
        registry
            .to_prometheus()
            .contains("messages{queue=\"dead letter\"} 2\nmessages{queue=\"http_proxy\"} 1\nmessages{queue=\"scheduled\"} 3\n")
    );
    assert!(
        registry
            .to_openmetrics()
            .contains("delays_bucket{queue=\"ready\",le=\"1.0\"} 1\n")
    );

    // Removing hides the series until its next update; it keeps its value.
    assert!(m.messages.remove(Queue::Scheduled));
    assert!(!registry.to_json().contains("scheduled"));
    m.messages.inc(Queue::Scheduled);
    assert_eq!(m.messages.get(Queue::Scheduled), Some(4));
    m.messages.clear();
    assert!(m.messages.is_empty());
}

#[derive(Metrics)]
struct GlobalRequests {
    /// requests counted through a global static
    global_pattern_requests: Counter,
}

static REQUESTS: Global<GlobalRequests> = Global::new(GlobalRequests::new);
static REQUESTS_AGAIN: Global<GlobalRequests> = Global::new(GlobalRequests::new);

#[test]
fn the_global_pattern_registers_once_from_many_threads() {
    thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..1_000 {
                    REQUESTS.global_pattern_requests.inc();
                }
            });
        }
    });
    assert_eq!(REQUESTS.global_pattern_requests.get(), 8_000);
    let described = Registry::global().describe();
    assert_eq!(
        described
            .iter()
            .filter(|d| d.name() == "global_pattern_requests")
            .count(),
        1
    );
    assert!(
        Registry::global()
            .to_json()
            .contains(r#""global_pattern_requests":{"help":"requests counted through a global static","type":"counter","value":8000.0}"#)
    );

    // A second static of the same metrics clashes, and says so.
    let err = REQUESTS_AGAIN.try_get().err().unwrap();
    assert_eq!(
        *err,
        meterstick::RegistryError::DuplicateName {
            name: "global_pattern_requests".into()
        }
    );
    let panic = std::panic::catch_unwind(|| REQUESTS_AGAIN.global_pattern_requests.get())
        .err()
        .unwrap();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("cannot register `lifecycle::GlobalRequests` in the global registry: a metric named `global_pattern_requests` is already registered"), "{message}");
}

#[test]
fn describe_and_the_markdown_reference() {
    let registry = Registry::new();
    registry.register(kumod::KumodMetrics::new()).unwrap();
    registry.register(Typed::new()).unwrap();
    let described = registry.describe();
    assert_eq!(described.len(), 17);
    let delays = described.iter().find(|d| d.name() == "delays").unwrap();
    assert_eq!(delays.kind(), meterstick::MetricKind::Histogram);
    assert_eq!(delays.label_keys(), ["queue"]);
    assert_eq!(delays.buckets(), Some(&[1.0][..]));

    let page = registry.describe_markdown();
    assert!(page.starts_with("# Metrics\n\n| Name | Type | Labels | Buckets | Help |\n"));
    for d in &described {
        let row = format!("| `{}` | {} |", d.name(), d.kind());
        assert!(page.contains(&row), "{row} missing from\n{page}");
        assert!(page.contains(d.help()), "{}", d.help());
    }
    assert!(page.contains(
        "| `ready_count` | gauge | `service` |  | number of messages in the ready queue |\n"
    ));
    assert!(page.contains("| `delays` | histogram | `queue` | 1.0 | delays per queue |\n"));
    assert_eq!(page.lines().count(), 4 + described.len());
}

#[test]
fn histograms_without_declared_buckets_describe_the_defaults() {
    #[derive(Metrics)]
    struct Plain {
        /// latency with the default buckets
        latency: Histogram,
    }
    let registry = Registry::new();
    registry.register(Plain::new()).unwrap();
    assert_eq!(
        registry.describe()[0].buckets(),
        Some(meterstick::DEFAULT_BUCKETS)
    );
}
