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

mod support;

use meterstick::{NativeHistogram, NativeOptions};
use support::proto;

/// The counts of a native histogram as the protobuf export gives them: the count, and the sum
/// of its zero bucket and every bucket rebuilt from the deltas.
fn protobuf_counts(registry: &Registry) -> (u64, u64) {
    let families = proto::decode_delimited(&registry.to_protobuf()).expect("every export decodes");
    let h = families[0].metric[0]
        .histogram
        .clone()
        .expect("a histogram");
    let mut buckets = h.zero_count.unwrap_or(0);
    for deltas in [&h.positive_delta, &h.negative_delta] {
        let mut count = 0i64;
        for d in deltas {
            count += d;
            assert!(
                count > 0,
                "a bucket without observations is not written: {h:?}"
            );
            buckets += count as u64;
        }
    }
    (h.sample_count.unwrap_or(0), buckets)
}

#[test]
fn a_native_histogram_counts_exactly_while_it_is_lowered_and_scraped() {
    // Few buckets allowed, the finest schema, and values up to 2^-16..2^16 on both sides:
    // the histogram lowers its resolution many times while the threads observe. Every partial
    // sum of these values fits in 53 bits, so the sum is exact in any order.
    let end = race_native(8, 12, 16);
    assert!(end.schema() < 0 && end.zero_threshold() == 0.0, "{end:?}");
}

#[test]
fn a_native_histogram_widens_its_zero_bucket_exactly_while_scraped() {
    // At the lowest schema a bucket spans 2^16: values up to 2^-600..2^600 need more than
    // three, so the zero bucket widens, again and again, while the threads observe.
    let end = race_native(-4, 3, 600);
    assert!(
        end.zero_threshold() > 0.0 && end.zero_count() > 0,
        "{end:?}"
    );
}

/// Threads observe powers of two up to `2^±max_exponent`, of both signs, into a native
/// histogram with these options while two others scrape it; returns its final snapshot, once
/// checked to hold every observation in the right bucket.
fn race_native(schema: i8, max_buckets: u32, max_exponent: u64) -> meterstick::NativeSnapshot {
    let registry = Registry::new();
    let options = NativeOptions::new(schema, max_buckets, 0.0).unwrap();
    let h = registry
        .native_histogram("spread", "values far apart", options)
        .unwrap();
    const PER_THREAD: u64 = 100_000;
    // The spread widens as the run goes on, so that the resolution is lowered all along it,
    // not only at the start.
    let value = |t: u64, i: u64| {
        let span = 1 + (2 * max_exponent + 1) * i / PER_THREAD;
        let exponent = ((i * 7 + t * 13) % span) as i32 - (span / 2) as i32;
        let sign = if (i + t) % 3 == 0 { -1.0 } else { 1.0 };
        // Powers of two: every sum of them is exact, in any order.
        sign * 2f64.powi(exponent)
    };
    let done = AtomicBool::new(false);
    let scrapes = thread::scope(|s| {
        let scrapers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let (mut scrapes, mut last) = (0u32, 0u64);
                    while !done.load(Ordering::Relaxed) || scrapes == 0 {
                        let snapshot = h.snapshot();
                        let (count, buckets) = protobuf_counts(&registry);
                        // Each export's buckets add up to its count, and counts only grow.
                        assert_eq!(count, buckets);
                        assert!(snapshot.count() >= last && count >= snapshot.count());
                        last = count;
                        scrapes += 1;
                    }
                    scrapes
                })
            })
            .collect();
        thread::scope(|t| {
            for thread in 0..THREADS as u64 {
                let h = &h;
                t.spawn(move || {
                    for i in 0..PER_THREAD {
                        h.observe(value(thread, i));
                    }
                });
            }
        });
        done.store(true, Ordering::Relaxed);
        scrapers.into_iter().map(|s| s.join().unwrap()).sum::<u32>()
    });
    assert!(scrapes > 0);

    let end = h.snapshot();
    let total = THREADS as u64 * PER_THREAD;
    assert_eq!(end.count(), total);
    let sum: f64 = (0..THREADS as u64)
        .flat_map(|t| (0..PER_THREAD).map(move |i| value(t, i)))
        .sum();
    if max_exponent <= 16 {
        assert_eq!(end.sum(), sum);
    } else {
        // Too far apart to add exactly: the order of the additions shows in the last bits.
        assert!(
            (end.sum() - sum).abs() <= sum.abs() * 1e-9,
            "{} against {sum}",
            end.sum()
        );
    }
    assert!(end.positive().len() + end.negative().len() <= 12, "{end:?}");
    assert!(end.schema() < 0, "lowered from 8: {end:?}");
    eprintln!(
        "schema {}, zero threshold {}, {scrapes} scrapes",
        end.schema(),
        end.zero_threshold()
    );
    // The buckets are exact: the same values observed by one thread, at the final schema with
    // room for every bucket, land in the same counts.
    let reference =
        NativeHistogram::new(NativeOptions::new(end.schema() as i8, 10_000, 0.0).unwrap());
    for t in 0..THREADS as u64 {
        for i in 0..PER_THREAD {
            reference.observe(value(t, i));
        }
    }
    let expected = reference.snapshot();
    if end.zero_threshold() == 0.0 {
        assert_eq!(end.positive(), expected.positive());
        assert_eq!(end.negative(), expected.negative());
        assert_eq!(end.zero_count(), 0);
    } else {
        // The zero bucket was widened: what it took is what the buckets within it had.
        let within = |b: &&(i32, u64)| {
            2f64.powf(f64::from(b.0) / 2f64.powi(end.schema())) <= end.zero_threshold()
        };
        let taken: u64 = expected
            .positive()
            .iter()
            .chain(expected.negative())
            .filter(within)
            .map(|b| b.1)
            .sum();
        assert_eq!(end.zero_count(), taken);
    }
    assert_eq!(end.count(), expected.count());
    end
}
