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
}

/// What a test does to a family next.
#[derive(Clone, Debug)]
enum Op {
    Inc(usize, u64),
    Remove(usize),
    Clear,
    Hold(usize),
    IncHeld(usize, u64),
    Scrape,
}

const POOL: [&str; 5] = ["a", "b", "smtp_client:source1->", "quote\"d", "é"];

fn op() -> impl Strategy<Value = Op> {
    let at = 0..POOL.len();
    prop_oneof![
        4 => (at.clone(), 1..100u64).prop_map(|(i, n)| Op::Inc(i, n)),
        1 => at.clone().prop_map(Op::Remove),
        1 => Just(Op::Clear),
        1 => at.prop_map(Op::Hold),
        2 => (0..8usize, 1..100u64).prop_map(|(h, n)| Op::IncHeld(h, n)),
        2 => Just(Op::Scrape),
    ]
}

proptest! {
    /// Lookups (cached after the first), removals, clears, held handles and scrapes in any
    /// order: the family's values and its exports always match a plain map, so no update reaches
    /// a removed series through a lookup and no removed series is exported.
    #[test]
    fn a_family_matches_a_map_through_removals_and_scrapes(ops in proptest::collection::vec(op(), 1..60)) {
        let registry = Registry::new();
        let m = registry.register(Counted::new()).unwrap();
        // The model: each label's value and the number of the series that holds it.
        let mut model: std::collections::BTreeMap<&str, (u64, usize)> = Default::default();
        let mut next_id = 0;
        let mut held = Vec::new();
        for op in ops {
            match op {
                Op::Inc(i, n) => {
                    m.hits.inc_by(POOL[i], n);
                    model.entry(POOL[i]).or_insert_with(|| { next_id += 1; (0, next_id) }).0 += n;
                }
                Op::Remove(i) => {
                    prop_assert_eq!(m.hits.remove(POOL[i]), model.remove(POOL[i]).is_some());
                }
                Op::Clear => {
                    m.hits.clear();
                    model.clear();
                }
                Op::Hold(i) => {
                    let id = model.entry(POOL[i]).or_insert_with(|| { next_id += 1; (0, next_id) }).1;
                    held.push((m.hits.with(POOL[i]), POOL[i], id));
                }
                Op::IncHeld(h, n) => {
                    if let Some((handle, label, id)) = held.get(h) {
                        handle.inc_by(n);
                        match model.get_mut(label) {
                            Some((value, current)) if current == id => *value += n,
                            _ => {} // a removed series: counted, never exported
                        }
                    }
                }
                Op::Scrape => {
                    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
                    let exported: std::collections::BTreeMap<String, u64> = json["hits"]["value"]["k"]
                        .as_object()
                        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_f64().unwrap() as u64)).collect())
                        .unwrap_or_default();
                    let expected: std::collections::BTreeMap<String, u64> =
                        model.iter().map(|(k, (v, _))| (k.to_string(), *v)).collect();
                    prop_assert_eq!(exported, expected);
                }
            }
            for label in POOL {
                prop_assert_eq!(m.hits.get(label), model.get(label).map(|(v, _)| *v), "{}", label);
            }
            prop_assert_eq!(m.hits.len(), model.len());
        }
    }
}
