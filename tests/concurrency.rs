//! Many threads update the same metrics while another exports them: no update is lost and
//! every export parses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use meterstick::{Counter, Family, Gauge, Histogram, Metrics, Registry};

#[derive(Metrics)]
struct Hot {
    /// events counted by every thread
    events: Counter,
    /// events per service
    #[metric(label = "service")]
    per_service: Family<Counter>,
    /// a gauge raised and lowered by every thread
    level: Gauge,
    /// events per service and queue
    #[metric(labels("service", "queue"))]
    per_queue: Family<Counter, (String, String)>,
    /// observed sizes
    #[metric(buckets = [1, 10, 100])]
    sizes: Histogram,
}

const THREADS: usize = 4;
const ROUNDS: u64 = 20_000;
const SERVICES: [&str; 3] = ["smtp_client", "esmtp_listener", "smtp_client:source2->"];

#[test]
fn totals_are_exact_while_exporting() {
    let registry = Registry::new();
    let m = registry.register(Hot::new()).unwrap();
    let done = AtomicBool::new(false);
    let exports = thread::scope(|s| {
        let exporter = s.spawn(|| {
            let mut exports = 0u32;
            while !done.load(Ordering::Relaxed) || exports == 0 {
                let json: serde_json::Value =
                    serde_json::from_str(&registry.to_json()).expect("every export parses");
                assert!(
                    json["events"]["value"].as_f64().unwrap() <= (THREADS as u64 * ROUNDS) as f64
                );
                exports += 1;
            }
            exports
        });
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let m = &m;
                s.spawn(move || {
                    let handle = m.per_service.with(SERVICES[t % SERVICES.len()]);
                    for i in 0..ROUNDS {
                        m.events.inc();
                        handle.inc();
                        m.per_service.inc(SERVICES[i as usize % SERVICES.len()]);
                        m.level.inc();
                        m.level.dec();
                        let queue = format!("q{}", i % 7);
                        m.per_queue.inc_by(("smtp_client", &queue), 2);
                        m.sizes.observe((i % 200) as f64);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        exporter.join().unwrap()
    });
    assert!(exports > 0);

    let total = THREADS as u64 * ROUNDS;
    assert_eq!(m.events.get(), total);
    assert_eq!(m.level.get(), 0);
    let per_service: u64 = SERVICES
        .iter()
        .map(|s| m.per_service.get(s).unwrap_or(0))
        .sum();
    assert_eq!(per_service, 2 * total);
    let per_queue: u64 = (0..7)
        .map(|q| m.per_queue.get(("smtp_client", &format!("q{q}"))).unwrap())
        .sum();
    assert_eq!(per_queue, 2 * total);
    assert_eq!(m.sizes.count(), total);
    let expected_sum = THREADS as f64 * (0..ROUNDS).map(|i| (i % 200) as f64).sum::<f64>();
    assert_eq!(m.sizes.sum(), expected_sum);

    // The final export agrees with the totals.
    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    assert_eq!(json["events"]["value"], serde_json::json!(total as f64));
    assert_eq!(json["sizes"]["value"]["count"], serde_json::json!(total));
    let queues = json["per_queue"]["value"].as_array().unwrap();
    assert_eq!(queues.len(), 7);
    let exported: f64 = queues.iter().map(|q| q["@"].as_f64().unwrap()).sum();
    assert_eq!(exported, (2 * total) as f64);
}

#[test]
fn concurrent_first_inserts_create_one_series_each() {
    let family: Family<Counter> = Family::new();
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for i in 0..1_000 {
                    family.inc(&format!("label{i}"));
                }
            });
        }
    });
    assert_eq!(family.len(), 1_000);
    for i in 0..1_000 {
        assert_eq!(family.get(&format!("label{i}")), Some(THREADS as u64));
    }
}
