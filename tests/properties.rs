//! Arbitrary label values and help texts survive the JSON format exactly.

use meterstick::{Family, Gauge, Metrics, Registry};
use proptest::prelude::*;

#[derive(Metrics)]
struct Labeled {
    /// one key
    #[metric(label = "k")]
    one: Family<Gauge>,
    /// two keys
    #[metric(labels("a", "b"))]
    two: Family<Gauge, (String, String)>,
}

proptest! {
    #[test]
    fn label_values_round_trip_through_json(
        values in proptest::collection::vec(any::<String>(), 1..8),
        others in proptest::collection::vec(any::<String>(), 1..8),
        n in any::<i64>(),
    ) {
        let registry = Registry::new();
        let m = registry.register(Labeled::new()).unwrap();
        for v in &values {
            m.one.set(v, n);
        }
        for (a, b) in values.iter().zip(&others) {
            m.two.set((a, b), n);
        }
        let json = registry.to_json();
        prop_assert_eq!(&json, &serde_json::to_string(&registry).unwrap());
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();

        let one = parsed["one"]["value"]["k"].as_object().unwrap();
        let mut expected: Vec<&String> = values.iter().collect();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(one.len(), expected.len());
        for v in &expected {
            prop_assert_eq!(one[v.as_str()].as_f64(), Some(n as f64));
        }
        // Sorted by value, as the bytes of the document show.
        let mut last = 0;
        for v in &expected {
            let needle = serde_json::to_string(v).unwrap() + ":";
            let at = json[last..].find(&needle).map(|i| i + last);
            prop_assert!(at.is_some(), "{} not found in order", needle);
            last = at.unwrap() + needle.len();
        }

        let two = parsed["two"]["value"].as_array().unwrap();
        let mut pairs: Vec<(&String, &String)> = values.iter().zip(&others).collect();
        pairs.sort();
        pairs.dedup();
        prop_assert_eq!(two.len(), pairs.len());
        for (entry, (a, b)) in two.iter().zip(pairs) {
            prop_assert_eq!(entry["a"].as_str(), Some(a.as_str()));
            prop_assert_eq!(entry["b"].as_str(), Some(b.as_str()));
            prop_assert_eq!(entry["@"].as_f64(), Some(n as f64));
        }
    }
}

#[derive(Metrics)]
struct Counted {
    /// one counter per label value
    #[metric(label = "k")]
    hits: Family<meterstick::Counter>,
    /// the same keys and values in another family of the same type, whose lookups share this
    /// thread's cache with the first
    #[metric(label = "k")]
    misses: Family<meterstick::Counter>,
}

impl Counted {
    fn family(&self, f: usize) -> &Family<meterstick::Counter> {
        [&self.hits, &self.misses][f]
    }
}

/// What a test does to one of the two families (the first field) next.
#[derive(Clone, Debug)]
enum Op {
    Inc(usize, usize, u64),
    Remove(usize, usize),
    Clear(usize),
    Hold(usize, usize),
    IncHeld(usize, u64),
    Scrape,
}

/// The label values of the single-thread test, and of each thread in the two-thread one (each
/// thread its own, so that what a thread scrapes of its values is exactly what it did).
const POOLS: [[&str; 5]; 3] = [
    ["a", "b", "smtp_client:source1->", "quote\"d", "é"],
    [
        "t0-a",
        "t0-b",
        "t0-smtp_client:source1->",
        "t0-quote\"d",
        "t0-é",
    ],
    [
        "t1-a",
        "t1-b",
        "t1-smtp_client:source1->",
        "t1-quote\"d",
        "t1-é",
    ],
];

fn op(clear: bool) -> impl Strategy<Value = Op> {
    let at = 0..POOLS[0].len();
    let f = 0..2usize;
    prop_oneof![
        4 => (f.clone(), at.clone(), 1..100u64).prop_map(|(f, i, n)| Op::Inc(f, i, n)),
        1 => (f.clone(), at.clone()).prop_map(|(f, i)| Op::Remove(f, i)),
        u32::from(clear) => f.clone().prop_map(Op::Clear),
        1 => (f, at).prop_map(|(f, i)| Op::Hold(f, i)),
        2 => (0..8usize, 1..100u64).prop_map(|(h, n)| Op::IncHeld(h, n)),
        2 => Just(Op::Scrape),
    ]
}

/// Each label's value in one family, and the number of the series that holds it.
type Model = std::collections::BTreeMap<&'static str, (u64, usize)>;

/// Applies `ops` with the label values of `pool`, checking each family against a plain map after
/// every step. With `alone`, nothing else touches the families, so their lengths are checked too;
/// otherwise other threads work on other values of the same families at the same time.
fn run(
    registry: &Registry,
    m: &Counted,
    pool: &[&'static str; 5],
    ops: Vec<Op>,
    alone: bool,
) -> Result<(), TestCaseError> {
    let mut models: [Model; 2] = Default::default();
    let mut next_id = 0;
    let mut new_series = |model: &mut Model, label| {
        model
            .entry(label)
            .or_insert_with(|| {
                next_id += 1;
                (0, next_id)
            })
            .1
    };
    let mut held = Vec::new();
    for op in ops {
        match op {
            Op::Inc(f, i, n) => {
                m.family(f).inc_by(pool[i], n);
                new_series(&mut models[f], pool[i]);
                models[f].get_mut(pool[i]).unwrap().0 += n;
            }
            Op::Remove(f, i) => {
                prop_assert_eq!(
                    m.family(f).remove(pool[i]),
                    models[f].remove(pool[i]).is_some()
                );
            }
            Op::Clear(f) => {
                m.family(f).clear();
                models[f].clear();
            }
            Op::Hold(f, i) => {
                let id = new_series(&mut models[f], pool[i]);
                held.push((m.family(f).with(pool[i]), f, pool[i], id));
            }
            Op::IncHeld(h, n) => {
                if let Some((handle, f, label, id)) = held.get(h) {
                    handle.inc_by(n);
                    match models[*f].get_mut(label) {
                        Some((value, current)) if current == id => *value += n,
                        _ => {} // a removed series: counted, never exported
                    }
                }
            }
            Op::Scrape => {
                let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
                for (name, model) in ["hits", "misses"].iter().zip(&models) {
                    let exported: std::collections::BTreeMap<String, u64> =
                        json[name]["value"]["k"]
                            .as_object()
                            .map(|o| {
                                o.iter()
                                    .filter(|(k, _)| alone || pool.contains(&k.as_str()))
                                    .map(|(k, v)| (k.clone(), v.as_f64().unwrap() as u64))
                                    .collect()
                            })
                            .unwrap_or_default();
                    let expected: std::collections::BTreeMap<String, u64> = model
                        .iter()
                        .map(|(k, (v, _))| (k.to_string(), *v))
                        .collect();
                    prop_assert_eq!(exported, expected, "{}", name);
                }
            }
        }
        for (f, model) in models.iter().enumerate() {
            for label in pool {
                prop_assert_eq!(
                    m.family(f).get(label),
                    model.get(label).map(|(v, _)| *v),
                    "{} {}",
                    f,
                    label
                );
            }
            if alone {
                prop_assert_eq!(m.family(f).len(), model.len());
            }
        }
    }
    Ok(())
}

proptest! {
    /// Lookups (cached after the first), removals, clears, held handles and scrapes in any
    /// order, on two families with the same label values: each family's values and exports
    /// always match a plain map, so no update reaches a removed series or the other family's
    /// series through a lookup, and no removed series is exported.
    #[test]
    fn a_family_matches_a_map_through_removals_and_scrapes(ops in proptest::collection::vec(op(true), 1..60)) {
        let registry = Registry::new();
        let m = registry.register(Counted::new()).unwrap();
        run(&registry, &m, &POOLS[0], ops, true)?;
    }

    /// The same on two threads at once, each with label values of its own in the same two
    /// families (no clears, which would reach the other thread's values): what each thread
    /// scrapes and reads of its own values matches its map at every step, whatever the other
    /// thread is doing to the families' tables, sorted orders and caches meanwhile.
    #[test]
    fn two_threads_each_match_their_map_in_shared_families(
        first in proptest::collection::vec(op(false), 1..60),
        second in proptest::collection::vec(op(false), 1..60),
    ) {
        let registry = Registry::new();
        let m = registry.register(Counted::new()).unwrap();
        let start = std::sync::Barrier::new(2);
        let results: Vec<Result<(), TestCaseError>> = std::thread::scope(|s| {
            [(1, first), (2, second)]
                .map(|(t, ops)| {
                    let (registry, m, start) = (&registry, &m, &start);
                    s.spawn(move || {
                        start.wait();
                        run(registry, m, &POOLS[t], ops, false)
                    })
                })
                .map(|t| t.join().unwrap())
                .into()
        });
        for result in results {
            result?;
        }
    }
}

mod support;

use meterstick::{Counter, NativeHistogram, NativeOptions};
use support::proto;

#[derive(Metrics)]
struct Encoded {
    /// one key
    #[metric(label = "k")]
    gauges: Family<Gauge<f64>>,
    /// two keys
    #[metric(labels("a", "b"))]
    counters: Family<Counter, (String, String)>,
}

/// A float of any kind: ordinary, huge, tiny, subnormal, zero of either sign, non-finite.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        -1e6..1e6f64,
        Just(0.0),
        Just(-0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MIN_POSITIVE / 8.0),
    ]
}

proptest! {
    #[test]
    fn label_values_and_values_round_trip_through_protobuf(
        values in proptest::collection::vec((any::<String>(), any_f64()), 1..8),
        others in proptest::collection::vec((any::<String>(), any::<u64>()), 1..8),
    ) {
        let registry = Registry::new();
        let m = registry.register(Encoded::new()).unwrap();
        for (v, x) in &values {
            m.gauges.set(v, *x);
        }
        for ((a, _), (b, n)) in values.iter().zip(&others) {
            m.counters.inc_by((a, b), *n);
        }
        let families = proto::decode_delimited(&registry.to_protobuf()).unwrap();
        prop_assert_eq!(families.len(), 2);
        let (counters, gauges) = (&families[0], &families[1]);
        prop_assert_eq!(counters.name.as_deref(), Some("counters_total"));
        prop_assert_eq!(gauges.name.as_deref(), Some("gauges"));

        // Every series, in the order of its label values, with the value it was given.
        let mut expected: Vec<&String> = values.iter().map(|(v, _)| v).collect();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(gauges.metric.len(), expected.len());
        for (metric, v) in gauges.metric.iter().zip(expected) {
            prop_assert_eq!(metric.labels(), vec![("k", v.as_str())]);
            let got = metric.gauge.as_ref().and_then(|g| g.value).unwrap();
            let want = m.gauges.get(v).unwrap();
            prop_assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()));
        }
        prop_assert_eq!(counters.metric.len(), m.counters.len());
        for metric in &counters.metric {
            let labels = metric.labels();
            let (a, b) = (labels[0].1, labels[1].1);
            let total = m.counters.get((a, b)).unwrap();
            let got = metric.counter.as_ref().and_then(|c| c.value).unwrap();
            prop_assert_eq!(got, total as f64);
        }
    }

    #[test]
    fn every_observation_lands_in_its_bucket(
        observations in proptest::collection::vec(any_f64(), 1..40),
        schema in -4i8..=8,
        zero_threshold in prop_oneof![Just(0.0), 0.0..1.0f64],
    ) {
        let registry = Registry::new();
        let options = NativeOptions::new(schema, 10_000, zero_threshold).unwrap();
        let h = registry.native_histogram("h", "observed", options).unwrap();
        let mut nan = false;
        for v in &observations {
            h.observe(*v);
            nan |= v.is_nan();
            // Alone, in a histogram of its own: the one bucket it takes holds it.
            let alone = NativeHistogram::new(options);
            alone.observe(*v);
            let s = alone.snapshot();
            if v.is_nan() || v.abs() <= zero_threshold {
                prop_assert_eq!(s.zero_count(), 1);
                continue;
            }
            let side = if *v < 0.0 { s.negative() } else { s.positive() };
            prop_assert_eq!(side.len(), 1);
            let i = side[0].0;
            let bound = |i: i32| (f64::from(i) / f64::from(schema).exp2()).exp2();
            let m = v.abs();
            if m.is_finite() {
                let slack = 1.0 + 1e-12;
                prop_assert!(bound(i - 1) < m * slack && m <= bound(i) * slack, "{} in {}", m, i);
            } else {
                // An infinity: the bucket past the largest finite value's.
                prop_assert!(bound(i - 1).is_infinite() && bound(i - 2).is_finite());
            }
        }
        // The protobuf export holds the same counts as the snapshot, bucket for bucket.
        let s = h.snapshot();
        prop_assert_eq!(s.count(), observations.len() as u64);
        if nan {
            prop_assert!(s.sum().is_nan());
        }
        let families = proto::decode_delimited(&registry.to_protobuf()).unwrap();
        let p = families[0].metric[0].histogram.clone().unwrap();
        prop_assert_eq!(p.sample_count, Some(s.count()));
        prop_assert_eq!(p.schema, Some(s.schema()));
        prop_assert_eq!(p.zero_count, Some(s.zero_count()));
        for (spans, deltas, buckets) in [
            (&p.positive_span, &p.positive_delta, s.positive()),
            (&p.negative_span, &p.negative_delta, s.negative()),
        ] {
            let mut rebuilt = Vec::new();
            let (mut at, mut count, mut d) = (0i32, 0i64, deltas.iter());
            for span in spans {
                at += span.offset.unwrap_or(0);
                for _ in 0..span.length.unwrap_or(0) {
                    count += d.next().copied().unwrap_or(0);
                    rebuilt.push((at, count as u64));
                    at += 1;
                }
            }
            prop_assert_eq!(&rebuilt[..], buckets);
        }
    }
}

/// A label value for remote write: any string, or one long enough that its length takes two
/// bytes of varint (from 128 bytes on).
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z/\"é]{100,300}", Just(String::new())]
}

/// A family's label key: short, or longer than the pieces remote write copies whole.
fn any_key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a",
        "le_not",
        "service",
        "z",
        "k_0123456789_0123456789_0123456789_0123456789_0123456789_0123456789",
    ])
    .prop_map(String::from)
}

proptest! {
    #[test]
    fn label_values_and_values_round_trip_through_remote_write(
        constant in any_value(),
        pushed in any_value(),
        keys in (any_key(), any_key()).prop_filter("two keys", |(a, b)| a != b),
        series in proptest::collection::vec(((any_value(), any_value()), any_f64()), 0..12),
        single in any_f64(),
    ) {
        let registry = Registry::with_labels([("region", constant.as_str())]).unwrap();
        let family = registry
            .family::<Gauge<f64>, (String, String)>("f", "values", &[&keys.0, &keys.1])
            .unwrap();
        let mut expected = std::collections::BTreeMap::new();
        for ((a, b), x) in &series {
            family.set((a, b), *x);
            let mut labels = vec![
                ("__name__".to_owned(), "f".to_owned()),
                ("region".to_owned(), constant.clone()),
                ("instance".to_owned(), pushed.clone()),
                (keys.0.clone(), a.clone()),
                (keys.1.clone(), b.clone()),
            ];
            labels.retain(|(_, v)| !v.is_empty());
            labels.sort();
            expected.insert(labels, x.to_bits());
        }
        registry.gauge_f64("single", "one value").unwrap().set(single);
        let mut labels = vec![
            ("__name__".to_owned(), "single".to_owned()),
            ("region".to_owned(), constant.clone()),
            ("instance".to_owned(), pushed.clone()),
        ];
        labels.retain(|(_, v)| !v.is_empty());
        labels.sort();
        expected.insert(labels, single.to_bits());

        let mut body = Vec::new();
        let timestamp = 1_700_000_000_123;
        registry.write_remote_write(&[("instance".into(), pushed.clone())], timestamp, &mut body);
        let request = <proto::WriteRequest as prost::Message>::decode(&body[..]).unwrap();
        let mut got = std::collections::BTreeMap::new();
        for series in request.timeseries {
            let labels: Vec<(String, String)> =
                series.labels.into_iter().map(|l| (l.name, l.value)).collect();
            // Sorted by name, as the protocol requires, and none empty.
            prop_assert!(labels.windows(2).all(|w| w[0].0 < w[1].0), "{:?}", labels);
            prop_assert!(labels.iter().all(|(_, v)| !v.is_empty()));
            prop_assert_eq!(series.samples.len(), 1);
            prop_assert_eq!(series.samples[0].timestamp, timestamp);
            let value = series.samples[0].value.to_bits();
            prop_assert!(got.insert(labels, value).is_none());
        }
        // NaN's bits may be any NaN's; the values are compared bit for bit otherwise.
        let nan = |bits: u64| f64::from_bits(bits).is_nan();
        prop_assert_eq!(got.len(), expected.len());
        for ((labels, want), (got_labels, got)) in expected.iter().zip(&got) {
            prop_assert_eq!(labels, got_labels);
            prop_assert!(want == got || (nan(*want) && nan(*got)), "{} {}", want, got);
        }
    }
}
